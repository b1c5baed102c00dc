"""A bar that says what just happened and offers to undo it for a few seconds.

Used after Finalize: "Ticket #12 finalized (Maria Rossi) · Now showing Luca Bianchi
[Undo (6)]". The countdown is in the button; the bar hides itself when it runs out. Undo is
reachable from the keyboard: the button is in the tab chain, Ctrl+Z undoes while the bar is
shown (a text field with the focus keeps Ctrl+Z for its own text), and so does Ctrl+Shift+R
(Reactivate) when the caller allows it (:meth:`UndoToast.set_reactivate_key`: not while a
closed ticket is shown, whose Reactivate button owns that key).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from convos_desktop.ui.workspace.ticket_actions import SHORTCUTS, TicketAction

UNDO_SECONDS = 8
TICK_MS = 1000


# The toast's look, set when it is first shown (each widget under a style sheet is drawn
# through a QStyleSheetStyle with its rules cached: issue 16).
STYLE = (
    "#undoToast { background: #1f2a37; border-radius: 8px; }"
    "#undoToast QLabel { color: #f2f5f8; }"
    "#undoToast QPushButton { color: #ffffff; background: #2f6fd6; border: none;"
    " border-radius: 5px; padding: 5px 12px; font-weight: 600; }"
    "#undoToast QPushButton:focus { outline: 2px solid #9cc2ff; }"
)


class UndoToast(QFrame):
    """See the module docstring. ``undoRequested`` when the agent undoes in time."""

    undoRequested = Signal()  # noqa: N815
    expired = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoToast")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton(self)
        self.undo_button.clicked.connect(self.undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._undo_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        self._undo_key.activated.connect(self.undo)
        self._reactivate_key = QShortcut(QKeySequence(SHORTCUTS[TicketAction.REOPEN]), self)
        self._reactivate_key.activated.connect(self.undo)
        for shortcut in (self._undo_key, self._reactivate_key):
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self._remaining = 0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self.hide()

    @property
    def remaining(self) -> int:
        """Seconds left to undo (0: nothing to undo)."""
        return self._remaining

    def show_message(self, text: str, seconds: int = UNDO_SECONDS) -> None:
        """Show ``text`` with an Undo button for ``seconds`` (replaces what was shown)."""
        if not self.styleSheet():  # styled when first shown: a hidden toast costs no sheet
            self.setStyleSheet(STYLE)
        self.message.setText(text)
        self._remaining = seconds
        self._refresh_button()
        self._timer.start()
        self.show()

    def set_reactivate_key(self, enabled: bool) -> None:
        """Whether Ctrl+Shift+R undoes too (off while another Reactivate owns the key)."""
        self._reactivate_key.setEnabled(enabled)

    def undo(self) -> None:
        if self._remaining <= 0:
            return
        self.dismiss()
        self.undoRequested.emit()

    def dismiss(self) -> None:
        """Hide without undoing (the action stays done)."""
        self._remaining = 0
        self._timer.stop()
        self.hide()

    def _tick(self) -> None:
        self._remaining -= 1
        if self._remaining <= 0:
            self.dismiss()
            self.expired.emit()
            return
        self._refresh_button()

    def _refresh_button(self) -> None:
        label = self.tr("Undo (%1)").replace("%1", str(self._remaining))
        self.undo_button.setText(label)
        self.undo_button.setToolTip(
            self.tr("Reactivate the ticket as it was (%1)").replace(
                "%1",
                QKeySequence(QKeySequence.StandardKey.Undo).toString(
                    QKeySequence.SequenceFormat.NativeText
                ),
            )
        )

"""The bar above a conversation: who it is with, the ticket's state, and the ticket actions.

Assign to me, Unassign, Finalize (close) and Reactivate (reopen) are offered by state; while
the agent is not online they stay visible but disabled, with the reason as a tooltip and as a
line under the title. Errors of the last action are shown on that line too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Ticket


class TicketAction:
    """Names of the four ticket actions (also the signal payload)."""

    ASSIGN = "assign"
    UNASSIGN = "unassign"
    CLOSE = "close"
    REOPEN = "reopen"


SHORTCUTS = {
    TicketAction.ASSIGN: "Ctrl+Shift+A",
    TicketAction.UNASSIGN: "Ctrl+Shift+U",
    TicketAction.CLOSE: "Ctrl+Shift+F",
    TicketAction.REOPEN: "Ctrl+Shift+R",
}


class ChatHeader(QFrame):
    """Shows one ticket; emits ``actionRequested(action)`` for the buttons and shortcuts."""

    actionRequested = Signal(str)  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatHeader")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setStyleSheet("#chatHeader { border-bottom: 1px solid palette(mid); }")
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.subtitle = QLabel(self)
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle.setStyleSheet("color: #6b7785;")
        self.subtitle.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reason = QLabel(self)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setObjectName("actionReason")
        self.reason.setStyleSheet("color: #a4400f;")
        self.reason.setWordWrap(True)
        self.reason.hide()

        self.buttons: dict[str, QPushButton] = {}
        labels = {
            TicketAction.ASSIGN: self.tr("Assign to me"),
            TicketAction.UNASSIGN: self.tr("Unassign"),
            TicketAction.CLOSE: self.tr("Finalize"),
            TicketAction.REOPEN: self.tr("Reactivate"),
        }
        actions = QHBoxLayout()
        actions.setSpacing(6)
        for action, label in labels.items():
            button = QPushButton(label, self)
            button.setShortcut(QKeySequence(SHORTCUTS[action]))
            button.clicked.connect(lambda _=False, a=action: self.actionRequested.emit(a))
            if action == TicketAction.CLOSE:
                button.setDefault(False)
                button.setStyleSheet("QPushButton:enabled { font-weight: bold; }")
            actions.addWidget(button)
            self.buttons[action] = button

        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        top = QHBoxLayout()
        top.addLayout(text, 1)
        top.addLayout(actions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.reason)
        self._ticket: Ticket | None = None
        self._me_id: int | None = None
        self._blocked_reason = ""
        self._error = ""
        self.set_ticket(None, "", "", None)

    def set_ticket(
        self, ticket: Ticket | None, contact_name: str, details: str, me_id: int | None
    ) -> None:
        """Show ``ticket`` (``None``: nothing selected)."""
        self._ticket, self._me_id = ticket, me_id
        self._error = ""
        self.title.setText(contact_name if ticket else self.tr("No conversation selected"))
        self.subtitle.setText(details)
        self._refresh()

    def set_blocked_reason(self, reason: str) -> None:
        """Why ticket actions are not possible now ('' when the agent is online)."""
        self._blocked_reason = reason
        self._refresh()

    def show_error(self, message: str) -> None:
        self._error = message
        self._refresh()

    def visible_actions(self) -> list[str]:
        return [a for a, b in self.buttons.items() if not b.isHidden()]

    def _refresh(self) -> None:
        ticket = self._ticket
        offered: set[str] = set()
        if ticket is not None and ticket.is_open:
            if ticket.assignee_id is None or ticket.assignee_id != self._me_id:
                offered.add(TicketAction.ASSIGN)
            if ticket.assignee_id is not None:
                offered.add(TicketAction.UNASSIGN)
            offered.add(TicketAction.CLOSE)
        elif ticket is not None:
            offered.add(TicketAction.REOPEN)
        for action, button in self.buttons.items():
            button.setVisible(action in offered)
            button.setEnabled(not self._blocked_reason)
            shortcut = SHORTCUTS[action]
            button.setToolTip(
                self._blocked_reason or f"{button.text()} ({QKeySequence(shortcut).toString()})"
            )
        line = self._error or (self._blocked_reason if offered else "")
        self.reason.setText(line)
        self.reason.setVisible(bool(line))

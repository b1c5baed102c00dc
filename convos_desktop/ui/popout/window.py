"""A conversation in a top-level window of its own.

The window holds a :class:`~convos_desktop.ui.chat.conversation_pane.ConversationPane` (the
same header, chat view and composer as the main window, with their duties: draft, reply
target, reactions, files, collision line, ticket actions). It follows the ticket through
``core.sync`` (a closed ticket turns read-only, with Reactivate where allowed). Ctrl+W closes
it; Esc does not (it clears a reply target or leaves a menu, as in the main window).
``closed(ticket_id)`` is emitted when the agent closed it; ``shownChanged`` when it is shown
or hidden (a visible pop-out counts as a conversation screen for presence).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from convos_desktop.core.types import Status, Ticket, TicketsChanged
from convos_desktop.ui.chat.conversation_pane import ConversationPane
from convos_desktop.ui.chat.files import FileActions
from convos_desktop.ui.context import ClientContext

CLOSE_SHORTCUT = "Ctrl+W"
DEFAULT_SIZE = (760, 680)


def owner_key(ticket_id: int) -> str:
    """The window's key in ``core.live``."""
    return f"popout-{ticket_id}"


class PopoutWindow(QWidget):
    """See the module docstring."""

    closed = Signal(int)  # ticket id: the agent closed the window
    shownChanged = Signal()  # noqa: N815

    def __init__(
        self,
        context: ClientContext,
        files: FileActions,
        ticket: Ticket,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("popoutWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # the manager deletes it
        self._context = context
        self._quiet = False  # closed by the app (logout, quit): not "closed by the agent"
        self.ticket_id = ticket.id
        self.pane = ConversationPane(context, files, owner_key(ticket.id), self)
        self.pane.header.set_popout_available(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pane)
        self.close_action = QAction(self.tr("Close window"), self)
        self.close_action.setObjectName("closePopout")
        self.close_action.setShortcut(QKeySequence(CLOSE_SHORTCUT))
        self.close_action.triggered.connect(self.close)
        self.addAction(self.close_action)
        self.resize(*DEFAULT_SIZE)
        context.sync.tickets_changed.connect(self._on_tickets_changed)
        context.directory.changed.connect(self._refresh_title)
        context.directory.contact_changed.connect(self._on_contact_changed)
        self.pane.open_ticket(ticket)
        self._refresh_title()

    @property
    def ticket(self) -> Ticket | None:
        return self.pane.ticket

    def set_effective_status(self, status: Status) -> None:
        self.pane.set_effective_status(status)

    def _on_tickets_changed(self, change: TicketsChanged) -> None:
        for ticket in change.upserted:
            if ticket.id == self.ticket_id:
                self.pane.ticket_changed(ticket)
                self._refresh_title()

    def _on_contact_changed(self, _contact_id: int) -> None:
        self._refresh_title()

    def _refresh_title(self) -> None:
        ticket = self.pane.ticket
        if ticket is None:
            return
        name = self._context.directory.contact_name(ticket.contact_id) or f"#{ticket.contact_id}"
        self.setWindowTitle(
            self.tr("%1 · ticket #%2 — Convos").replace("%1", name).replace("%2", str(ticket.id))
        )

    def close_quietly(self) -> None:
        """Close without telling ``closed`` (the app closes its windows: logout, quit)."""
        self._quiet = True
        self.close()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shownChanged.emit()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.shownChanged.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self.shownChanged.emit()  # minimised: no longer on screen

    def closeEvent(self, event: QCloseEvent) -> None:
        self.pane.save_draft()
        super().closeEvent(event)
        if not self._quiet:
            self.closed.emit(self.ticket_id)

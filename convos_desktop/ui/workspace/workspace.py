"""The conversation screen: the ticket list, and the open conversation with its header,
chat view and composer; it also drives the contact dock.

Wiring and the selection flow only: state comes from ``core.sync`` signals into the models;
actions go to the core and come back as events (the local echo of a send excepted). The
duties around it have their owners: the open conversation (sending, ticket actions, drafts,
reactions, the collision line) ``ui.chat.conversation_pane``, the contact dock
``ui.contacts.panel``, older pages ``models.sync_history``.

A ticket open in a pop-out window (``ui.popout``; ``is_popped_out``) is not shown twice: when
it is selected here, the right side says so, with buttons to raise that window or to bring
the conversation back here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.live import MAIN
from convos_desktop.core.types import Status, Ticket, TicketsChanged, View
from convos_desktop.models.ticket_list import TicketListModel, TicketRole
from convos_desktop.ui.chat.conversation_pane import ConversationPane
from convos_desktop.ui.chat.files import FileActions
from convos_desktop.ui.contacts.contact_dock import ContactDock
from convos_desktop.ui.contacts.panel import ContactPanel
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.popout.notice import PoppedOutNotice
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.theme import set_font_parts, set_label_box, set_text_color
from convos_desktop.ui.widgets.label_widgets import LabelFilterCombo
from convos_desktop.ui.workspace.ticket_actions import TicketAction
from convos_desktop.ui.workspace.ticket_delegate import TicketDelegate
from convos_desktop.ui.workspace.ticket_view import TicketListView
from convos_desktop.ui.workspace.undo_toast import UndoToast

log = logging.getLogger("convos.ui")

LIST_MIN_WIDTH = 250  # a ticket row stays readable: name, time, preview
TOAST_NAME_CHARS = 28  # names in the undo bar are cut to this many characters


@dataclass(frozen=True, slots=True)
class ClosedByMe:
    """A ticket this agent just finalized, as it was before: what Undo puts back."""

    ticket: Ticket
    assignee_id: int | None


class Workspace(QWidget):
    """See the module docstring. ``ticketOpened(ticket_id)`` follows the selection.

    The shown ticket never changes under the agent. When it leaves the list (taken, closed,
    by this agent or anyone else) the selection Qt would move to a neighbour is held back and:

    - after this agent's Assign to me it follows the ticket: ``viewRequested(View.MINE)``
      asks the window for La tua posta, where the same ticket is selected;
    - after this agent's Finalize the row below it opens (else the one above; a list left
      empty keeps the closed ticket shown), and the undo bar says which ticket was finalized
      and which one is shown now;
    - otherwise the ticket stays shown, out of the list, in its new state.

    Undo of Finalize reactivates the ticket at once (``reopen``) and gives it back to whoever
    held it (unassigned again, or its previous holder through an admin's ``force``). The close
    itself is performed at once, not delayed until the undo window passes: if the app quits or
    the connection drops during the window, the ticket is closed as the agent asked, and
    nothing the agent did is lost. The price is a "closed" then "reopened" line in the
    conversation when the agent does undo.
    """

    ticketOpened = Signal(int)  # noqa: N815
    viewRequested = Signal(object)  # noqa: N815 (View: show that list, the same ticket selected)
    popOutRequested = Signal(object)  # noqa: N815 (Ticket: open it in its own window)
    bringBackRequested = Signal(int)  # noqa: N815 (ticket id: close its window, show it here)

    def __init__(
        self,
        context: ClientContext,
        tickets: TicketListModel,
        contact_dock: ContactDock,
        files: FileActions,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._tasks = TaskRunner()
        self._ticket: Ticket | None = None
        # (ticket id, action) this agent asked for last: how to follow the ticket if it leaves
        self._intent: tuple[int, TicketAction] | None = None
        self._left_row: int | None = None  # the shown ticket's row while sync removes it
        self._closed: ClosedByMe | None = None
        self._popped_out: Callable[[int], bool] = lambda _ticket_id: False
        self._dock = contact_dock
        self.contact_panel = ContactPanel(context, contact_dock, self)
        self.tickets = tickets

        self.list_title = QLabel(self)
        set_font_parts(self.list_title, weight=QFont.Weight.DemiBold)
        set_label_box(self.list_title, 14, 10, 14, 6)
        self.ticket_view = TicketListView(self)
        self.ticket_view.setObjectName("ticketList")
        # Before setModel: the selection model moves the current row off a removed one first.
        tickets.rowsAboutToBeRemoved.connect(self._before_rows_removed)
        self.ticket_view.setModel(tickets)
        self.ticket_view.setItemDelegate(TicketDelegate(self.ticket_view))
        self.ticket_view.setFrameShape(QListView.Shape.NoFrame)
        self.ticket_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.ticket_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.ticket_view.doubleClicked.connect(self._on_double_clicked)
        self.empty_list = QLabel(self)
        self.empty_list.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_list.setWordWrap(True)  # a long inbox name wraps, never widens the list
        set_text_color(self.empty_list, "#6b7785")
        list_panel = QWidget(self)
        list_panel.setMinimumWidth(LIST_MIN_WIDTH)  # the chat pane cannot squeeze it away
        list_layout = QVBoxLayout(list_panel)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(0)
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 10, 0)
        title_row.addWidget(self.list_title, 1)
        self.label_filter = LabelFilterCombo(list_panel)
        self.label_filter.labelChosen.connect(self.tickets.set_label_filter)
        self.label_filter.hide()  # shown once the workspace has labels
        title_row.addWidget(self.label_filter)
        list_layout.addLayout(title_row)
        list_layout.addWidget(self.empty_list, 1)  # the title stays on top when nothing is listed
        set_label_box(self.empty_list, 24, 24, 24, 24)  # in its place: a new parent resets it
        list_layout.addWidget(self.ticket_view, 1)
        self.undo_toast = UndoToast(list_panel)
        self.undo_toast.undoRequested.connect(self._undo_close)
        self.undo_toast.expired.connect(self._forget_closed)
        toast_row = QHBoxLayout()
        toast_row.setContentsMargins(8, 4, 8, 8)
        toast_row.addWidget(self.undo_toast)
        list_layout.addLayout(toast_row)

        self.pane = ConversationPane(context, files, MAIN, self)
        self.pane.header.set_popout_available(True)
        self.pane.actionStarted.connect(self._on_action_started)
        self.pane.actionFailed.connect(self._forget_intent)
        self.pane.seen.connect(tickets.mark_read)
        self.pane.draftEdited.connect(tickets.set_draft_marker)
        self.pane.popOutRequested.connect(self.popOutRequested)
        # the pane's parts, as the window, the commands and the tests reach them
        self.header = self.pane.header
        self.composer = self.pane.composer
        self.chat = self.pane.chat
        self.messages = self.pane.messages
        self.reactions = self.pane.reactions
        self.wording = self.pane.wording
        self.live_line = self.pane.live_line
        self.no_selection = QLabel(
            self.tr("Select a ticket on the left to see the conversation."), self
        )
        self.no_selection.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_text_color(self.no_selection, "#6b7785")
        self.elsewhere = PoppedOutNotice(self)
        self.elsewhere.raiseRequested.connect(self._raise_popped_out)
        self.elsewhere.bringBackRequested.connect(self._bring_back_popped_out)
        self.right = QStackedWidget(self)
        self.right.addWidget(self.no_selection)
        self.right.addWidget(self.pane)
        self.right.addWidget(self.elsewhere)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("workspaceSplitter")
        self.splitter.addWidget(list_panel)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 800])
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        sync = context.sync
        sync.tickets_changed.connect(self._on_tickets_changed)
        context.drafts.changed.connect(self._on_draft_saved)
        context.directory.changed.connect(self._on_directory_changed)
        contact_dock.openFileRequested.connect(lambda f: files.open_file(f, self.header.show_error))
        contact_dock.saveFileRequested.connect(lambda f: files.save_file(f, self.header.show_error))
        contact_dock.tickets_panel.openRequested.connect(self.show_ticket)
        contact_dock.tickets_panel.reactivateRequested.connect(self._reactivate_from_dock)
        contact_dock.tickets_panel.model.modelReset.connect(self._refresh_open_sibling)
        tickets.rowsInserted.connect(self._refresh_list_state)
        tickets.rowsRemoved.connect(self._refresh_list_state)
        tickets.modelReset.connect(self._refresh_list_state)
        tickets.set_draft_conversations(context.drafts.conversation_ids())
        tickets.set_read_markers(context.store.read_marker)
        self._on_directory_changed()
        self._refresh_list_state()

    # --- the list ---------------------------------------------------------------------------

    def set_view(self, view: View, title: str, inbox_id: int | None = None) -> None:
        """List ``view`` (narrowed to ``inbox_id`` when given) under ``title``."""
        self.list_title.setText(title)
        current = self._ticket.id if self._ticket else None
        self.tickets.set_view(view, inbox_id)
        if current is not None:
            row = self.tickets.row_of(current)
            if row >= 0:
                self.ticket_view.selectionModel().setCurrentIndex(
                    self.tickets.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
        self._refresh_list_state()

    def select_ticket(self, ticket_id: int) -> bool:
        row = self.tickets.row_of(ticket_id)
        if row < 0:
            return False
        self.ticket_view.selectionModel().setCurrentIndex(
            self.tickets.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        return True

    def _refresh_list_state(self, *_args: object) -> None:
        empty = self.tickets.rowCount() == 0
        if empty:
            self.empty_list.setText(self._empty_text())
        self.empty_list.setVisible(empty)
        self.ticket_view.setVisible(not empty)

    def _empty_text(self) -> str:
        """Why nothing is listed, in the view's words (narrowed: the inbox's, the label's)."""
        tickets = self.tickets
        if tickets.label_id is not None:
            return self.tr("No ticket listed here has this label.")
        inbox = self._context.directory.inbox_name(tickets.inbox_id)
        if not inbox:
            return {
                View.MINE: self.tr("No open tickets assigned to you."),
                View.UNASSIGNED: self.tr("No tickets waiting for an agent."),
                View.ALL: self.tr("No open tickets."),
                View.SNOOZED: self.tr("No snoozed tickets."),
            }[tickets.view]
        return {
            View.MINE: self.tr("None of your open tickets is in {inbox}."),
            View.UNASSIGNED: self.tr("No tickets waiting for an agent in {inbox}."),
            View.ALL: self.tr("No open tickets in {inbox}."),
            View.SNOOZED: self.tr("No snoozed tickets in {inbox}."),
        }[tickets.view].format(inbox=inbox)

    def show_ticket(self, ticket: Ticket) -> None:
        """Show ``ticket`` (open or closed): selected when listed here, else on its own."""
        if self.select_ticket(ticket.id):
            return
        self.ticket_view.selectionModel().setCurrentIndex(
            QModelIndex(), QItemSelectionModel.SelectionFlag.Clear
        )
        self.open_ticket(ticket)

    def _before_rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        """Sync takes rows away: hold the selection if the shown ticket is among them."""
        shown = self._ticket
        if shown is None:
            return
        for row in range(first, last + 1):
            ticket = self.tickets.ticket_at(row)
            if ticket is not None and ticket.id == shown.id:
                self._left_row = row
                return

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._left_row is not None:
            return  # Qt moves the selection off a removed row: the workspace decides instead
        ticket = current.data(TicketRole.TICKET) if current.isValid() else None
        if ticket is not None and (self._ticket is None or ticket.id != self._ticket.id):
            self.open_ticket(ticket)

    def _on_tickets_changed(self, change: TicketsChanged) -> None:
        self._left_row = None
        try:
            self.tickets.apply(change)
        finally:
            left_row, self._left_row = self._left_row, None
        if self._ticket is None:
            return
        for ticket in change.upserted:
            self.contact_panel.ticket_changed(ticket)
            if ticket.id == self._ticket.id:
                self._ticket = ticket
                self.pane.ticket_changed(ticket)  # the open ticket is in view: never a dot
                self._refresh_reactivate_key()
        if left_row is not None:
            self._shown_ticket_left(left_row)
        elif not self.ticket_view.currentIndex().isValid():
            self._select_shown_ticket(self._ticket)

    def _select_shown_ticket(self, ticket: Ticket) -> None:
        """The shown ticket is not selected: select it once it is (back) in this list; if this
        agent reactivated it and it is listed elsewhere, follow it to La tua posta."""
        if self.select_ticket(ticket.id):
            return
        if self._intent != (ticket.id, TicketAction.REOPEN) or not ticket.is_open:
            return
        self._intent = None
        if ticket.assignee_id == self._context.directory.me_id:
            self.viewRequested.emit(View.MINE)

    def _shown_ticket_left(self, row: int) -> None:
        """The shown ticket left the list at ``row``: follow it, move on, or keep it shown."""
        ticket = self._ticket
        assert ticket is not None
        intent, self._intent = self._intent, None
        me_id = self._context.directory.me_id
        selection = self.ticket_view.selectionModel()
        selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        if intent == (ticket.id, TicketAction.ASSIGN) and ticket.is_open:
            if ticket.assignee_id == me_id:
                self.viewRequested.emit(View.MINE)
            return
        if intent != (ticket.id, TicketAction.CLOSE) or ticket.is_open:
            return
        next_row = row if row < self.tickets.rowCount() else row - 1
        before = self._closed  # set when Finalize was asked: who held the ticket then
        if before is None or before.ticket.id != ticket.id:
            before = ClosedByMe(ticket, ticket.assignee_id)
        self._closed = ClosedByMe(ticket, before.assignee_id)  # the closed copy, to show again
        if next_row >= 0:
            self.select_ticket(self.tickets.index(next_row).data(TicketRole.TICKET_ID))
        self._announce_closed(ticket)

    def _announce_closed(self, closed: Ticket) -> None:
        directory = self._context.directory
        name = _short(directory.contact_name(closed.contact_id) or f"#{closed.contact_id}")
        text = self.tr("Ticket #%1 finalized (%2)").replace("%1", str(closed.id))
        text = text.replace("%2", name)
        shown = self._ticket
        if shown is not None and shown.id != closed.id:
            now = _short(directory.contact_name(shown.contact_id) or f"#{shown.contact_id}")
            text += " · " + self.tr("Now showing %1").replace("%1", now)
        self.undo_toast.show_message(text)
        self._refresh_reactivate_key()

    def _undo_close(self) -> None:
        closed, self._closed = self._closed, None
        if closed is None:
            return
        self.show_ticket(closed.ticket)
        self._tasks.run(self._reopen_as_before(closed), on_error=self.header.show_error)

    async def _reopen_as_before(self, closed: ClosedByMe) -> None:
        api = self._context.api
        ticket_id = closed.ticket.id
        await api.reopen_ticket(ticket_id)  # assigns it to me
        me_id = self._context.directory.me_id
        if closed.assignee_id is None:
            await api.unassign(ticket_id)
        elif closed.assignee_id != me_id:
            await api.assign(ticket_id, closed.assignee_id, force=True)

    def _forget_closed(self) -> None:
        self._closed = None

    def _refresh_reactivate_key(self) -> None:
        shown_closed = self._ticket is not None and not self._ticket.is_open
        self.undo_toast.set_reactivate_key(not shown_closed)

    # --- the open conversation --------------------------------------------------------------

    @property
    def current_ticket(self) -> Ticket | None:
        """The ticket selected (shown here, or in its own window)."""
        return self._ticket

    def set_popped_out(self, popped_out: Callable[[int], bool]) -> None:
        """How to tell a ticket open in a pop-out window (``ui.popout``)."""
        self._popped_out = popped_out

    def open_ticket(self, ticket: Ticket) -> None:
        """Show a ticket's conversation from the cache, then bring its history up to date
        (or, when it is open in its own window, say so)."""
        self._ticket = ticket
        if self._popped_out(ticket.id):
            self.pane.clear()
            contact = self._context.directory.contact_name(ticket.contact_id)
            self.elsewhere.set_ticket(ticket, contact)
            self.right.setCurrentWidget(self.elsewhere)
            self.tickets.mark_read(ticket.id)
        else:
            self.pane.open_ticket(ticket)
            self.right.setCurrentWidget(self.pane)
        self._refresh_reactivate_key()
        self.contact_panel.show_for(ticket)
        self.ticketOpened.emit(ticket.id)

    def popped_out_changed(self, ticket_id: int) -> None:
        """Ticket ``ticket_id`` went into its own window or came back: show it accordingly."""
        if self._ticket is not None and self._ticket.id == ticket_id:
            self.open_ticket(self._ticket)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        ticket = index.data(TicketRole.TICKET)
        if ticket is not None:
            self.popOutRequested.emit(ticket)

    def _raise_popped_out(self) -> None:
        if self._ticket is not None:
            self.popOutRequested.emit(self._ticket)  # asking again raises the window

    def _bring_back_popped_out(self) -> None:
        if self._ticket is not None:
            self.bringBackRequested.emit(self._ticket.id)

    # --- permissions ------------------------------------------------------------------------

    def set_effective_status(self, status: Status) -> None:
        self._dock.tickets_panel.set_status(status)
        self.pane.set_effective_status(status)

    # --- ticket actions ---------------------------------------------------------------------

    def _on_action_started(self, ticket: Ticket, action: TicketAction) -> None:
        self._intent = (ticket.id, action)
        if action is TicketAction.CLOSE:
            self.undo_toast.dismiss()
            self._closed = ClosedByMe(ticket, ticket.assignee_id)

    def _forget_intent(self, ticket_id: int) -> None:
        """The action asked on ``ticket_id`` did not happen: nothing to follow or undo."""
        if self._intent is not None and self._intent[0] == ticket_id:
            self._intent = None
        if self._closed is not None and self._closed.ticket.id == ticket_id:
            self._closed = None

    # --- drafts -----------------------------------------------------------------------------

    def _on_draft_saved(self, conversation_id: int) -> None:
        self.tickets.set_draft_marker(
            conversation_id, conversation_id in self._context.drafts.conversation_ids()
        )

    # --- contact dock -----------------------------------------------------------------------

    def _refresh_open_sibling(self) -> None:
        """Tell the header about another open ticket of the shown contact (no Reactivate)."""
        sibling = self._dock.tickets_panel.model.open_ticket()  # the shown contact's tickets
        self.pane.set_open_sibling(sibling.id if sibling is not None else None)

    def _reactivate_from_dock(self, ticket: Ticket) -> None:
        """Show the closed ticket and reactivate it (it comes back in La tua posta)."""
        self.show_ticket(ticket)
        self.pane.request_action(TicketAction.REOPEN)

    # --- directory --------------------------------------------------------------------------

    def _on_directory_changed(self) -> None:
        labels = self._context.directory.labels()
        self.label_filter.set_labels(labels)
        self.label_filter.setVisible(bool(labels))

    async def shutdown(self) -> None:
        """Save the draft being typed and stop background work."""
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
        await self.pane.shutdown()
        await self.contact_panel.shutdown()
        await self._context.thumbnails.wait_idle()


def _short(name: str, limit: int = TOAST_NAME_CHARS) -> str:
    """A name cut to ``limit`` characters with an ellipsis (the undo bar stays two lines)."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"

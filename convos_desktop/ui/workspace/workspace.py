"""The conversation screen: the ticket list, and the open conversation with its header,
chat view and composer; it also drives the contact dock.

Wiring and the selection flow only: state comes from ``core.sync`` signals into the models;
actions go to the core and come back as events (the local echo of a send excepted). The
duties around it have their owners: sending with files ``core.sending.Sender``, reactions
``ui.chat.reactions``, downloads ``ui.chat.files``, the contact dock ``ui.contacts.panel``,
older pages ``models.sync_history``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.outbox import CHANGED
from convos_desktop.core.store import OutboxItem
from convos_desktop.core.types import (
    Draft,
    Message,
    MessagesChanged,
    ReplyPreview,
    Status,
    Ticket,
    TicketsChanged,
    View,
)
from convos_desktop.models.sync_history import SyncHistory
from convos_desktop.models.thread import PAGE_SIZE, ThreadModel
from convos_desktop.models.ticket_list import TicketListModel, TicketRole
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.chat.chat_header import ChatHeader
from convos_desktop.ui.chat.chat_view import ChatView
from convos_desktop.ui.chat.composer import Composer
from convos_desktop.ui.chat.files import FileActions
from convos_desktop.ui.chat.live_line import LiveLine
from convos_desktop.ui.chat.message_delegate import MessageDelegate
from convos_desktop.ui.chat.reactions import Reactions
from convos_desktop.ui.contacts.contact_dock import ContactDock
from convos_desktop.ui.contacts.panel import ContactPanel
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.formatting import local_date_time
from convos_desktop.ui.system_text import SystemWording
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.widgets.confirm import ask
from convos_desktop.ui.widgets.label_widgets import LabelFilterCombo
from convos_desktop.ui.workspace.ticket_actions import (
    WORKING_STATUSES,
    TicketAction,
    reaction_block_reason,
)
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
        self._effective = Status.UNAVAILABLE
        # what the composer was last told: (why a reply is refused, whether a note is allowed)
        self._composer_permissions: tuple[str, bool] | None = None
        # (ticket id, action) this agent asked for last: how to follow the ticket if it leaves
        self._intent: tuple[int, TicketAction] | None = None
        self._left_row: int | None = None  # the shown ticket's row while sync removes it
        self._closed: ClosedByMe | None = None
        self._dock = contact_dock
        self.contact_panel = ContactPanel(context, contact_dock, self)
        self.tickets = tickets
        self.wording = SystemWording(context.directory, self)
        self.messages = ThreadModel(
            SyncHistory(context.store, context.sync), self, shown_text=self.wording.message_text
        )

        self.list_title = QLabel(self)
        self.list_title.setStyleSheet("font-weight: 600; padding: 10px 14px 6px 14px;")
        self.ticket_view = TicketListView(self)
        self.ticket_view.setObjectName("ticketList")
        # Before setModel: the selection model moves the current row off a removed one first.
        tickets.rowsAboutToBeRemoved.connect(self._before_rows_removed)
        self.ticket_view.setModel(tickets)
        self.ticket_view.setItemDelegate(TicketDelegate(self.ticket_view))
        self.ticket_view.setFrameShape(QListView.Shape.NoFrame)
        self.ticket_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.ticket_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.empty_list = QLabel(self.tr("No open tickets here."), self)
        self.empty_list.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_list.setStyleSheet("color: #6b7785; padding: 24px;")
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
        list_layout.addWidget(self.empty_list)
        list_layout.addWidget(self.ticket_view, 1)
        self.undo_toast = UndoToast(list_panel)
        self.undo_toast.undoRequested.connect(self._undo_close)
        self.undo_toast.expired.connect(self._forget_closed)
        toast_row = QHBoxLayout()
        toast_row.setContentsMargins(8, 4, 8, 8)
        toast_row.addWidget(self.undo_toast)
        list_layout.addLayout(toast_row)

        self.header = ChatHeader(self)
        self.header.actionRequested.connect(self._on_action)
        self.header.snoozeRequested.connect(self._on_snooze)
        self.header.labelToggled.connect(self._on_label_toggled)
        self.reactions = Reactions(
            context.api, context.settings, lambda: context.directory.me_id, self
        )
        self.reactions.failed.connect(self.header.show_error)
        self.delegate = MessageDelegate(context.thumbnails, self, self.wording)
        self.chat = ChatView(self.messages, self.delegate, self)
        context.thumbnails.ready.connect(lambda _id: self.chat.viewport().update())
        self.composer = Composer(context.settings, self)
        self.composer.sendRequested.connect(self._on_send)
        self.composer.draftChanged.connect(self._on_draft_changed)
        self.composer.typing.connect(context.live.typed)
        self.live_line = LiveLine(
            context.live,
            lambda: self._ticket.conversation_id if self._ticket is not None else None,
            lambda agent_id: context.directory.agent_name(agent_id) or self.tr("A colleague"),
            self.header.set_live,
            self,
        )
        context.outbox.item_failed.connect(self._on_send_refused)
        self.chat.replyRequested.connect(self._on_reply)
        self.chat.reactionToggled.connect(self.reactions.toggle)
        self.chat.reactionRefused.connect(self.header.show_error)
        self.chat.moreReactionsRequested.connect(self.reactions.pick)
        self.chat.openFileRequested.connect(lambda f: files.open_file(f, self.header.show_error))
        self.chat.saveFileRequested.connect(lambda f: files.save_file(f, self.header.show_error))
        self.chat.retryRequested.connect(self._retry)
        self.chat.discardRequested.connect(self._discard)
        self.no_selection = QLabel(
            self.tr("Select a ticket on the left to see the conversation."), self
        )
        self.no_selection.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_selection.setStyleSheet("color: #6b7785;")
        conversation = QWidget(self)
        conversation_layout = QVBoxLayout(conversation)
        conversation_layout.setContentsMargins(0, 0, 0, 0)
        conversation_layout.setSpacing(0)
        conversation_layout.addWidget(self.header)
        conversation_layout.addWidget(self.chat, 1)
        conversation_layout.addWidget(self.composer)
        self.right = QStackedWidget(self)
        self.right.addWidget(self.no_selection)
        self.right.addWidget(conversation)

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
        sync.messages_changed.connect(self._on_messages_changed)
        context.drafts.changed.connect(self._on_draft_saved)
        context.directory.changed.connect(self._on_directory_changed)
        context.directory.contact_changed.connect(self._on_contact_changed)
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
        self._refresh_permissions()

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
        self.empty_list.setVisible(empty)
        self.ticket_view.setVisible(not empty)

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
                self._refresh_header()
                self._refresh_permissions()
                self.tickets.mark_read(ticket.id)  # the open ticket is in view: never a dot
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
        return self._ticket

    def open_ticket(self, ticket: Ticket) -> None:
        """Show a ticket's conversation from the cache, then bring its history up to date."""
        self._save_current_draft()
        self._ticket = ticket
        conversation_id = ticket.conversation_id
        store = self._context.store
        synced, has_more = store.history_state(conversation_id)
        newest = store.messages_page(conversation_id, limit=PAGE_SIZE)
        # Older messages exist when the server has more or the cache holds more than a page.
        cached_more = sum(1 for m in newest if m.id > 0) >= PAGE_SIZE
        self.messages.open(conversation_id, newest, has_more or cached_more)
        if not synced:
            self._tasks.run(self._load_newest(conversation_id), on_error=self.header.show_error)
        draft = self._context.drafts.get(conversation_id) or Draft(conversation_id, "", None)
        self.composer.set_draft(draft, self._reply_preview(draft.reply_to))
        self.right.setCurrentIndex(1)
        self._refresh_header()
        self._refresh_permissions()
        self._refresh_reactivate_key()
        self._mark_read()
        self.contact_panel.show_for(ticket)
        if self.isVisible():
            self._context.live.view(conversation_id)
        self.live_line.refresh()
        self.ticketOpened.emit(ticket.id)

    async def _load_newest(self, conversation_id: int) -> None:
        has_more = await self._context.sync.ensure_history(conversation_id)
        if self.messages.conversation_id == conversation_id:
            self.messages.set_has_older(has_more)
            self._mark_read()

    def _reply_preview(self, message_id: int | None) -> ReplyPreview | None:
        if message_id is None:
            return None
        row = self.messages.row_of_id(message_id)
        message = self.messages.message_at(row)
        if message is None:
            return None
        return ReplyPreview(message.id, message.body, message.sender_name, message.direction)

    def _mark_read(self) -> None:
        ticket = self._ticket
        if ticket is None:
            return
        self.tickets.mark_read(ticket.id)
        last = self.messages.message_at(self.messages.rowCount() - 1)
        seen = [m.id for m in (last, ticket.last_message) if m is not None and m.id > 0]
        if seen:
            self._tasks.run(self._context.sync.mark_read(ticket.conversation_id, max(seen)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._ticket is not None:
            self._context.live.view(self._ticket.conversation_id)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._context.live.view(None)  # another screen, or the window closed to the tray

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.window().isActiveWindow():
            self._mark_read()  # what arrived while the window was in the background is seen

    def _on_messages_changed(self, change: MessagesChanged) -> None:
        self.messages.apply(change)
        if (
            self._ticket is not None
            and change.conversation_id == self._ticket.conversation_id
            and self.window().isActiveWindow()
        ):
            self._mark_read()

    def _refresh_header(self) -> None:
        ticket = self._ticket
        directory = self._context.directory
        me = directory.me
        if ticket is None:
            self.header.set_ticket(None, "", "", me)
            return
        contact = directory.contact_name(ticket.contact_id)
        assignee_name = directory.agent_name(ticket.assignee_id)
        state = self.tr("Open") if ticket.is_open else self.tr("Closed")
        # who holds it first: the line is elided at the end on a narrow pane
        details = f"{state}  ·  {assignee_name or self.tr('Unassigned')}  ·  #{ticket.id}  ·  "
        details += directory.inbox_name(ticket.inbox_id)
        if ticket.snoozed and ticket.is_open:
            details += "  ·  " + (
                self.tr("Snoozed until %1").replace("%1", local_date_time(ticket.snoozed_until))
                if ticket.snoozed_until is not None
                else self.tr("Snoozed until the customer replies")
            )
        self.header.set_ticket(ticket, contact, details, me, assignee_name)
        self.composer.set_placeholder_values(contact_name=contact, agent_name=me.name if me else "")

    # --- permissions ------------------------------------------------------------------------

    def set_effective_status(self, status: Status) -> None:
        self._effective = status
        self._refresh_permissions()

    def _refresh_permissions(self) -> None:
        online = self._effective in WORKING_STATUSES
        self.header.set_status(self._effective)
        self.reactions.set_status(self._effective)
        self._dock.tickets_panel.set_status(self._effective)
        self.chat.set_reaction_block(reaction_block_reason(self._effective))
        ticket = self._ticket
        me = self._context.directory.me
        if ticket is None:
            reply_reason = self.tr("Select a ticket first.")
        elif not ticket.is_open:
            reply_reason = self.tr("The ticket is closed: reactivate it to reply.")
        elif not online:
            reply_reason = self.tr("Set your status to Online to reply.")
        elif me is None or (ticket.assignee_id != me.id and me.role != "admin"):
            reply_reason = self.tr("Assign the ticket to yourself to reply.")
        else:
            reply_reason = ""
        note_allowed = ticket is not None
        if (reply_reason, note_allowed) == self._composer_permissions:
            return  # unchanged: the composer restyles itself on each call (~3 ms a switch)
        self._composer_permissions = (reply_reason, note_allowed)
        self.composer.set_can_reply(not reply_reason, reply_reason)
        self.composer.set_can_note(note_allowed, "" if note_allowed else reply_reason)

    # --- ticket actions ---------------------------------------------------------------------

    def _on_action(self, action: str, force: bool) -> None:
        ticket = self._ticket
        if ticket is None:
            return
        self.header.show_error("")
        chosen = TicketAction(action)
        self._intent = (ticket.id, chosen)
        if chosen is TicketAction.CLOSE:
            self.undo_toast.dismiss()
            self._closed = ClosedByMe(ticket, ticket.assignee_id)
        self._tasks.run(
            self._run_action(chosen, ticket.id, force),
            on_error=lambda error: self._action_failed(ticket.id, error),
        )

    def _action_failed(self, ticket_id: int, error: str) -> None:
        self._forget_intent(ticket_id)
        self.header.show_error(error)

    def _forget_intent(self, ticket_id: int) -> None:
        """The action asked on ``ticket_id`` did not happen: nothing to follow or undo."""
        if self._intent is not None and self._intent[0] == ticket_id:
            self._intent = None
        if self._closed is not None and self._closed.ticket.id == ticket_id:
            self._closed = None

    async def _run_action(self, action: TicketAction, ticket_id: int, force: bool) -> None:
        """One ticket action; ``force`` only for an admin's take-over (assign).

        Finalize and unassign wait for the replies still on their way first: closing the
        ticket under them would make the server refuse them.
        """
        api = self._context.api
        ticket = self._ticket
        if (
            action in (TicketAction.CLOSE, TicketAction.UNASSIGN)
            and ticket is not None
            and ticket.id == ticket_id
            and not await self._context.sender.delivered(ticket.conversation_id)
        ):
            self.header.show_error(
                self.tr(
                    "A reply of this conversation is still being sent: "
                    "try again once it is delivered."
                )
            )
            self._forget_intent(ticket_id)
            return
        if action is TicketAction.ASSIGN:
            await api.assign(ticket_id, force=force)
        elif action is TicketAction.UNASSIGN:
            await api.unassign(ticket_id)
        elif action is TicketAction.CLOSE:
            await api.close_ticket(ticket_id)
        elif action is TicketAction.UNSNOOZE:
            await api.unsnooze(ticket_id)
        else:
            await api.reopen_ticket(ticket_id)

    def _on_label_toggled(self, label_id: int, on: bool) -> None:
        """Put the label on the shown ticket, or take it off."""
        ticket = self._ticket
        if ticket is None:
            return
        self._tasks.run(
            self._context.api.set_ticket_label(ticket.id, label_id, on),
            on_error=lambda error: self._action_failed(ticket.id, error),
        )

    def _on_snooze(self, until: dt.datetime | None) -> None:
        """Snooze the shown ticket until ``until`` (``None``: until the customer replies)."""
        ticket = self._ticket
        if ticket is None:
            return
        self.header.show_error("")
        self._tasks.run(
            self._context.api.snooze(ticket.id, until),
            on_error=lambda error: self._action_failed(ticket.id, error),
        )

    # --- sending ----------------------------------------------------------------------------

    def _on_send(
        self, text: str, is_note: bool, reply_to: int | None, attachments: list[PendingAttachment]
    ) -> None:
        if self._ticket is None:
            return
        conversation_id = self._ticket.conversation_id
        self._context.drafts.clear(conversation_id)
        self._context.live.sent()
        self._tasks.run(
            self._context.sender.send(
                conversation_id,
                text,
                is_note=is_note,
                reply_to=reply_to,
                attachments=attachments,
                seen_message_id=self.messages.newest_id(),
            ),
            on_error=lambda error: self._send_failed(conversation_id, text, is_note, error),
        )

    def _send_failed(self, conversation_id: int, text: str, is_note: bool, error: str) -> None:
        """Nothing reached the outbox (an upload failed): give the text back, say why."""
        showing = self._ticket is not None and self._ticket.conversation_id == conversation_id
        if showing and not self.composer.edit.toPlainText():
            self.composer.set_draft(Draft(conversation_id, text, None, is_note))
        self.header.show_error(self.tr("Not sent: {error}").format(error=error))

    def _on_send_refused(self, item: OutboxItem) -> None:
        """A colleague wrote since the agent looked: ask before sending anyway."""
        code, _sep, name = (item.error or "").partition(": ")
        showing = self._ticket is not None and self._ticket.conversation_id == item.conversation_id
        if code != CHANGED or not showing:
            return
        question = self.tr("{name} replied meanwhile: send anyway?").format(
            name=name or self.tr("A colleague")
        )
        client_id = item.client_id
        ask(
            self,
            self.tr("Conversation changed"),
            question,
            lambda: self._tasks.run(self._context.outbox.retry(client_id, force=True)),
        )

    def _retry(self, message: Message) -> None:
        if message.client_id:
            self._tasks.run(self._context.outbox.retry(message.client_id))

    def _discard(self, message: Message) -> None:
        if message.client_id:
            self._tasks.run(self._context.outbox.discard(message.client_id))

    def _on_reply(self, message: Message) -> None:
        self.composer.set_reply_to(
            ReplyPreview(message.id, message.body, message.sender_name, message.direction)
        )

    # --- drafts -----------------------------------------------------------------------------

    def _on_draft_changed(self, draft: Draft) -> None:
        self._context.drafts.set(draft)
        self.tickets.set_draft_marker(
            draft.conversation_id, bool(draft.text.strip()) or draft.reply_to is not None
        )

    def _on_draft_saved(self, conversation_id: int) -> None:
        self.tickets.set_draft_marker(
            conversation_id, conversation_id in self._context.drafts.conversation_ids()
        )

    def _save_current_draft(self) -> None:
        draft = self.composer.draft()
        if draft is not None:
            self._context.drafts.set(draft)

    # --- contact dock -----------------------------------------------------------------------

    def _refresh_open_sibling(self) -> None:
        """Tell the header about another open ticket of the shown contact (no Reactivate)."""
        sibling = self._dock.tickets_panel.model.open_ticket()  # the shown contact's tickets
        self.header.set_open_sibling(sibling.id if sibling is not None else None)

    def _reactivate_from_dock(self, ticket: Ticket) -> None:
        """Show the closed ticket and reactivate it (it comes back in La tua posta)."""
        self.show_ticket(ticket)
        self._on_action(TicketAction.REOPEN.value, False)

    def _on_contact_changed(self, contact_id: int) -> None:
        if self._ticket is not None and self._ticket.contact_id == contact_id:
            self._refresh_header()

    # --- directory --------------------------------------------------------------------------

    def _on_directory_changed(self) -> None:
        directory = self._context.directory
        labels = directory.labels()
        self.label_filter.set_labels(labels)
        self.label_filter.setVisible(bool(labels))
        self.header.set_labels(labels)
        self.composer.set_canned(directory.canned())
        self.composer.set_colleagues(directory.agents(), directory.me_id)
        self._refresh_header()
        self._refresh_permissions()

    async def shutdown(self) -> None:
        """Save the draft being typed and stop background work."""
        self._save_current_draft()
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
        await self.reactions.shutdown()
        await self.contact_panel.shutdown()
        await self._context.thumbnails.wait_idle()


def _short(name: str, limit: int = TOAST_NAME_CHARS) -> str:
    """A name cut to ``limit`` characters with an ellipsis (the undo bar stays two lines)."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"

"""One open conversation: its header, chat view and composer, and the duties around them.

The main window's workspace shows one beside the ticket list; every pop-out window
(``ui.popout``) shows one of its own. A pane loads the conversation from the cache and brings
its history up to date, keeps the header and the composer's permissions in step with the
ticket and the agent's status, sends (``core.sending.Sender``) and asks before sending over a
colleague's newer reply, runs the header's ticket actions, reactions (``ui.chat.reactions``)
and downloads (``ui.chat.files``), keeps the conversation's draft in ``core.drafts`` (one
draft per conversation, whichever window types it), marks it read while its window is
active, and tells ``core.live`` it views the conversation while it is visible (under its
``owner`` key) and who else is there (the header's collision line).

What depends on the list around it stays with the owner, told through signals:
``actionStarted(ticket, action)`` before an action runs and ``actionFailed(ticket_id)`` when
it did not happen (the workspace follows the ticket or offers Undo), ``seen(ticket_id)`` (the
list's unread dot), ``draftEdited(conversation_id, has_draft)`` (the list's draft marker) and
``popOutRequested(ticket)``.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QCoreApplication, QEvent, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from convos_desktop.core.live import MAIN
from convos_desktop.core.outbox import CHANGED
from convos_desktop.core.store import OutboxItem
from convos_desktop.core.types import (
    Draft,
    Message,
    MessagesChanged,
    ReplyPreview,
    Status,
    Ticket,
)
from convos_desktop.models.sync_history import SyncHistory
from convos_desktop.models.thread import PAGE_SIZE, ThreadModel
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.chat.chat_header import ChatHeader
from convos_desktop.ui.chat.chat_view import ChatView
from convos_desktop.ui.chat.composer import Composer
from convos_desktop.ui.chat.files import FileActions
from convos_desktop.ui.chat.live_line import LiveLine
from convos_desktop.ui.chat.message_delegate import MessageDelegate
from convos_desktop.ui.chat.reactions import Reactions
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.formatting import local_date_time
from convos_desktop.ui.system_text import SystemWording
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.widgets.confirm import ask
from convos_desktop.ui.workspace.ticket_actions import (
    WORKING_STATUSES,
    TicketAction,
    reaction_block_reason,
)

log = logging.getLogger("convos.ui")
LAYOUT_MARGIN_VIEWS = 1  # a settled chat keeps the layouts of the rows within a view of it


def _tr(text: str) -> str:
    # the words came from the workspace and keep its catalogue context
    return QCoreApplication.translate("Workspace", text)


class ConversationPane(QWidget):
    """See the module docstring. ``owner`` names the pane to ``core.live``."""

    actionStarted = Signal(object, object)  # noqa: N815  # Ticket, TicketAction
    actionFailed = Signal(int)  # noqa: N815  # ticket id: the action did not happen
    seen = Signal(int)  # ticket id, read now
    draftEdited = Signal(int, bool)  # noqa: N815  # conversation id, has a draft
    popOutRequested = Signal(object)  # noqa: N815  # Ticket

    def __init__(
        self,
        context: ClientContext,
        files: FileActions,
        owner: object = MAIN,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._owner = owner
        self._tasks = TaskRunner()
        self._ticket: Ticket | None = None
        self._effective = Status.UNAVAILABLE
        # what the composer was last told: (why a reply is refused, whether a note is allowed)
        self._composer_permissions: tuple[str, bool] | None = None
        self._open_sibling: int | None = None
        self.wording = SystemWording(context.directory, self)
        self.messages = ThreadModel(
            SyncHistory(context.store, context.sync), self, shown_text=self.wording.message_text
        )
        self.header = ChatHeader(self)
        self.header.actionRequested.connect(self._on_action)
        self.header.snoozeRequested.connect(self._on_snooze)
        self.header.labelToggled.connect(self._on_label_toggled)
        self.header.popOutRequested.connect(self._on_pop_out)
        self.reactions = Reactions(
            context.api, context.settings, lambda: context.directory.me_id, self
        )
        self.reactions.failed.connect(self.header.show_error)
        self.delegate = MessageDelegate(context.thumbnails, self, self.wording)
        self.chat = ChatView(self.messages, self.delegate, self)
        # bound methods, never lambdas, on the login's signals: a pop-out's pane is deleted
        # with its window and Qt then drops the connection
        context.thumbnails.ready.connect(self._on_thumbnail_ready)
        self.composer = Composer(context.settings, self)
        self.composer.sendRequested.connect(self._on_send)
        self.composer.draftChanged.connect(self._on_draft_changed)
        self.composer.typing.connect(lambda kind: context.live.typed(kind, self.conversation_id))
        self.live_line = LiveLine(
            context.live,
            lambda: self.conversation_id,
            lambda agent_id: context.directory.agent_name(agent_id) or _tr("A colleague"),
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self.composer)

        context.sync.messages_changed.connect(self._on_messages_changed)
        context.directory.changed.connect(self._on_directory_changed)
        context.directory.contact_changed.connect(self._on_contact_changed)
        self._on_directory_changed()

    def _on_thumbnail_ready(self, _file_id: object) -> None:
        self.chat.viewport().update()

    # --- the conversation -------------------------------------------------------------------

    @property
    def ticket(self) -> Ticket | None:
        """The ticket shown (``None``: none)."""
        return self._ticket

    @property
    def conversation_id(self) -> int | None:
        return self._ticket.conversation_id if self._ticket is not None else None

    def open_ticket(self, ticket: Ticket) -> None:
        """Show a ticket's conversation from the cache, then bring its history up to date."""
        self.save_draft()
        self._ticket = ticket
        conversation_id = ticket.conversation_id
        store = self._context.store
        synced, has_more = store.history_state(conversation_id)
        newest = store.messages_page(conversation_id, limit=PAGE_SIZE)
        # Older messages exist when the server has more or the cache holds more than a page.
        cached_more = sum(1 for m in newest if m.id > 0) >= PAGE_SIZE
        self.messages.open(
            conversation_id, newest, has_more or cached_more, first_rows=self.chat.rows_to_fill()
        )
        if not synced:
            self._tasks.run(self._load_newest(conversation_id), on_error=self.header.show_error)
        self.reload_draft()
        self.refresh_header()
        self._refresh_permissions()
        self._mark_read()
        if self.isVisible():
            self._context.live.view(conversation_id, self._owner)
        self.live_line.refresh()

    def clear(self) -> None:
        """Show nothing (the conversation went to a pop-out window): its draft is kept."""
        self.save_draft()
        self.composer.detach()
        self._ticket = None
        self._context.live.view(None, self._owner)
        self.refresh_header()
        self._refresh_permissions()
        self.live_line.refresh()

    def release_idle(self) -> None:
        """Drop the chat's row caches of every row the thread model no longer holds."""
        self.delegate.keep_rows(self.messages.row_keys())

    def settle(self) -> None:
        """Once the app is at rest: this conversation's rows keep no painted picture (issue
        16: ~2 views of pixmaps scrolled away from, ~1.5 MiB at 1280x800, and ~0.9 MiB for the
        rows on screen, which the window's own pixels show), and only those within a view of
        the screen their whole layouts (~0.4 MiB)."""
        row_keys = self.messages.row_keys()
        self.delegate.drop_pictures_at_rest(row_keys)
        near = self.chat.row_keys_on_screen(margin_views=LAYOUT_MARGIN_VIEWS)
        self.delegate.keep_layouts_near_screen(row_keys, near)

    def reload_draft(self) -> None:
        """Put the conversation's draft (as ``core.drafts`` has it now) into the composer."""
        ticket = self._ticket
        if ticket is None:
            return
        conversation_id = ticket.conversation_id
        draft = self._context.drafts.get(conversation_id) or Draft(conversation_id, "", None)
        self.composer.set_draft(draft, self._reply_preview(draft.reply_to))

    def ticket_changed(self, ticket: Ticket) -> None:
        """A newer state of the shown ticket (from sync)."""
        if self._ticket is None or ticket.id != self._ticket.id:
            return
        self._ticket = ticket
        self.refresh_header()
        self._refresh_permissions()
        self.seen.emit(ticket.id)  # the open ticket is in view: never a dot

    def set_open_sibling(self, ticket_id: int | None) -> None:
        """Another open ticket of the shown contact (blocks Reactivate), if one is known."""
        self._open_sibling = ticket_id
        self.header.set_open_sibling(ticket_id)

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
        self.seen.emit(ticket.id)
        last = self.messages.message_at(self.messages.rowCount() - 1)
        seen = [m.id for m in (last, ticket.last_message) if m is not None and m.id > 0]
        if seen:
            self._tasks.run(self._context.sync.mark_read(ticket.conversation_id, max(seen)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._ticket is not None:
            self._context.live.view(self._ticket.conversation_id, self._owner)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._context.live.view(None, self._owner)  # another screen, or its window closed

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

    def refresh_header(self) -> None:
        """Word the shown ticket's header again (names, state, snooze)."""
        ticket = self._ticket
        directory = self._context.directory
        me = directory.me
        if ticket is None:
            self.header.set_ticket(None, "", "", me)
            return
        contact = directory.contact_name(ticket.contact_id)
        assignee_name = directory.agent_name(ticket.assignee_id)
        state = _tr("Open") if ticket.is_open else _tr("Closed")
        # who holds it first: the line is elided at the end on a narrow pane
        details = f"{state}  ·  {assignee_name or _tr('Unassigned')}  ·  #{ticket.id}  ·  "
        details += directory.inbox_name(ticket.inbox_id)
        if ticket.snoozed and ticket.is_open:
            details += "  ·  " + (
                _tr("Snoozed until %1").replace("%1", local_date_time(ticket.snoozed_until))
                if ticket.snoozed_until is not None
                else _tr("Snoozed until the customer replies")
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
        self.chat.set_reaction_block(reaction_block_reason(self._effective))
        ticket = self._ticket
        me = self._context.directory.me
        if ticket is None:
            reply_reason = _tr("Select a ticket first.")
        elif not ticket.is_open:
            reply_reason = _tr("The ticket is closed: reactivate it to reply.")
        elif not online:
            reply_reason = _tr("Set your status to Online to reply.")
        elif me is None or (ticket.assignee_id != me.id and me.role != "admin"):
            reply_reason = _tr("Assign the ticket to yourself to reply.")
        else:
            reply_reason = ""
        note_allowed = ticket is not None
        if (reply_reason, note_allowed) == self._composer_permissions:
            return  # unchanged: the composer restyles itself on each call (~3 ms a switch)
        self._composer_permissions = (reply_reason, note_allowed)
        self.composer.set_can_reply(not reply_reason, reply_reason)
        self.composer.set_can_note(note_allowed, "" if note_allowed else reply_reason)

    # --- ticket actions ---------------------------------------------------------------------

    def request_action(self, action: TicketAction, force: bool = False) -> None:
        """Run ``action`` on the shown ticket (``force``: an admin's take-over)."""
        self._on_action(action.value, force)

    def _on_action(self, action: str, force: bool) -> None:
        ticket = self._ticket
        if ticket is None:
            return
        self.header.show_error("")
        chosen = TicketAction(action)
        self.actionStarted.emit(ticket, chosen)
        self._tasks.run(
            self._run_action(chosen, ticket.id, force),
            on_error=lambda error: self._action_failed(ticket.id, error),
        )

    def _action_failed(self, ticket_id: int, error: str) -> None:
        self.actionFailed.emit(ticket_id)
        self.header.show_error(error)

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
                _tr(
                    "A reply of this conversation is still being sent: "
                    "try again once it is delivered."
                )
            )
            self.actionFailed.emit(ticket_id)
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

    def _on_pop_out(self) -> None:
        if self._ticket is not None:
            self.popOutRequested.emit(self._ticket)

    # --- sending ----------------------------------------------------------------------------

    def _on_send(
        self, text: str, is_note: bool, reply_to: int | None, attachments: list[PendingAttachment]
    ) -> None:
        if self._ticket is None:
            return
        conversation_id = self._ticket.conversation_id
        self._context.drafts.clear(conversation_id)
        self.draftEdited.emit(conversation_id, False)
        self._context.live.sent(conversation_id)
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
        if self.conversation_id == conversation_id and not self.composer.edit.toPlainText():
            self.composer.set_draft(Draft(conversation_id, text, None, is_note))
        self.header.show_error(_tr("Not sent: {error}").format(error=error))

    def _on_send_refused(self, item: OutboxItem) -> None:
        """A colleague wrote since the agent looked: ask before sending anyway."""
        code, _sep, name = (item.error or "").partition(": ")
        if code != CHANGED or self.conversation_id != item.conversation_id:
            return
        question = _tr("{name} replied meanwhile: send anyway?").format(
            name=name or _tr("A colleague")
        )
        client_id = item.client_id
        ask(
            self,
            _tr("Conversation changed"),
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
        self.draftEdited.emit(
            draft.conversation_id, bool(draft.text.strip()) or draft.reply_to is not None
        )

    def save_draft(self) -> None:
        """Keep what the composer holds as the shown conversation's draft."""
        draft = self.composer.draft()
        if draft is not None:
            self._context.drafts.set(draft)

    # --- directory --------------------------------------------------------------------------

    def _on_directory_changed(self) -> None:
        directory = self._context.directory
        self.header.set_labels(directory.labels())
        self.composer.set_canned(directory.canned())
        self.composer.set_colleagues(directory.agents(), directory.me_id)
        self.refresh_header()
        self._refresh_permissions()

    def _on_contact_changed(self, contact_id: int) -> None:
        if self._ticket is not None and self._ticket.contact_id == contact_id:
            self.refresh_header()

    async def shutdown(self) -> None:
        """Save the draft being typed and stop background work."""
        self.save_draft()
        self._tasks.cancel_all()
        await self._tasks.wait_idle()
        await self.reactions.shutdown()

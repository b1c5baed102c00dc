"""The New ticket screen (Nuovo Ticket): choose or create the contact, choose an inbox, write
the first message with the composer's tools (emoji, quick replies, attachments), start.

When the contact is chosen its latest ticket is looked up: an open one is named with its
assignee and offered to open (a new one would be refused); a closed one is offered for
reactivation (Riattiva) instead of starting a new conversation. The server refuses the same
(409 ``open_ticket_exists``), and the screen says so whatever it knew before.

Emits ``ticketStarted(ticket_id)`` for a started or reactivated ticket (it lands in Mine) and
``ticketOpenRequested(ticket_id)`` for an open ticket to show.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ConflictError
from convos_desktop.core.types import Canned, Contact, Inbox, Status, Ticket
from convos_desktop.ui import theme
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.chat.composer import BLOCKED_COLOR, Composer
from convos_desktop.ui.contacts.contact_picker import MUTED_STYLE, ContactPicker
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.formatting import local_date_time
from convos_desktop.ui.tasks import TaskRunner, describe_error
from convos_desktop.ui.theme import screen_title, set_text_color
from convos_desktop.ui.widgets.elided_label import ElidedLabel
from convos_desktop.ui.workspace.ticket_actions import WORKING_STATUSES

log = logging.getLogger("convos.ui.new_ticket")

MIN_WIDTH = 520
INBOX_KEY = "newTicket/inbox"  # the inbox of the last ticket started here

BANNER_STYLES = {
    "open": "#ticketBanner { background: #fff4e5; border: 1px solid #f0b45a; border-radius: 8px; }",
    "closed": "#ticketBanner { background: #eef4ff; border: 1px solid #9db8ef;"
    " border-radius: 8px; }",
}


class FirstMessageComposer(Composer):
    """The conversation composer for a first message: no internal notes, "Start ticket"."""

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(context.settings, parent)
        self.note_button.hide()
        self.set_can_note(False)

    def _style_mode(self, note: bool) -> None:
        super()._style_mode(note)
        self.send_button.setText(self.tr("Start ticket"))
        self.edit.setPlaceholderText(self.tr("First message to the customer…"))


class ChosenContact(QFrame):
    """The chosen contact: name and details, with a button to choose another."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chosenContact")
        self.setStyleSheet(
            "#chosenContact { border: 1px solid #d0d7de; border-radius: 8px; background: #fff; }"
        )
        self.name = ElidedLabel(self)
        self.name.setStyleSheet("font-weight: 600; font-size: 12pt;")
        self.details = ElidedLabel(self)
        self.details.setStyleSheet(MUTED_STYLE)
        self.change_button = QPushButton(self.tr("Change contact"), self)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.name)
        text.addWidget(self.details)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(text, 1)
        layout.addWidget(self.change_button)

    def set_contact(self, contact: Contact) -> None:
        self.name.setText(contact.name)
        details = [value for value in (contact.phone, contact.email) if value]
        self.details.setText("  ·  ".join(details) or self.tr("No phone or e-mail"))
        self.setToolTip("\n".join([contact.name, *details]))


class TicketBanner(QFrame):
    """What the contact's latest ticket means here, with the action it offers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticketBanner")
        self.text = QLabel(self)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.action = QPushButton(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_state(self, kind: str, text: str, action: str) -> None:
        self.setStyleSheet(BANNER_STYLES[kind])
        self.text.setText(text)
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self.show()


class NewTicketScreen(QWidget):
    """See the module docstring."""

    ticketStarted = Signal(int)  # noqa: N815 (Qt signal naming)
    ticketOpenRequested = Signal(int)  # noqa: N815

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._tasks = TaskRunner()
        self._contact: Contact | None = None
        self._latest: Ticket | None = None  # the contact's latest visible ticket
        self._blocking_ticket: int | None = None  # an open ticket that refuses a new one
        self._effective = Status.UNAVAILABLE
        self._client_id = str(uuid.uuid4())  # one per ticket to start: a retry reuses it
        self._library_loaded = False
        self._busy = False

        title = screen_title(self.tr("New ticket"), self)
        intro = QLabel(
            self.tr(
                "Start a conversation with a customer from scratch. It is assigned to you "
                "and opens in Mine."
            ),
            self,
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(MUTED_STYLE)
        self.picker = ContactPicker(context.api, self)
        self.picker.contactChosen.connect(self.choose_contact)
        self.chosen = ChosenContact(self)
        self.chosen.change_button.clicked.connect(self.change_contact)
        self.chosen.hide()
        self.banner = TicketBanner(self)
        self.banner.action.clicked.connect(self._on_banner_action)
        self.inbox = QComboBox(self)
        self.inbox.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.inbox.setMinimumContentsLength(24)
        self.inbox.currentIndexChanged.connect(lambda _i: self._refresh_permission())
        self.composer = FirstMessageComposer(context, self)
        self.composer.setObjectName("composer")
        self.composer.setStyleSheet(
            "#composer { border: 1px solid #d0d7de; border-radius: 8px; background: #fff; }"
        )
        self.composer.sendRequested.connect(self._on_start)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        labels = (self.tr("Contact"), self.tr("Inbox"), self.tr("First message"))
        contact_box = QVBoxLayout()
        contact_box.setSpacing(8)
        contact_box.addWidget(self.picker)
        contact_box.addWidget(self.chosen)
        contact_box.addWidget(self.banner)
        grid.addWidget(self._section_label(labels[0]), 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(contact_box, 0, 1)
        grid.addWidget(self._section_label(labels[1]), 1, 0)
        inbox_row = QHBoxLayout()
        inbox_row.addWidget(self.inbox)
        inbox_row.addStretch(1)
        grid.addLayout(inbox_row, 1, 1)
        grid.addWidget(self._section_label(labels[2]), 2, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.composer, 2, 1)
        grid.addWidget(self.status, 3, 1)

        page = QWidget(self)
        page.setMaximumWidth(900)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(40, 32, 40, 32)
        page_layout.setSpacing(12)
        page_layout.addWidget(title)
        page_layout.addWidget(intro)
        page_layout.addSpacing(8)
        page_layout.addLayout(grid)
        page_layout.addStretch(1)
        holder = QWidget(self)
        holder_layout = QHBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addWidget(page, 1)
        holder_layout.addStretch(0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.setMinimumWidth(MIN_WIDTH)  # narrower, the form stops being usable

        context.directory.changed.connect(self._on_directory_changed)
        self._on_directory_changed()
        self._refresh_permission()

    def _section_label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setStyleSheet("font-weight: 600; padding-top: 6px;")
        return label

    # --- inputs from the window ----------------------------------------------------------------

    def set_inboxes(self, inboxes: Sequence[Inbox]) -> None:
        """The inboxes the agent may start tickets in (those it sees)."""
        current = self.inbox.currentData()
        if current is None:
            saved = str(self._context.settings.value(INBOX_KEY, "") or "")
            current = int(saved) if saved.isdigit() else None
        self.inbox.blockSignals(True)
        self.inbox.clear()
        for inbox in inboxes:
            self.inbox.addItem(inbox.name, inbox.id)
        self.inbox.setCurrentIndex(max(0, self.inbox.findData(current)))
        self.inbox.blockSignals(False)
        self._refresh_permission()

    def set_effective_status(self, status: Status) -> None:
        self._effective = status
        self._refresh_permission()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._contact is None:
            self.picker.search.setFocus()
            if not self.picker.model.rowCount():
                self.picker.run_search()
        else:  # its tickets may have changed while the agent was elsewhere
            self._tasks.run(self._look_up_latest(self._contact), on_error=self._show_error)
        if not self._library_loaded:
            self._library_loaded = True
            self._tasks.run(self._load_library())

    async def _load_library(self) -> None:
        try:
            self.composer.set_library_files(await self._context.api.library_files())
        except Exception:  # the library tab stays empty; the rest works
            log.warning("library files could not be listed", exc_info=True)
            self._library_loaded = False

    def _on_directory_changed(self) -> None:
        directory = self._context.directory
        canned: Sequence[Canned] = directory.canned()
        self.composer.set_canned(canned)
        self._refresh_placeholders()

    def _refresh_placeholders(self) -> None:
        me = self._context.directory.me
        self.composer.set_placeholder_values(
            contact_name=self._contact.name if self._contact else "",
            agent_name=me.name if me else "",
        )

    # --- the contact ---------------------------------------------------------------------------

    @property
    def contact(self) -> Contact | None:
        return self._contact

    def choose_contact(self, contact: Contact) -> None:
        """Start a ticket for ``contact``: look up its latest ticket first."""
        self._contact = contact
        self._latest = None
        self._blocking_ticket = None
        self.picker.hide()
        self.chosen.set_contact(contact)
        self.chosen.show()
        self.banner.hide()
        self.status.setText("")
        self._refresh_placeholders()
        self._refresh_permission()
        self.composer.edit.setFocus()
        self._tasks.run(self._look_up_latest(contact), on_error=self._show_error)

    def change_contact(self) -> None:
        self._contact = None
        self._latest = None
        self._blocking_ticket = None
        self.chosen.hide()
        self.banner.hide()
        self.picker.show()
        self.picker.show_search()
        self._refresh_placeholders()
        self._refresh_permission()

    async def _look_up_latest(self, contact: Contact) -> None:
        page = await self._context.api.tickets(contact_id=contact.id, limit=1)
        if self._contact is None or self._contact.id != contact.id:
            return
        latest = page.items[0] if page.items else None
        self._latest = latest
        self._blocking_ticket = None
        if latest is None:
            self.banner.hide()
        elif latest.is_open:
            self._show_open_ticket(latest.id, latest.assignee_id, latest.inbox_id)
        else:
            self._show_closed_ticket(latest)
            index = self.inbox.findData(latest.inbox_id)
            if index >= 0:
                self.inbox.setCurrentIndex(index)
        self._refresh_permission()

    def _show_open_ticket(
        self, ticket_id: int, assignee_id: int | None, inbox_id: int | None
    ) -> None:
        directory = self._context.directory
        name = self._contact.name if self._contact else ""
        if assignee_id is None:
            holder = self.tr("it is not assigned yet")
        elif assignee_id == directory.me_id:
            holder = self.tr("it is assigned to you")
        else:
            holder = self.tr("it is assigned to {agent}").format(
                agent=directory.agent_name(assignee_id) or f"#{assignee_id}"
            )
        inbox = directory.inbox_name(inbox_id)
        text = self.tr("{name} already has an open ticket (#{id}{inbox}): {holder}.").format(
            name=name, id=ticket_id, inbox=f", {inbox}" if inbox else "", holder=holder
        )
        visible = inbox_id is None or directory.inbox(inbox_id) is not None
        self._blocking_ticket = ticket_id
        self.banner.show_state("open", text, self.tr("Open that ticket") if visible else "")

    def _show_closed_ticket(self, ticket: Ticket) -> None:
        name = self._contact.name if self._contact else ""
        inbox = self._context.directory.inbox_name(ticket.inbox_id)
        closed = local_date_time(ticket.closed_at) if ticket.closed_at else ""
        text = self.tr(
            "{name}'s last ticket (#{id}{inbox}) was closed {when}. Reactivate it to go on in "
            "that conversation, or write below to start a new one."
        ).format(name=name, id=ticket.id, inbox=f", {inbox}" if inbox else "", when=closed)
        self.banner.show_state("closed", " ".join(text.split()), self.tr("Reactivate"))

    def _on_banner_action(self) -> None:
        if self._blocking_ticket is not None:
            ticket_id = self._blocking_ticket
            self._reset()
            self.ticketOpenRequested.emit(ticket_id)
        elif self._latest is not None and not self._latest.is_open:
            self._set_busy(True, self.tr("Reactivating…"))
            task = self._tasks.run(self._reactivate(self._latest.id), on_error=self._show_error)
            task.add_done_callback(lambda _t: self._set_busy(False))

    async def _reactivate(self, ticket_id: int) -> None:
        try:
            await self._context.api.reopen_ticket(ticket_id)
        except ConflictError as exc:
            if exc.code != "open_ticket_exists" or exc.ticket_id is None:
                raise
            self._show_open_ticket(exc.ticket_id, exc.assignee_id, exc.extra.get("inbox_id"))
            self._show_error(describe_error(exc))
            return
        self._finish(ticket_id)

    # --- starting ------------------------------------------------------------------------------

    def _refresh_permission(self) -> None:
        blocked = False  # a rule says no (red), not a step still to take (muted)
        if self._busy:
            reason = self.tr("Please wait…")
        elif self._effective not in WORKING_STATUSES:
            reason, blocked = self.tr("Set your status to Online to start a ticket."), True
        elif self._contact is None:
            reason = self.tr("Choose a contact first.")
        elif self._blocking_ticket is not None:
            reason, blocked = self.tr("The contact already has an open ticket."), True
        elif self.inbox.currentData() is None:
            reason = self.tr("Choose an inbox first.")
        else:
            reason = ""
        set_text_color(self.composer.reason_label, BLOCKED_COLOR if blocked else theme.CHAT.muted)
        self.composer.set_can_reply(not reason, reason)
        self.banner.action.setEnabled(not self._busy)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        if busy:
            self.status.setStyleSheet(MUTED_STYLE)
            self.status.setText(text)
        self._refresh_permission()

    def _on_start(
        self, text: str, _is_note: bool, _reply_to: object, attachments: list[PendingAttachment]
    ) -> None:
        contact, inbox_id = self._contact, self.inbox.currentData()
        if contact is None or inbox_id is None:
            self._give_back(text, attachments)
            return
        self._set_busy(True, self.tr("Starting…"))
        self._context.settings.setValue(INBOX_KEY, int(inbox_id))
        task = self._tasks.run(
            self._start(contact.id, int(inbox_id), text, attachments),
            on_error=lambda message: self._start_failed(text, attachments, message),
        )
        task.add_done_callback(lambda _t: self._set_busy(False))

    async def _start(
        self, contact_id: int, inbox_id: int, text: str, attachments: list[PendingAttachment]
    ) -> None:
        api = self._context.api
        file_ids: list[int] = []
        for attachment in attachments:
            if attachment.file_id is not None:
                file_ids.append(attachment.file_id)
            elif attachment.path is not None:
                data = await asyncio.get_running_loop().run_in_executor(
                    None, attachment.path.read_bytes
                )
                uploaded = await api.upload_file(
                    attachment.name, data, sticker=attachment.kind == "sticker"
                )
                file_ids.append(uploaded.id)
        try:
            ticket, _message = await api.create_ticket(
                contact_id, inbox_id, text, file_ids=file_ids, client_id=self._client_id
            )
        except ConflictError as exc:
            if exc.code != "open_ticket_exists" or exc.ticket_id is None:
                raise
            self._give_back(text, attachments)
            self._show_open_ticket(exc.ticket_id, exc.assignee_id, exc.extra.get("inbox_id"))
            self._show_error(describe_error(exc))
            return
        self._finish(ticket.id)

    def _finish(self, ticket_id: int) -> None:
        """The ticket is started (or reactivated): clear the screen for the next one."""
        self._client_id = str(uuid.uuid4())
        self._reset()
        self.ticketStarted.emit(ticket_id)

    def _reset(self) -> None:
        self.status.setText("")
        self.change_contact()
        self.picker.search.clear()

    def _give_back(self, text: str, attachments: list[PendingAttachment]) -> None:
        """Put a message that was not sent back into the composer."""
        if not self.composer.edit.toPlainText():
            self.composer.edit.setPlainText(text)
        self.composer.add_attachments(attachments)

    def _start_failed(self, text: str, attachments: list[PendingAttachment], message: str) -> None:
        self._give_back(text, attachments)
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.status.setStyleSheet("color: #c01c28;")
        self.status.setText(message)

    async def shutdown(self) -> None:
        """Stop background work (searches, uploads)."""
        await self.picker.shutdown()
        self._tasks.cancel_all()
        await self._tasks.wait_idle()

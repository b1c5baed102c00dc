"""The New ticket screen: pick a contact and an inbox, write the first message, start.

Refused while the contact has an open ticket: the screen says so and offers to open it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ConflictError
from convos_desktop.core.types import Contact, Inbox
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.tasks import TaskRunner, describe_error

SEARCH_DELAY_MS = 250


class NewTicketScreen(QWidget):
    """Emits ``ticketStarted(ticket_id)`` for a new ticket, or for the open one to show."""

    ticketStarted = Signal(int)  # noqa: N815

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._tasks = TaskRunner()
        self._existing_ticket: int | None = None
        title = QLabel(self.tr("New ticket"), self)
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        intro = QLabel(
            self.tr("Start a conversation from scratch when the contact has no open ticket."),
            self,
        )
        intro.setStyleSheet("color: #6b7785;")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search contacts by name, phone or e-mail"))
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setMaximumHeight(180)
        self.inbox = QComboBox(self)
        self.body = QPlainTextEdit(self)
        self.body.setPlaceholderText(self.tr("First message to the customer"))
        self.body.setMaximumHeight(140)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.open_existing = QPushButton(self.tr("Open that ticket"), self)
        self.open_existing.hide()
        self.open_existing.clicked.connect(self._show_existing)
        self.start_button = QPushButton(self.tr("Start ticket"), self)
        self.start_button.clicked.connect(self.start)

        form = QFormLayout()
        form.addRow(self.tr("Contact"), self.search)
        form.addRow("", self.results)
        form.addRow(self.tr("Inbox"), self.inbox)
        form.addRow(self.tr("Message"), self.body)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.open_existing)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 36, 40, 36)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())

    def set_inboxes(self, inboxes: Sequence[Inbox]) -> None:
        current = self.inbox.currentData()
        self.inbox.clear()
        for inbox in inboxes:
            self.inbox.addItem(inbox.name, inbox.id)
        index = self.inbox.findData(current)
        self.inbox.setCurrentIndex(max(0, index))

    def _run_search(self) -> None:
        query = self.search.text().strip()
        self._tasks.run(self._search(query), on_error=self._show_error)

    async def _search(self, query: str) -> None:
        page = await self._context.api.contacts(query or None, limit=20)
        if query == self.search.text().strip():
            self.set_results(page.items)

    def set_results(self, contacts: Sequence[Contact]) -> None:
        self.results.clear()
        for contact in contacts:
            detail = contact.phone or contact.email or ""
            item = QListWidgetItem(f"{contact.name}  ·  {detail}" if detail else contact.name)
            item.setData(Qt.ItemDataRole.UserRole, contact.id)
            self.results.addItem(item)
        if contacts:
            self.results.setCurrentRow(0)

    def start(self) -> None:
        item = self.results.currentItem()
        body = self.body.toPlainText().strip()
        if item is None:
            self._show_error(self.tr("Choose a contact first."))
            return
        if self.inbox.currentData() is None:
            self._show_error(self.tr("Choose an inbox first."))
            return
        if not body:
            self._show_error(self.tr("Write the first message."))
            return
        contact_id = int(item.data(Qt.ItemDataRole.UserRole))
        self.start_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Starting…"))
        task = self._tasks.run(
            self._start(contact_id, int(self.inbox.currentData()), body),
            on_error=self._show_error,
        )
        task.add_done_callback(lambda _t: self.start_button.setEnabled(True))

    async def _start(self, contact_id: int, inbox_id: int, body: str) -> None:
        try:
            ticket, _message = await self._context.api.create_ticket(contact_id, inbox_id, body)
        except ConflictError as exc:
            if exc.code != "open_ticket_exists" or exc.ticket_id is None:
                raise
            self._existing_ticket = exc.ticket_id
            self._show_error(describe_error(exc))
            self.open_existing.show()
            return
        self.body.clear()
        self.status.setText("")
        self.ticketStarted.emit(ticket.id)

    def _show_existing(self) -> None:
        if self._existing_ticket is not None:
            self.ticketStarted.emit(self._existing_ticket)

    def _show_error(self, message: str) -> None:
        self.open_existing.hide()
        self.status.setStyleSheet("color: #c01c28;")
        self.status.setText(message)

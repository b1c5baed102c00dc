"""Menzioni: the notes where a colleague named the agent with ``@name``, newest first.

Each row says who the note is about (the contact, the ticket), when, who wrote it and what
(``MentionDelegate``). Unread ones are bold and counted in the navigation tree. Enter or a
double-click opens the conversation (the ticket of the note) and marks the mention read;
"Mark as read" only marks.
The list follows ``core.mentions`` (loaded at connection, then ``mention.*`` events).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.mentions import Mention
from convos_desktop.models.mentions import MentionListModel
from convos_desktop.models.navigation import NavTarget, target_label
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.formatting import short_time
from convos_desktop.ui.screens.mention_delegate import MentionDelegate
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.theme import screen_title


class MentionsScreen(QWidget):
    """The mentions list; emits ``open_requested(Ticket)`` to show a note's conversation."""

    open_requested = Signal(object)

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._tasks = TaskRunner()
        self.model = MentionListModel(
            context.mentions,
            lambda agent_id: context.directory.agent_name(agent_id) or self.tr("A colleague"),
            self._line,
            self,
        )
        title = screen_title(target_label(NavTarget.MENTIONS), self)
        self.hint = QLabel(
            self.tr("Notes where a colleague wrote @ and your name. Enter opens the conversation."),
            self,
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #5d6875;")
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setItemDelegate(MentionDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.activated.connect(self._open)
        self.empty = QLabel(self.tr("Nobody has mentioned you yet."), self)
        self.empty.setStyleSheet("color: #6b7785; padding: 24px;")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.open_button = QPushButton(self.tr("Open conversation"), self)
        self.open_button.clicked.connect(lambda: self._open(self.list.currentIndex()))
        self.read_button = QPushButton(self.tr("Mark as read"), self)
        self.read_button.clicked.connect(self._mark_current_read)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #a4400f;")
        self.error.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.read_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)  # as the other screens
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addWidget(self.empty, 1)  # the title and hint stay on top when nothing is listed
        layout.addWidget(self.list, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.model.modelReset.connect(self._refresh_state)
        self.list.selectionModel().currentChanged.connect(self._refresh_state)
        self._refresh_state()

    def _line(self, mention: Mention, author: str) -> str:
        """The row in words (what a screen reader says; the delegate paints the same)."""
        body = " ".join(mention.message.body.split())
        when = short_time(mention.created_at)
        line = self.tr("{author}, {when}: {body}").format(author=author, when=when, body=body)
        if not mention.contact_name:
            return line
        ticket = f" #{mention.ticket_id}" if mention.ticket_id is not None else ""
        return f"{mention.contact_name}{ticket} · {line}"

    def _current(self) -> Mention | None:
        record = self.list.currentIndex().data(MentionListModel.RECORD_ROLE)
        return record if isinstance(record, Mention) else None

    def _refresh_state(self, *_args: object) -> None:
        has_rows = self.model.rowCount() > 0
        self.empty.setVisible(not has_rows)
        self.list.setVisible(has_rows)
        current = self._current()
        self.open_button.setEnabled(current is not None and current.ticket_id is not None)
        self.read_button.setEnabled(current is not None and not current.read)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _mark_current_read(self) -> None:
        current = self._current()
        if current is not None:
            self._tasks.run(self._context.mentions.mark_read(current.id), on_error=self._show_error)

    def _open(self, index: QModelIndex) -> None:
        mention = index.data(MentionListModel.RECORD_ROLE)
        if not isinstance(mention, Mention):
            return
        self._tasks.run(self._open_mention(mention), on_error=self._show_error)

    async def _open_mention(self, mention: Mention) -> None:
        self._show_error("")
        await self._context.mentions.mark_read(mention.id)
        if mention.ticket_id is not None:
            detail = await self._context.api.ticket(mention.ticket_id)
            self.open_requested.emit(detail.ticket)

    async def shutdown(self) -> None:
        """Stop the calls in flight."""
        self._tasks.cancel_all()
        await self._tasks.wait_idle()

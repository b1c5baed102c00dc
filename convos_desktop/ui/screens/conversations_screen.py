"""Conversazioni: the full history of every conversation, with a read-only thread beside it.

Whatever started a conversation (chatbot, agent, mass or transactional campaign) it is listed
here; filters (text, origin, inbox, agent, start period), the order and the paging are the
server's (``PagedTableModel``). Selecting one shows its thread in the same chat view as the
workspace, read-only (attachments, reactions and notes as they are), paged back from the
server as the agent scrolls up, and offers to open its ticket when one is open.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.api import ApiClient
from convos_desktop.core.types import ConversationQuery
from convos_desktop.models.conversation_history import (
    ConversationColumn,
    ConversationHistoryModel,
    ConversationRow,
    origin_names,
    origin_text,
)
from convos_desktop.models.paged_table import moment_text
from convos_desktop.models.thread import HistoryPage, ThreadModel
from convos_desktop.ui.chat.chat_view import ChatView
from convos_desktop.ui.chat.message_delegate import MessageDelegate
from convos_desktop.ui.formatting import whole_number
from convos_desktop.ui.screens.history_filters import (
    MUTED,
    HistoryRefresh,
    PeriodFilter,
    count_label,
    fill_directory_choices,
    history_table,
    labelled_combo,
    search_timer,
)
from convos_desktop.ui.tasks import TaskRunner, describe_error
from convos_desktop.ui.theme import screen_title
from convos_desktop.ui.widgets.elided_label import ElidedLabel

if TYPE_CHECKING:
    from convos_desktop.ui.context import ClientContext

log = logging.getLogger("convos.ui.conversations")

THREAD_PAGE = 50
MESSAGE_COLUMN_MIN = 100  # the last message column: what it keeps when the pane is narrow
CONTACT_MIN = 130  # the contact's column on a 1280 window
CONTACT_FLOOR = 90  # as narrow as it gets before the table scrolls sideways
CONTACT_MAX = 240  # and as wide as it grows by itself
BAD = "#c62828"


class ServerHistory:
    """A thread's history straight from the server (the history screen caches nothing)."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api

    async def older_messages(
        self, conversation_id: int, before_id: int | None, limit: int
    ) -> HistoryPage:
        page = await self._api.messages(conversation_id, before=before_id, limit=limit)
        return HistoryPage(page.items, page.has_more)

    async def newer_messages(self, conversation_id: int, after_id: int, limit: int) -> HistoryPage:
        page = await self._api.messages(conversation_id, after=after_id, limit=limit)
        return HistoryPage(page.items, page.has_more)


class ConversationsScreen(QWidget):
    """See the module docstring. ``open_requested`` carries the ticket to open."""

    open_requested = Signal(object)  # Ticket

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationsScreen")
        self._context = context
        self._tasks = TaskRunner()
        self._shown_once = False
        self._fitting_contact = False
        self._contact_dragged = False
        self._open_ticket_id: int | None = None
        self.model = ConversationHistoryModel(
            context.api.conversation_history,
            lambda coroutine: self._tasks.run(coroutine),
            context.directory,
            parent=self,
        )
        self.thread_model = ThreadModel(ServerHistory(context.api), self)
        self.delegate = MessageDelegate(context.thumbnails, self)
        self.chat = ChatView(self.thread_model, self.delegate, self)
        self.chat.read_only = True
        context.thumbnails.ready.connect(lambda _id: self.chat.viewport().update())
        self._build_filters()
        self._build_table()
        self._build_thread_header()
        self._lay_out()
        self._connect()
        self.fill_choices()

    # --- building -------------------------------------------------------------------------

    def _build_filters(self) -> None:
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search text, contact name, phone or email"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search"))
        self.origin_combo = labelled_combo(self, self.tr("Started by"), 200)
        self.origin_combo.addItem(self.tr("Any origin"), None)
        for origin, name in origin_names().items():
            self.origin_combo.addItem(name, origin)
        self.inbox_combo = labelled_combo(self, self.tr("Inbox"), 200)
        self.agent_combo = labelled_combo(self, self.tr("Agent"), 200)
        self.period = PeriodFilter(self, self.tr("Started"), 200)
        self.period_combo, self.from_edit, self.to_edit = self.period.widgets()
        self.count_label = count_label(self)
        self._search_timer = search_timer(self)

    def _build_table(self) -> None:
        self.table = history_table(
            self,
            self.model,
            "conversationHistoryTable",
            ConversationColumn.LAST_ACTIVITY,
            {
                ConversationColumn.STARTED: 112,
                ConversationColumn.CONTACT: CONTACT_MIN,
                ConversationColumn.INBOX: 100,
                ConversationColumn.ORIGIN: 96,
                ConversationColumn.LAST_ACTIVITY: 112,
                ConversationColumn.LAST_MESSAGE: MESSAGE_COLUMN_MIN,
            },
            moments=(ConversationColumn.STARTED, ConversationColumn.LAST_ACTIVITY),
        )
        self.refresher = HistoryRefresh(self, self.table, self.model, self.count_label)
        header = self.table.horizontalHeader()
        # The list's order, newest activity first, is the first column the eye meets; the
        # model keeps its columns (the export and the sort keys name them).
        header.moveSection(header.visualIndex(ConversationColumn.LAST_ACTIVITY), 0)
        # The last message's preview takes the room the others leave (and elides, its title
        # too): at 1280 pixels every column fits without a horizontal scroll bar.
        header.setStretchLastSection(True)
        self.table.setColumnWidth(ConversationColumn.LAST_MESSAGE, MESSAGE_COLUMN_MIN)
        header.sectionResized.connect(self._on_section_resized)
        self._table_viewport = self.table.viewport()
        self._table_viewport.installEventFilter(self)

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column == ConversationColumn.CONTACT and not self._fitting_contact:
            self._contact_dragged = True  # the agent's width stays

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._table_viewport and event.type() == QEvent.Type.Resize:
            self._fit_contact()
        return super().eventFilter(watched, event)

    def _fit_contact(self) -> None:
        """A wider table widens the contact's name too (a third of the room beyond the
        columns' own widths, up to ``CONTACT_MAX``), not only the preview; a narrower one
        narrows it first (down to ``CONTACT_FLOOR``); a width the agent gives it stays."""
        if self._contact_dragged:
            return
        others = sum(
            self.table.columnWidth(c)
            for c in ConversationColumn
            if c not in (ConversationColumn.CONTACT, ConversationColumn.LAST_MESSAGE)
        )
        room = self._table_viewport.width() - others - CONTACT_MIN - MESSAGE_COLUMN_MIN
        if room < 0:  # narrower than the columns: the name gives way before a scroll bar
            wanted = max(CONTACT_FLOOR, CONTACT_MIN + room)
        else:
            wanted = CONTACT_MIN + min(CONTACT_MAX - CONTACT_MIN, room // 3)
        if wanted != self.table.columnWidth(ConversationColumn.CONTACT):
            self._fitting_contact = True
            self.table.setColumnWidth(ConversationColumn.CONTACT, wanted)
            self._fitting_contact = False

    def _build_thread_header(self) -> None:
        self.thread_title = ElidedLabel(self)
        self.thread_title.setStyleSheet("font-weight: 600; font-size: 12pt;")
        self.thread_subtitle = ElidedLabel(self)
        self.thread_subtitle.setStyleSheet(f"color: {MUTED};")
        self.open_ticket_button = QPushButton(self.tr("Open ticket"), self)
        self.open_ticket_button.setToolTip(self.tr("Open its ticket in the conversations"))
        self.open_ticket_button.setVisible(False)
        self.no_ticket = QLabel(self.tr("Read only: no open ticket"), self)
        self.no_ticket.setStyleSheet(f"color: {MUTED};")
        self.no_selection = QLabel(self.tr("Select a conversation to read it."), self)
        self.no_selection.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_selection.setStyleSheet(f"color: {MUTED};")

    def _lay_out(self) -> None:
        title = screen_title(self.tr("Conversations"), self)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        filters = QHBoxLayout()
        for widget in (
            self.origin_combo,
            self.inbox_combo,
            self.agent_combo,
            self.period_combo,
            self.from_edit,
            self.to_edit,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        table_panel = QWidget(self)
        table_layout = QVBoxLayout(table_panel)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table, 1)
        thread_panel = QWidget(self)
        thread_layout = QVBoxLayout(thread_panel)
        thread_layout.setContentsMargins(0, 0, 0, 0)
        thread_layout.setSpacing(4)
        header = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self.thread_title)
        names.addWidget(self.thread_subtitle)
        header.addLayout(names, 1)
        header.addWidget(self.no_ticket)
        header.addWidget(self.open_ticket_button)
        self.thread_stack = QStackedWidget(self)
        self.thread_stack.addWidget(self.no_selection)
        chat_page = QWidget(self)
        chat_layout = QVBoxLayout(chat_page)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.addLayout(header)
        chat_layout.addWidget(self.chat, 1)
        self.thread_stack.addWidget(chat_page)
        thread_layout.addWidget(self.thread_stack, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("conversationsSplitter")
        self.splitter.addWidget(table_panel)
        self.splitter.addWidget(thread_panel)
        self.splitter.setChildrenCollapsible(False)
        table_panel.setMinimumWidth(420)
        thread_panel.setMinimumWidth(320)
        # The table's columns first, the thread beside with 30 % (its minimum on a 1280
        # window), so the six columns fit without a horizontal scroll bar.
        self.splitter.setStretchFactor(0, 7)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.apply_filters)
        self._search_timer.timeout.connect(self.apply_filters)
        for combo in (self.origin_combo, self.inbox_combo, self.agent_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.period_combo.currentIndexChanged.connect(self._on_period)
        self.from_edit.dateChanged.connect(self.apply_filters)
        self.to_edit.dateChanged.connect(self.apply_filters)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.open_ticket_button.clicked.connect(self.open_ticket)
        self.model.total_changed.connect(self._show_count)
        self.model.loading_changed.connect(self._on_loading)
        self.model.failed.connect(lambda exc: self.show_error(describe_error(exc)))
        self.model.modelReset.connect(self._clear_thread)
        self.thread_model.older_failed.connect(self.show_error)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.search.setFocus)
        self._context.directory.changed.connect(self.fill_choices)

    def fill_choices(self) -> None:
        """The inbox and agent filters list what the directory knows (selection kept)."""
        fill_directory_choices(self.inbox_combo, self.agent_combo, self._context.directory)
        self.table.viewport().update()

    # --- the query ------------------------------------------------------------------------

    def query(self) -> ConversationQuery:
        """The query the filters describe, in the table's current order."""
        current = self.model.query
        assert isinstance(current, ConversationQuery)
        date_from, date_to = self.period.days()
        return replace(
            current,
            text=self.search.text().strip(),
            origin=self.origin_combo.currentData(),
            inbox_id=self.inbox_combo.currentData(),
            assignee_id=self.agent_combo.currentData(),
            date_from=date_from,
            date_to=date_to,
        )

    def apply_filters(self) -> None:
        """Ask the server for the first page of what the filters describe."""
        self._search_timer.stop()
        query = self.query()
        if query != self.model.query or self.model.rowCount() == 0:
            self.model.set_query(query)

    def _on_period(self) -> None:
        self.period.show_dates_if_custom()
        self.apply_filters()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.model.set_query(self.query())
        else:
            self.refresher.shown_again()

    # --- the thread -----------------------------------------------------------------------

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is None:
            self._clear_thread()
            return
        assert isinstance(row, ConversationRow)
        self.show_thread(row)

    def show_thread(self, row: ConversationRow) -> None:
        """Show one conversation read-only, newest messages first fetched from the server."""
        self.thread_title.setText(self.model.contact_name(row.contact_id))
        inbox = self._context.directory.inbox_name(row.inbox_id)
        started = moment_text(row.created_at)
        self.thread_subtitle.setText(
            self.tr("{inbox} · {origin} · started {when}").format(
                inbox=inbox, origin=origin_text(row.origin, row.campaign), when=started
            )
        )
        self._open_ticket_id = row.open_ticket_id
        self.open_ticket_button.setVisible(row.open_ticket_id is not None)
        self.no_ticket.setVisible(row.open_ticket_id is None)
        self.thread_model.open(row.id, (), False)
        self.thread_stack.setCurrentIndex(1)
        self._tasks.run(self._load_newest(row.id), on_error=self.show_error)

    async def _load_newest(self, conversation_id: int) -> None:
        page = await self._context.api.messages(conversation_id, limit=THREAD_PAGE)
        if self.thread_model.conversation_id == conversation_id:
            self.thread_model.open(conversation_id, page.items, page.has_more)

    def _clear_thread(self) -> None:
        self._open_ticket_id = None
        self.thread_model.open(None, (), False)
        self.thread_stack.setCurrentIndex(0)

    def open_ticket(self) -> None:
        """Open the selected conversation's open ticket in the workspace."""
        if self._open_ticket_id is not None:
            self._tasks.run(self._open(self._open_ticket_id), on_error=self.show_error)

    async def _open(self, ticket_id: int) -> None:
        detail = await self._context.api.ticket(ticket_id)
        self._context.directory.upsert_contacts([detail.contact])
        self.open_requested.emit(detail.ticket)

    # --- feedback -------------------------------------------------------------------------

    def _show_count(self, total: int) -> None:
        self.count_label.setStyleSheet(f"color: {MUTED};")
        if total == 1:
            self.count_label.setText(self.tr("1 conversation"))
        else:
            more = "+" if self.model.total_capped else ""
            self.count_label.setText(
                self.tr("{n} conversations").format(n=whole_number(total) + more)
            )

    def _on_loading(self, loading: bool) -> None:
        if loading and self.model.rowCount() == 0:
            self.count_label.setStyleSheet(f"color: {MUTED};")
            self.count_label.setText(self.tr("Loading…"))

    def show_error(self, sentence: str) -> None:
        self.count_label.setStyleSheet(f"color: {BAD};")
        self.count_label.setText(sentence)

    async def shutdown(self) -> None:
        """Wait for what is still asked of the server (before the client closes)."""
        await self._tasks.wait_idle()

    async def wait_idle(self) -> None:
        """Until the pages and threads asked for so far have arrived (for tests)."""
        await self._tasks.wait_idle()

"""The ticket history as a table model: server-side filters and order, pages fetched on scroll.

Nothing here holds a whole history: rows arrive a page at a time as the view asks for more
(``canFetchMore``/``fetchMore``, guarded against double loads), each row is a small tuple of
ids and numbers (names are looked up when a cell is painted), and a new filter or order starts
again from the first page. Answers to an older query are dropped by generation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from enum import IntEnum
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import QColor

from convos_desktop.core.types import HistoryPage, Ticket, TicketQuery
from convos_desktop.models.directory import Directory
from convos_desktop.ui.formatting import format_duration

log = logging.getLogger("convos.models.history")

ModelIndex = QModelIndex | QPersistentModelIndex
PageFetcher = Callable[[TicketQuery, str | None, int], Awaitable[HistoryPage]]
Runner = Callable[[Coroutine[Any, Any, None]], object]

TICKET_ID_ROLE = Qt.ItemDataRole.UserRole + 1
IS_OPEN_ROLE = Qt.ItemDataRole.UserRole + 2


class HistoryColumn(IntEnum):
    """The history table's columns, in order."""

    OPENED = 0
    CONTACT = 1
    INBOX = 2
    AGENT = 3
    STATUS = 4
    FIRST_RESPONSE = 5
    CLOSED = 6
    RESOLUTION = 7


SORT_KEYS = {
    HistoryColumn.OPENED: "opened",
    HistoryColumn.CONTACT: "contact",
    HistoryColumn.INBOX: "inbox",
    HistoryColumn.AGENT: "agent",
    HistoryColumn.STATUS: "status",
    HistoryColumn.FIRST_RESPONSE: "first_response",
    HistoryColumn.CLOSED: "closed",
    HistoryColumn.RESOLUTION: "resolution",
}
COLUMN_OF_SORT = {key: column for column, key in SORT_KEYS.items()}


class HistoryRow(NamedTuple):
    """What one row of the history keeps: ids, the state and the times (epoch seconds)."""

    id: int
    conversation_id: int
    contact_id: int
    inbox_id: int
    assignee_id: int | None
    is_open: bool
    opened_at: float
    first_response_s: float | None
    closed_at: float | None
    resolution_s: float | None

    @classmethod
    def of(cls, ticket: Ticket) -> HistoryRow:
        opened = ticket.opened_at.timestamp()
        responded = ticket.first_response_at
        closed = ticket.closed_at
        return cls(
            ticket.id,
            ticket.conversation_id,
            ticket.contact_id,
            ticket.inbox_id,
            ticket.assignee_id,
            ticket.is_open,
            opened,
            responded.timestamp() - opened if responded else None,
            closed.timestamp() if closed else None,
            closed.timestamp() - opened if closed else None,
        )


def column_titles() -> dict[HistoryColumn, str]:
    """The header of each column in the UI language."""
    tr = QCoreApplication.translate
    return {
        HistoryColumn.OPENED: tr("TicketHistory", "Opened"),
        HistoryColumn.CONTACT: tr("TicketHistory", "Contact"),
        HistoryColumn.INBOX: tr("TicketHistory", "Inbox"),
        HistoryColumn.AGENT: tr("TicketHistory", "Agent"),
        HistoryColumn.STATUS: tr("TicketHistory", "Status"),
        HistoryColumn.FIRST_RESPONSE: tr("TicketHistory", "First response"),
        HistoryColumn.CLOSED: tr("TicketHistory", "Closed"),
        HistoryColumn.RESOLUTION: tr("TicketHistory", "Resolution time"),
    }


def moment_text(epoch_seconds: float) -> str:
    """A date and time in the UI locale, local time."""
    moment = QDateTime.fromSecsSinceEpoch(int(epoch_seconds), QTimeZone.systemTimeZone())
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


class TicketHistoryModel(QAbstractTableModel):
    """See the module docstring. ``run`` starts a coroutine on the app's loop."""

    loading_changed = Signal(bool)
    total_changed = Signal(int)
    failed = Signal(object)  # the exception of a page that could not be loaded

    def __init__(
        self,
        fetch: PageFetcher,
        run: Runner,
        directory: Directory,
        page_size: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._run = run
        self._directory = directory
        self.page_size = page_size
        self._titles = column_titles()
        self._rows: list[HistoryRow] = []
        self._contacts: dict[int, str] = {}
        self._query = TicketQuery()
        self._cursor: str | None = None
        self._more = False
        self._loading = False
        self._generation = 0
        self.total: int | None = None

    # --- the query ------------------------------------------------------------------------

    @property
    def query(self) -> TicketQuery:
        return self._query

    @property
    def loading(self) -> bool:
        return self._loading

    def set_query(self, query: TicketQuery) -> None:
        """Show the history for ``query`` from its first page."""
        self._generation += 1
        self.beginResetModel()
        self._query = query
        self._rows = []
        self._cursor = None
        self._more = False
        self.total = None
        self.endResetModel()
        self._load(first=True)

    def reload(self) -> None:
        self.set_query(self._query)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order on the server by ``column`` (every column sorts)."""
        key = SORT_KEYS.get(HistoryColumn(column)) if 0 <= column < len(HistoryColumn) else None
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.sort and descending == self._query.descending and self._rows:
            return
        self.set_query(replace(self._query, sort=key, descending=descending))

    # --- paging ---------------------------------------------------------------------------

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._load(first=False)

    def _load(self, first: bool) -> None:
        self._set_loading(True)
        self._run(self._load_page(self._generation, None if first else self._cursor))

    async def _load_page(self, generation: int, cursor: str | None) -> None:
        try:
            page = await self._fetch(self._query, cursor, self.page_size)
        except Exception as exc:
            log.info("history page not loaded: %r", exc)
            if generation == self._generation:
                self._set_loading(False)
                self.failed.emit(exc)
            return
        if generation != self._generation:
            return
        self._add_page(page)

    def _add_page(self, page: HistoryPage) -> None:
        for contact in page.contacts:
            self._contacts[contact.id] = contact.name
        rows = [HistoryRow.of(ticket) for ticket in page.items]
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self._cursor = page.next_cursor
        self._more = page.next_cursor is not None
        if page.total is not None:
            self.total = page.total
            self.total_changed.emit(page.total)
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # --- reading --------------------------------------------------------------------------

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def contact_name(self, contact_id: int) -> str:
        return self._contacts.get(contact_id) or self._directory.contact_name(contact_id)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HistoryColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HistoryColumn):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._titles[HistoryColumn(section)]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == TICKET_ID_ROLE:
            return row.id
        if role == IS_OPEN_ROLE:
            return row.is_open
        column = HistoryColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == HistoryColumn.STATUS:
            return QColor("#1f6feb") if row.is_open else QColor("#57606a")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            HistoryColumn.FIRST_RESPONSE,
            HistoryColumn.RESOLUTION,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: HistoryRow, column: HistoryColumn) -> str:
        tr = QCoreApplication.translate
        dash = "–"
        if column == HistoryColumn.OPENED:
            return moment_text(row.opened_at)
        if column == HistoryColumn.CONTACT:
            return self.contact_name(row.contact_id)
        if column == HistoryColumn.INBOX:
            return self._directory.inbox_name(row.inbox_id)
        if column == HistoryColumn.AGENT:
            if row.assignee_id is None:
                return tr("TicketHistory", "Unassigned")
            return self._directory.agent_name(row.assignee_id) or f"#{row.assignee_id}"
        if column == HistoryColumn.STATUS:
            return tr("TicketHistory", "Open") if row.is_open else tr("TicketHistory", "Closed")
        if column == HistoryColumn.FIRST_RESPONSE:
            return dash if row.first_response_s is None else format_duration(row.first_response_s)
        if column == HistoryColumn.CLOSED:
            return dash if row.closed_at is None else moment_text(row.closed_at)
        return dash if row.resolution_s is None else format_duration(row.resolution_s)


def days_ago(days: int, today: dt.date | None = None) -> dt.date:
    """The UTC day ``days`` before ``today`` (the period presets)."""
    return (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=days)

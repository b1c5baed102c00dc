"""The ticket history as a table: compact rows over ``PagedTableModel`` (server-side
filters, order and paging)."""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    Qt,
)
from PySide6.QtGui import QColor

from convos_desktop.core.types import Ticket, TicketQuery
from convos_desktop.models.directory import Directory
from convos_desktop.models.paged_table import (
    ROW_ID_ROLE,
    PagedTableModel,
    PageFetcher,
    Runner,
    moment_text,
)
from convos_desktop.ui.formatting import format_duration

log = logging.getLogger("convos.models.history")

TICKET_ID_ROLE = ROW_ID_ROLE
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


COLUMNS = tuple(HistoryColumn)  # by number, without the enum's lookup per cell
# what ``cell`` compares and answers, as plain values (asked for every painted cell)
TEXT_ROLES = frozenset({int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole)})
FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole)
ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
OPEN_COLOUR = QColor("#1f6feb")
CLOSED_COLOUR = QColor("#57606a")
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
RIGHT_ALIGNED_COLUMNS = frozenset(
    {int(HistoryColumn.FIRST_RESPONSE), int(HistoryColumn.RESOLUTION)}
)
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


class TicketHistoryModel(PagedTableModel):
    """The ticket history (see ``paged_table``): one compact row per ticket."""

    def __init__(
        self,
        fetch: PageFetcher,
        run: Runner,
        directory: Directory,
        page_size: int = 100,
        parent: QObject | None = None,
    ) -> None:
        titles = column_titles()
        super().__init__(
            fetch,
            run,
            TicketQuery(),
            directory,
            [titles[c] for c in HistoryColumn],
            {int(c): key for c, key in SORT_KEYS.items()},
            page_size,
            parent,
        )

    roles = PagedTableModel.roles | {
        int(IS_OPEN_ROLE),
        int(Qt.ItemDataRole.ForegroundRole),
        int(Qt.ItemDataRole.TextAlignmentRole),
    }

    def make_row(self, item: Any) -> HistoryRow:
        assert isinstance(item, Ticket)
        return HistoryRow.of(item)

    def cell(self, row: Any, column: int, role: int) -> object:
        assert isinstance(row, HistoryRow)
        if role in TEXT_ROLES:
            return self.texts(row)[column]
        if role == FOREGROUND_ROLE:
            if column == HistoryColumn.STATUS:
                return OPEN_COLOUR if row.is_open else CLOSED_COLOUR
            return None
        if role == ALIGNMENT_ROLE:
            return RIGHT_ALIGNED if column in RIGHT_ALIGNED_COLUMNS else None
        if role == IS_OPEN_ROLE:
            return row.is_open
        return None

    def row_texts(self, row: Any) -> tuple[str, ...]:
        assert isinstance(row, HistoryRow)
        return tuple(self._text(row, column) for column in COLUMNS)

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

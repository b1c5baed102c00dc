"""Performance figures for the screen: periods, the report table model and the CSV export.

A report (``GET /reports``) is shown beside the one of the period just before it, so every
figure carries its change. Nothing here touches widgets; the screen in
``ui/screens/performance_screen.py`` asks the core for both reports and hands them to the model.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from convos_desktop.core.types import Report, ReportRow
from convos_desktop.ui.formatting import format_duration, whole_number

ModelIndex = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The raw figure of a cell (numbers sort as numbers; a missing time sorts first)."""


class PeriodKind(StrEnum):
    """The periods the screen offers."""

    TODAY = "today"
    DAYS_7 = "7d"
    DAYS_30 = "30d"
    DAYS_90 = "90d"
    CUSTOM = "custom"


PERIOD_DAYS = {
    PeriodKind.TODAY: 1,
    PeriodKind.DAYS_7: 7,
    PeriodKind.DAYS_30: 30,
    PeriodKind.DAYS_90: 90,
}


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of UTC days, as the server's reports count them."""

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, kind: PeriodKind, today: dt.date) -> Period:
        """The last ``kind`` days up to ``today`` (not for ``CUSTOM``)."""
        days = PERIOD_DAYS[kind]
        return cls(today - dt.timedelta(days=days - 1), today)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (the comparison)."""
        last = self.first - dt.timedelta(days=1)
        return Period(last - dt.timedelta(days=self.days - 1), last)


class Column(IntEnum):
    """The table's columns, in order."""

    NAME = 0
    OPENED = 1
    CLOSED = 2
    BACKLOG = 3
    FIRST_RESPONSE_MEDIAN = 4
    FIRST_RESPONSE_P90 = 5
    RESOLUTION_MEDIAN = 6
    RESOLUTION_P90 = 7


FIELDS: dict[Column, str] = {
    Column.OPENED: "opened",
    Column.CLOSED: "closed",
    Column.BACKLOG: "backlog",
    Column.FIRST_RESPONSE_MEDIAN: "first_response_median_s",
    Column.FIRST_RESPONSE_P90: "first_response_p90_s",
    Column.RESOLUTION_MEDIAN: "resolution_median_s",
    Column.RESOLUTION_P90: "resolution_p90_s",
}
DURATION_COLUMNS = frozenset(
    {
        Column.FIRST_RESPONSE_MEDIAN,
        Column.FIRST_RESPONSE_P90,
        Column.RESOLUTION_MEDIAN,
        Column.RESOLUTION_P90,
    }
)


def column_titles() -> dict[Column, str]:
    """The header of each column in the UI language."""
    tr = QCoreApplication.translate
    return {
        Column.NAME: tr("Performance", "Name"),
        Column.OPENED: tr("Performance", "Opened"),
        Column.CLOSED: tr("Performance", "Closed"),
        Column.BACKLOG: tr("Performance", "Backlog"),
        Column.FIRST_RESPONSE_MEDIAN: tr("Performance", "First response (median)"),
        Column.FIRST_RESPONSE_P90: tr("Performance", "First response (p90)"),
        Column.RESOLUTION_MEDIAN: tr("Performance", "Resolution (median)"),
        Column.RESOLUTION_P90: tr("Performance", "Resolution (p90)"),
    }


Figure = int | float | None


def figure(row: ReportRow, column: Column) -> Figure:
    """The raw figure of ``row`` in ``column`` (not for the name)."""
    value: Figure = getattr(row, FIELDS[column])
    return value


def figure_text(column: Column, value: Figure) -> str:
    """A figure as the table shows it: a count, a duration, or a dash when there is none."""
    if value is None:
        return "–"
    if column in DURATION_COLUMNS:
        return format_duration(float(value))
    return whole_number(int(value))


def change_text(column: Column, value: Figure, before: Figure) -> str | None:
    """``+3`` / ``−2 min`` against the previous period; ``None`` when either is missing."""
    if value is None or before is None:
        return None
    delta = value - before
    if delta == 0:
        return "±0"
    sign = "+" if delta > 0 else "−"
    return sign + figure_text(column, abs(delta))


def lower_is_better(column: Column) -> bool:
    """Whether a fall of this figure is good news (backlog and times)."""
    return column == Column.BACKLOG or column in DURATION_COLUMNS


def change_verdict(column: Column, value: float, before: float) -> bool | None:
    """Whether the change from ``before`` is good news; ``None`` when it is neither: no
    change, or the tickets opened (the customers' demand, not the team's doing)."""
    if value == before or column == Column.OPENED:
        return None
    return value < before if lower_is_better(column) else value > before


class ReportTableModel(QAbstractTableModel):
    """The rows of a report (inboxes or agents) with the previous period's figures beside them.

    ``set_reports`` replaces the whole content at once (a new period or grouping is a new
    table); rows are matched to the previous period's by id.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[ReportRow, ...] = ()
        self._before: dict[int | None, ReportRow] = {}
        self._titles = column_titles()

    def set_reports(self, report: Report | None, previous: Report | None) -> None:
        """Show ``report`` compared with ``previous`` (either may be missing)."""
        self.beginResetModel()
        self._rows = report.rows if report is not None else ()
        self._before = {row.id: row for row in previous.rows} if previous is not None else {}
        self.endResetModel()

    def row_at(self, row: int) -> ReportRow:
        return self._rows[row]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            # "First response (median)" on two lines: the figures' columns stay narrow
            # enough at 1280 px for the names beside them (the CSV keeps one line)
            return self._titles[Column(section)].replace(" (", "\n(")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._titles[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section != Column.NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if column == Column.NAME:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return row.name
            return row.name.casefold() if role == SORT_ROLE else None
        value = figure(row, column)
        if role == Qt.ItemDataRole.DisplayRole:
            return figure_text(column, value)
        if role == SORT_ROLE:
            return -1.0 if value is None else float(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column, value)
        return None

    def _tooltip(self, row: ReportRow, column: Column, value: Figure) -> str:
        before_row = self._before.get(row.id)
        if before_row is None:
            return figure_text(column, value)
        before = figure(before_row, column)
        tr = QCoreApplication.translate
        text = tr("Performance", "Previous period: {before}").format(
            before=figure_text(column, before)
        )
        change = change_text(column, value, before)
        return text if change is None else f"{text} ({change})"


def report_csv_lines(
    report: Report,
    previous: Report | None,
    title: Callable[[Column], str] | None = None,
) -> Iterator[str]:
    """The report as CSV lines (header first): raw figures in seconds, then the previous ones.

    Durations are plain seconds so a spreadsheet can compute with them; the total is the last
    row. ``title`` names the columns (the UI language by default).
    """
    titles = column_titles()
    name_of = title or titles.__getitem__
    before = {row.id: row for row in previous.rows} if previous is not None else {}
    before_total = previous.total if previous is not None else None
    header = [name_of(Column.NAME)]
    for column in FIELDS:
        header.append(name_of(column))
        header.append(
            QCoreApplication.translate("Performance", "{column} (previous period)").format(
                column=name_of(column)
            )
        )
    yield _csv_line(header)
    total_name = QCoreApplication.translate("Performance", "Total")
    for row, earlier in [
        *((row, before.get(row.id)) for row in report.rows),
        (report.total, before_total),
    ]:
        cells: list[str] = [row.name or total_name]
        for column in FIELDS:
            cells.append(_raw(figure(row, column)))
            cells.append(_raw(figure(earlier, column)) if earlier is not None else "")
        yield _csv_line(cells)


def _raw(value: Figure) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _csv_line(cells: list[str]) -> str:
    import csv  # only for an export: ~0.6 MiB resident once imported (issue 16)

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()

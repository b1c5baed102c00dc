"""The filters and table the two history screens (Ticket, Conversazioni) share, built in one
place.

The read-only sortable table of a history, the count label and the search debounce timer; a
labelled combo, the inbox and agent choices kept in step with the directory, and the period
(any time, today, the last 7/30/90 days, or a custom range of two dates) as the UTC days the
server filters on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from PySide6.QtCore import QAbstractItemModel, QCoreApplication, QDate, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHeaderView,
    QLabel,
    QTableView,
    QWidget,
)

from convos_desktop.models.directory import Directory
from convos_desktop.models.paged_table import moment_text

PERIODS: dict[str, int | None] = {"any": None, "today": 0, "7d": 6, "30d": 29, "90d": 89}
CUSTOM = "custom"
SEARCH_DELAY_MS = 300  # typing pauses this long before a history searches
MUTED = "#6b7785"


TITLE_PADDING = 14  # the header section's margins on both sides, and a little air
SORT_ARROW_MARGIN = 4  # the style's header margin beside the sort arrow (half the height)
CELL_PADDING = 16  # a cell's text margins on both sides, and a little air
# 2026-12-28 16:58 UTC: two-digit day and month in every time zone; en_GB writes it
# "28/12/2026 17:58", it_IT "28/12/26 17:58" (the UI language's locale sets the width).
WIDEST_MOMENT = 1798477080


def history_table(
    parent: QWidget,
    model: QAbstractItemModel,
    name: str,
    newest_first_by: int,
    widths: Mapping[int, int],
    moments: Collection[int] = (),
) -> QTableView:
    """A read-only table of ``model``, one row selected at a time, sorted by the column
    ``newest_first_by`` descending, with fixed row heights, the given column widths (or its
    title's, when wider; a column of ``moments`` as wide as the locale writes a date and
    time) and its vertical scroll bar always shown."""
    table = QTableView(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.horizontalHeader().setSortIndicator(newest_first_by, Qt.SortOrder.DescendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(26)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    # A title the agent narrowed ends in "…", never cut at both ends of a centred text.
    table.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
    # Always there: a new filter empties the table until its first page arrives, and a
    # scroll bar that hid and came back would resize the viewport twice, each time a full
    # repaint (and a stretched column's relayout, one more) on every filter change.
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    moment = table.fontMetrics().horizontalAdvance(moment_text(WIDEST_MOMENT)) + CELL_PADDING
    for column, width in widths.items():
        fitting = moment if column in moments else 0
        titled = title_width(table, column, sorted_by=column == newest_first_by)
        table.setColumnWidth(column, max(width, fitting, titled))
    return table


def title_width(table: QTableView, column: int, *, sorted_by: bool = False) -> int:
    """What the column's title needs in bold (a selected row highlights every title), with
    room for the sort arrow when the table opens sorted by it: longer in Italian ("Tempo di
    risoluzione") than the English widths allow. A title with less room ends in "…"."""
    header = table.horizontalHeader()
    title = str(table.model().headerData(column, Qt.Orientation.Horizontal) or "")
    bold = QFont(header.font())
    bold.setBold(True)
    arrow = header.sizeHint().height() // 2 + SORT_ARROW_MARGIN if sorted_by else 0
    return QFontMetrics(bold).horizontalAdvance(title) + TITLE_PADDING + arrow


def count_label(parent: QWidget) -> QLabel:
    """The muted "N found" label of a history."""
    label = QLabel("", parent)
    label.setStyleSheet(f"color: {MUTED};")
    return label


def search_timer(parent: QWidget) -> QTimer:
    """The single-shot timer that waits for a pause in typing before searching."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(SEARCH_DELAY_MS)
    return timer


def labelled_combo(parent: QWidget, name: str, max_width: int) -> QComboBox:
    """A combo box named for screen readers and its tooltip, as wide as its choices."""
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    combo.setToolTip(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setMaximumWidth(max_width)
    return combo


def fill_directory_choices(inbox: QComboBox, agent: QComboBox, directory: Directory) -> None:
    """Every inbox and agent the directory knows, after an "all" choice (selection kept)."""
    tr = QCoreApplication.translate
    for combo, everyone, items in (
        (inbox, tr("HistoryFilters", "All inboxes"), directory.inboxes()),
        (agent, tr("HistoryFilters", "All agents"), directory.agents()),
    ):
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everyone, None)
        for item in items:
            combo.addItem(item.name, item.id)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)


class PeriodFilter:
    """The period combo and the two date edits a custom period shows."""

    def __init__(self, parent: QWidget, name: str, max_width: int) -> None:
        tr = QCoreApplication.translate
        self.combo = labelled_combo(parent, name, max_width)
        for key, label in (
            ("any", tr("HistoryFilters", "Any time")),
            ("today", tr("HistoryFilters", "Today")),
            ("7d", tr("HistoryFilters", "Last 7 days")),
            ("30d", tr("HistoryFilters", "Last 30 days")),
            ("90d", tr("HistoryFilters", "Last 90 days")),
            (CUSTOM, tr("HistoryFilters", "Custom…")),
        ):
            self.combo.addItem(label, key)
        today = QDate.currentDate()
        self.from_edit = QDateEdit(today.addDays(-29), parent)
        self.to_edit = QDateEdit(today, parent)
        for edit, label in (
            (self.from_edit, tr("HistoryFilters", "From")),
            (self.to_edit, tr("HistoryFilters", "To")),
        ):
            edit.setCalendarPopup(True)
            edit.setAccessibleName(label)
            edit.setToolTip(label)
            edit.setVisible(False)

    def widgets(self) -> tuple[QComboBox, QDateEdit, QDateEdit]:
        return self.combo, self.from_edit, self.to_edit

    def show_dates_if_custom(self) -> None:
        custom = self.combo.currentData() == CUSTOM
        self.from_edit.setVisible(custom)
        self.to_edit.setVisible(custom)

    def days(self, today: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
        """The first and last UTC day chosen (``None``: open-ended)."""
        key = self.combo.currentData()
        if key == CUSTOM:
            first = self.from_edit.date().toPython()
            last = self.to_edit.date().toPython()
            assert isinstance(first, dt.date)
            assert isinstance(last, dt.date)
            return min(first, last), max(first, last)
        back = PERIODS.get(key)
        if back is None:
            return None, None
        return (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=back), None

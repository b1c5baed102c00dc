"""The filters and table the two history screens (Ticket, Conversazioni) share, built in one
place.

The read-only sortable table of a history, the count label and the search debounce timer; a
labelled combo, the inbox and agent choices kept in step with the directory, the period (any
time, today, the last 7/30/90 days, or a custom range of two dates) as the UTC days the server
filters on, and the list read again (F5, or shown again after a minute) with its selected row
kept.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
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
from convos_desktop.models.paged_table import ROW_ID_ROLE, PagedTableModel, moment_text
from convos_desktop.ui.formatting import short_time
from convos_desktop.ui.screens.history_cells import HistoryCells

PERIODS: dict[str, int | None] = {"any": None, "today": 0, "7d": 6, "30d": 29, "90d": 89}
CUSTOM = "custom"
SEARCH_DELAY_MS = 300  # typing pauses this long before a history searches
MUTED = "#6b7785"
# A history shown again after this long is read again: an agent back from the conversations
# finds the tickets closed meanwhile, not the list of an hour ago.
STALE_AFTER_S = 60.0


TITLE_PADDING = 14  # the header section's margins on both sides, and a little air
SORT_ARROW_MARGIN = 4  # the style's header margin beside the sort arrow (half the height)
CELL_PADDING = 16  # a cell's text margins on both sides, and a little air
# 2026-12-28 16:58 UTC: two-digit day and month in every time zone; en_GB writes it
# "28/12/2026 17:58", it_IT "28/12/26 17:58" (the UI language's locale sets the width).
WIDEST_MOMENT = 1798477080


class HistoryTable(QTableView):
    """A history's table view: a page appended below the rows already shown repaints only
    where its rows show.

    Qt lays a view out again after any change of its rows (``doItemsLayout``) and repaints the
    whole viewport then. A page arrives as the agent scrolls to the end of what has arrived:
    the rows above it are the same, yet the next scroll step after each page painted every
    visible cell, three times a step's work (issue 16: the history tables' slowest steps).
    After appends alone the scroll range is laid out again and the new rows' part of the
    viewport repainted; a reset, a removal, a move, a layout change, the columns, a style or
    font change, or rows inserted above the end still lay out and repaint everything."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._appended_from: int | None = None  # the first row appended since the last layout
        self._full_layout = False  # something besides appends changed since then

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            for signal in self._structure_signals(old):
                signal.disconnect(self._needs_full_layout)
            old.rowsInserted.disconnect(self._rows_inserted)
        super().setModel(model)
        self._full_layout = True
        if model is not None:
            for signal in self._structure_signals(model):
                signal.connect(self._needs_full_layout)
            model.rowsInserted.connect(self._rows_inserted)

    @staticmethod
    def _structure_signals(model: QAbstractItemModel) -> tuple[Any, ...]:
        return (
            model.modelReset,
            model.layoutChanged,
            model.rowsRemoved,
            model.rowsMoved,
            model.columnsInserted,
            model.columnsRemoved,
            model.columnsMoved,
        )

    def _needs_full_layout(self, *_args: object) -> None:
        self._full_layout = True

    def _rows_inserted(
        self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int
    ) -> None:
        model = self.model()
        if parent.isValid() or model is None or last != model.rowCount() - 1:
            self._full_layout = True  # not an append at the end
        elif self._appended_from is None:
            self._appended_from = first

    def event(self, event: QEvent) -> bool:
        # before Qt's own handling: a style change lays the view out at once
        if event.type() in (
            QEvent.Type.StyleChange,
            QEvent.Type.FontChange,
            QEvent.Type.LayoutDirectionChange,
        ):
            self._full_layout = True
        return super().event(event)

    def doItemsLayout(self) -> None:
        first, self._appended_from = self._appended_from, None
        full, self._full_layout = self._full_layout, False
        if full or first is None:
            super().doItemsLayout()
            return
        self.updateGeometries()  # the scroll bar's range, with the new rows
        viewport = self.viewport()
        top = self.rowViewportPosition(first)
        if top < viewport.height():
            viewport.update(0, max(0, top), viewport.width(), viewport.height() - max(0, top))


def history_table(
    parent: QWidget,
    model: QAbstractItemModel,
    name: str,
    newest_first_by: int,
    widths: Mapping[int, int],
    moments: Collection[int] = (),
) -> QTableView:
    """A read-only table of ``model`` (a paged one's cells painted by ``HistoryCells``), one
    row selected at a time, sorted by the column ``newest_first_by`` descending, with fixed
    row heights, the given column widths (or its title's, when wider; a column of ``moments``
    as wide as the locale writes a date and time) and its vertical scroll bar always shown."""
    table = HistoryTable(parent)
    table.setObjectName(name)
    table.setModel(model)
    if isinstance(model, PagedTableModel):  # each cell's text laid out once, not every paint
        table.setItemDelegate(HistoryCells(table, model))
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


class HistoryRefresh:
    """Reads a history's list again with its filters and order, keeping the selected row
    selected (and in view) when the first page still has it: on F5 (the platform's Refresh
    key) anywhere in ``screen``, and when the screen is shown again ``STALE_AFTER_S`` after
    its list was read. The tables are snapshots: pages of what the server held when read;
    ``label``'s tooltip (the count's) says when, and which key reads it again."""

    def __init__(
        self,
        screen: QWidget,
        table: QTableView,
        model: PagedTableModel,
        label: QLabel | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._table = table
        self._model = model
        self._label = label
        self._clock = clock
        self._read_at: float | None = None  # when the shown list was asked for
        self._keep: int | None = None  # the row id to select again once the first page is in
        shortcut = QShortcut(QKeySequence.StandardKey.Refresh, screen)  # every binding: F5, ⌘R
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh)
        model.modelReset.connect(self._on_reset)
        model.rowsInserted.connect(self._reselect)

    @property
    def read_at(self) -> float | None:
        return self._read_at

    def shown_again(self) -> None:
        """The screen is shown after being away: read the list again if it is stale."""
        if self._read_at is not None and self._clock() - self._read_at >= STALE_AFTER_S:
            self.refresh()

    def refresh(self) -> None:
        """The same query again, from its first page."""
        current = self._table.currentIndex()
        row_id = current.data(ROW_ID_ROLE) if current.isValid() else None
        self._model.set_query(self._model.query)  # resets: the selection goes
        self._keep = row_id if isinstance(row_id, int) else None

    def _on_reset(self) -> None:
        self._read_at = self._clock()
        self._keep = None  # a new query (filters, order) selects nothing again
        if self._label is not None:
            key = QKeySequence(QKeySequence.StandardKey.Refresh)
            self._label.setToolTip(
                QCoreApplication.translate(
                    "HistoryFilters", "Updated at {time}; {key} updates the list."
                ).format(
                    time=short_time(dt.datetime.now(dt.UTC)),
                    key=key.toString(QKeySequence.SequenceFormat.NativeText),
                )
            )

    def _reselect(
        self, _parent: QModelIndex | QPersistentModelIndex, first: int, last: int
    ) -> None:
        keep, self._keep = self._keep, None  # the first page only: a later one is the agent's
        if keep is None:
            return
        for row in range(first, last + 1):
            index = self._model.index(row, 0)
            if index.data(ROW_ID_ROLE) == keep:
                self._table.setCurrentIndex(index)
                self._table.scrollTo(index)
                return

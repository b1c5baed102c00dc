"""The history tables' columns: never narrower than their titles (Italian ones are longer);
a page appended below the rows shown repaints only its own rows."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent, QRegion, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView, QWidget
from pytestqt.qtbot import QtBot

from convos_desktop.ui.screens.history_filters import history_table, title_width

TITLES = ["Aperto il", "Contatto", "Tempo di risoluzione", "Prima risposta"]


def titled_table(qtbot: QtBot, widths: dict[int, int]) -> tuple[QWidget, QTableView]:
    """A history table over an empty model with ``TITLES``, columns asked ``widths`` wide,
    and its parent (kept by the caller: the table goes with it)."""
    parent = QWidget()
    qtbot.addWidget(parent)
    model = QStandardItemModel(0, len(TITLES), parent)
    for column, title in enumerate(TITLES):
        model.setHeaderData(column, Qt.Orientation.Horizontal, title)
    return parent, history_table(parent, model, "t", 0, widths)


def test_a_column_is_as_wide_as_asked_or_as_its_title(qtbot: QtBot) -> None:
    _parent, table = titled_table(qtbot, {0: 200, 1: 40, 2: 60, 3: 90})
    metrics = table.horizontalHeader().fontMetrics()
    assert table.columnWidth(0) == 200  # wider than its title: as asked
    for column in (1, 2, 3):
        needed = metrics.horizontalAdvance(TITLES[column])
        assert table.columnWidth(column) == title_width(table, column) > needed


def test_a_title_keeps_its_room_in_bold_and_beside_the_sort_arrow(qtbot: QtBot) -> None:
    """A selected row highlights every title (bold) and the sorted column draws its arrow
    inside the section: with titles eliding, both must fit or "Casella di posta" reads
    "Casella di po…" as soon as a row is selected."""
    _parent, table = titled_table(qtbot, {0: 10, 1: 10, 2: 10, 3: 10})
    header = table.horizontalHeader()
    assert header.textElideMode() == Qt.TextElideMode.ElideRight
    bold = QFont(header.font())
    bold.setBold(True)
    margins = 2 * 4  # the style's header margin on both sides
    for column in (1, 2, 3):
        needed = QFontMetrics(bold).horizontalAdvance(TITLES[column]) + margins
        assert table.columnWidth(column) > needed
    arrow = header.sizeHint().height() // 2 + 4
    sorted_needed = QFontMetrics(bold).horizontalAdvance(TITLES[0]) + margins + arrow
    assert table.columnWidth(0) > sorted_needed


class Rows(QAbstractTableModel):
    """``count`` rows of three columns; ``append`` adds rows at the end, ``reset`` starts over."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.parent_widget: QWidget | None = None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        return f"{index.row()}.{index.column()}" if role == Qt.ItemDataRole.DisplayRole else None

    def append(self, count: int) -> None:
        self.beginInsertRows(QModelIndex(), self.count, self.count + count - 1)
        self.count += count
        self.endInsertRows()

    def reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()


class PaintedRegion(QObject):
    """What a widget was asked to paint, as one region (an event filter)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.region = QRegion()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QPaintEvent):
            self.region += event.region()
        return False


def shown_rows_table(qtbot: QtBot, rows: int) -> tuple[Rows, QTableView, PaintedRegion]:
    """A 400x300 history table over ``rows`` rows, shown and painted, and a watch on what
    its viewport paints from now on (the table's parent kept by the model)."""
    model = Rows(rows)
    parent = QWidget()
    model.parent_widget = parent
    qtbot.addWidget(parent)
    table = history_table(parent, model, "t", 0, {0: 100, 1: 100, 2: 100})
    parent.resize(400, 300)
    table.resize(400, 300)
    parent.show()
    qtbot.waitExposed(parent)
    settle()
    return model, table, PaintedRegion(table.viewport())


def settle() -> None:
    for _ in range(5):  # the view's delayed layout, then the paint it asked for
        QApplication.processEvents()


def test_a_page_appended_below_the_view_repaints_no_shown_row(qtbot: QtBot) -> None:
    """The next page arrives as the agent scrolls to the end of what arrived: the rows on
    screen stay as they were and are not painted again (a whole viewport's cells were)."""
    model, table, painted = shown_rows_table(qtbot, 100)
    model.append(100)
    settle()
    first_row = table.visualRect(model.index(0, 0))
    assert not painted.region.intersects(first_row)
    assert table.verticalScrollBar().maximum() > 0  # the scroll range has the new rows


def test_a_page_appended_into_view_paints_its_rows_only(qtbot: QtBot) -> None:
    model, table, painted = shown_rows_table(qtbot, 2)
    model.append(3)
    settle()
    assert not painted.region.intersects(table.visualRect(model.index(0, 0)))
    for row in (2, 3, 4):
        assert painted.region.contains(table.visualRect(model.index(row, 1)))


def test_a_reset_still_repaints_every_shown_row(qtbot: QtBot) -> None:
    model, table, painted = shown_rows_table(qtbot, 100)
    model.append(100)  # then, before the view laid out the page, a new query
    model.reset()
    settle()
    assert painted.region.contains(table.visualRect(model.index(0, 0)))


def test_a_font_change_with_a_page_still_repaints_every_shown_row(qtbot: QtBot) -> None:
    model, table, painted = shown_rows_table(qtbot, 100)
    model.append(100)
    font = QFont(table.font())
    font.setPointSize(font.pointSize() + 2)
    table.setFont(font)
    settle()
    assert painted.region.contains(table.visualRect(model.index(0, 0)))

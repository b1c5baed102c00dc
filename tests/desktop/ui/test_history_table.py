"""The history tables' columns: never narrower than their titles (Italian ones are longer)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QStandardItemModel
from PySide6.QtWidgets import QTableView, QWidget
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

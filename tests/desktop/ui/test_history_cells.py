"""The history tables' cells: painted as Qt's own delegate paints them (pixel for pixel), each
text laid out once and kept, the layouts bounded and dropped when what shapes them changes."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QApplication, QStyledItemDelegate, QTableView, QWidget
from pytestqt.qtbot import QtBot

from convos_desktop.core.types import CountedPage, Ticket, TicketHistoryPage, TicketQuery
from convos_desktop.models.directory import Directory
from convos_desktop.models.ticket_history import HistoryColumn, TicketHistoryModel
from convos_desktop.ui.screens.history_cells import HistoryCells
from convos_desktop.ui.screens.history_filters import history_table
from tests.desktop.ui.conftest import BASE_TIME, ME, OTHER, make_contact, make_ticket

WIDTHS = {0: 116, 1: 160, 2: 90, 3: 110, 4: 76, 5: 100, 6: 116, 7: 110}
ROWS = 60


def history(count: int) -> list[Ticket]:
    """Tickets with long contact names, open and closed, some unassigned, their times apart."""
    tickets = []
    for n in range(1, count + 1):
        opened = BASE_TIME + dt.timedelta(minutes=37 * n)
        ticket = make_ticket(
            n,
            contact_id=n,
            assignee_id=None if n % 5 == 0 else (ME.id if n % 2 else OTHER.id),
            status="open" if n % 3 == 0 else "closed",
        )
        closed = n % 3 != 0
        tickets.append(
            replace(
                ticket,
                opened_at=opened,
                first_response_at=opened + dt.timedelta(seconds=40 * n),
                closed_at=opened + dt.timedelta(minutes=n) if closed else None,
            )
        )
    return tickets


def names(n: int) -> str:
    return f"Cliente con un nome molto lungo numero {n:04d}" if n % 4 else f"Cliente {n}"


def drive(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a page load to its end at once (the fetch below never waits)."""
    with contextlib.suppress(StopIteration):
        coroutine.send(None)


class Tables:
    """The same history shown twice: through ``HistoryCells`` and through Qt's own delegate."""

    def __init__(self, qtbot: QtBot, directory: Directory, count: int = ROWS) -> None:
        self.tickets = history(count)
        self.parent = QWidget()
        qtbot.addWidget(self.parent)
        self.cells = self._table(directory, stock=False)
        self.stock = self._table(directory, stock=True)
        self.stock.move(0, 400)
        self.parent.resize(900, 800)
        self.parent.show()
        QApplication.processEvents()

    async def fetch(self, _query: TicketQuery, cursor: str | None, limit: int) -> TicketHistoryPage:
        items = tuple(self.tickets)
        contacts = tuple(make_contact(t.contact_id, names(t.contact_id)) for t in items)
        return CountedPage(items, contacts, None, len(items))

    def _table(self, directory: Directory, *, stock: bool) -> QTableView:
        model = TicketHistoryModel(self.fetch, drive, directory, page_size=len(self.tickets))
        model.set_query(TicketQuery())
        table = history_table(self.parent, model, "t", 0, WIDTHS, moments=(0, 6))
        if stock:
            table.setItemDelegate(QStyledItemDelegate(table))
        table.setGeometry(0, 0, 900, 400)
        return table

    @property
    def delegate(self) -> HistoryCells:
        delegate = self.cells.itemDelegate()
        assert isinstance(delegate, HistoryCells)
        return delegate

    def both(self) -> Iterator[QTableView]:
        yield self.cells
        yield self.stock

    def images(self, focused: bool) -> tuple[QImage, QImage]:
        """Both viewports as painted, each with the focus (its current cell framed) or not."""
        grabbed = []
        for table in self.both():
            if focused:
                table.setFocus()
            else:
                self.parent.setFocus()
            QApplication.processEvents()
            grabbed.append(table.viewport().grab().toImage())
        return grabbed[0], grabbed[1]

    def assert_same(self, *, focused: bool = False) -> None:
        cells, stock = self.images(focused)
        assert cells.size() == stock.size()
        assert cells == stock, "the cells differ from Qt's own paint"


@pytest.fixture
def tables(qtbot: QtBot, directory: Directory) -> Tables:
    return Tables(qtbot, directory)


def test_the_cells_look_as_qt_paints_them(tables: Tables) -> None:
    """Dates, long names elided, an unassigned row, coloured statuses, durations aligned
    right, right to left, a selected row, the current cell: pixel for pixel."""
    tables.assert_same()
    assert tables.delegate.laid_out > 0  # painted by the delegate, not handed to Qt
    for table in tables.both():
        table.scrollTo(table.model().index(40, 0))
    tables.assert_same()
    for table in tables.both():
        table.setCurrentIndex(table.model().index(43, HistoryColumn.AGENT))
        table.selectRow(42)
    tables.assert_same()
    tables.assert_same(focused=True)
    for table in tables.both():
        table.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    tables.assert_same()
    tables.assert_same(focused=True)


def test_a_repaint_or_a_scroll_lays_out_only_texts_not_seen(tables: Tables) -> None:
    delegate = tables.delegate
    tables.cells.viewport().repaint()
    first = delegate.laid_out
    shown_cells = (tables.cells.viewport().height() // 26 + 1) * len(WIDTHS)
    assert 0 < first < shown_cells  # the inbox, the agents, the statuses repeat
    tables.cells.viewport().repaint()
    assert delegate.laid_out == first  # every text kept
    bar = tables.cells.verticalScrollBar()
    bar.setValue(bar.value() + 3)  # a scroll step: three rows come into view
    QApplication.processEvents()
    assert 0 < delegate.laid_out - first <= 3 * 4  # their dates, names, times; not the rest
    tables.stock.verticalScrollBar().setValue(bar.value())
    tables.assert_same()


def test_a_font_change_lays_every_text_out_again(tables: Tables) -> None:
    delegate = tables.delegate
    tables.cells.viewport().repaint()
    before = delegate.laid_out
    for table in tables.both():
        font = QFont(table.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        table.setFont(font)
    assert delegate.kept == 0  # nothing laid out in the old font is kept
    tables.assert_same()
    assert delegate.laid_out - before == delegate.kept > 0  # every text laid out again


def test_a_narrower_column_elides_its_texts_again(tables: Tables) -> None:
    delegate = tables.delegate
    tables.cells.viewport().repaint()
    assert delegate.kept > 0
    for table in tables.both():
        table.setColumnWidth(HistoryColumn.AGENT, 60)
        table.setColumnWidth(HistoryColumn.OPENED, 70)
    assert delegate.kept == 0  # dropped with the width they were laid out for
    tables.assert_same()


def test_another_locale_writes_and_lays_the_texts_out_again(tables: Tables) -> None:
    saved = QLocale()
    try:
        QLocale.setDefault(QLocale("en_US"))
        tables.assert_same()
        english = tables.cells.model().index(0, HistoryColumn.OPENED).data()
        QLocale.setDefault(QLocale("it_IT"))
        tables.cells.viewport().repaint()
        italian = tables.cells.model().index(0, HistoryColumn.OPENED).data()
        assert italian != english
        tables.assert_same()
    finally:
        QLocale.setDefault(saved)


def test_the_layouts_kept_are_bounded(qtbot: QtBot, directory: Directory) -> None:
    tables = Tables(qtbot, directory, count=200)
    table = tables.cells
    delegate = HistoryCells(table, table.model(), kept=40)  # type: ignore[arg-type]
    table.setItemDelegate(delegate)
    bar = table.verticalScrollBar()
    while bar.value() < bar.maximum():
        bar.setValue(bar.value() + 5)
        QApplication.processEvents()
    assert delegate.laid_out > 40
    assert delegate.kept == 40
    tables.stock.verticalScrollBar().setValue(bar.value())
    tables.assert_same()


def test_a_text_on_two_lines_is_left_to_qt(qtbot: QtBot, directory: Directory) -> None:
    tables = Tables(qtbot, directory, count=3)
    directory.set_agents([ME, replace(OTHER, name="Marco\nBianchi")])
    for table in tables.both():
        table.model().forget_texts()  # type: ignore[attr-defined]
        table.setRowHeight(1, 40)
    tables.assert_same()

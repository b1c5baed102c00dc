"""TicketListView: a changed ticket repaints its row without laying out the whole list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from convos_desktop.core.types import TicketsChanged, View
from convos_desktop.models.directory import Directory
from convos_desktop.models.ticket_list import TicketListModel, TicketRole
from convos_desktop.ui.ticket_delegate import TicketDelegate
from convos_desktop.ui.ticket_view import TicketListView
from tests.desktop.ui.conftest import make_ticket

TICKETS = 2000


class CountingModel(TicketListModel):
    """Counts ``rowCount`` calls: a layout of the list asks it about twice per row."""

    row_count_calls = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        self.row_count_calls += 1
        return super().rowCount(parent)


class PaintedRows(TicketDelegate):
    """Remembers which tickets were painted."""

    def __init__(self) -> None:
        super().__init__()
        self.painted: list[int] = []

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.painted.append(index.data(TicketRole.TICKET_ID))
        super().paint(painter, option, index)


def test_marking_one_ticket_read_repaints_it_without_a_relayout(qtbot, directory: Directory):
    model = CountingModel(directory)
    model.set_view(View.ALL)
    model.apply(
        TicketsChanged(upserted=tuple(make_ticket(i, minutes=i) for i in range(1, TICKETS + 1)))
    )
    view = TicketListView()
    qtbot.addWidget(view)
    delegate = PaintedRows()
    view.setItemDelegate(delegate)
    view.setModel(model)
    view.resize(300, 600)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: bool(delegate.painted))
    assert model.row_count_calls >= TICKETS  # the first layout did visit every row
    model.row_count_calls = 0
    delegate.painted.clear()
    shown = model.ticket_at(2)
    assert shown is not None
    assert model.is_unread(shown)

    model.mark_read(shown.id)

    qtbot.waitUntil(lambda: shown.id in delegate.painted)
    assert model.row_count_calls < 100
    assert not model.data(model.index(2), TicketRole.UNREAD)
    assert view.visualRect(model.index(2)).top() == 2 * view.visualRect(model.index(0)).height()

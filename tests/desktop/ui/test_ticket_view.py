"""TicketListView: a changed ticket repaints its row without laying out the whole list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from convos_desktop.core.types import TicketsChanged, View
from convos_desktop.models.directory import Directory
from convos_desktop.models.ticket_list import TicketListModel, TicketRole
from convos_desktop.ui.workspace.ticket_delegate import TicketDelegate
from convos_desktop.ui.workspace.ticket_view import TicketListView
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


def _ticket_under(view: TicketListView, y: int) -> int:
    return view.indexAt(QPoint(20, y)).data(TicketRole.TICKET_ID)


def test_new_tickets_at_the_top_leave_the_rows_under_the_mouse_still(qtbot, directory: Directory):
    """Scrolled to the very top, the mouse over row k: a burst of new tickets (and one that
    jumps to the top with a new message) lands above the viewport; the ticket under row k's
    position stays the same, and a pill says how many arrived and scrolls up to them."""
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.apply(TicketsChanged(upserted=tuple(make_ticket(i, minutes=i) for i in range(1, 201))))
    view = TicketListView()
    qtbot.addWidget(view)
    view.setItemDelegate(TicketDelegate(view))
    view.setModel(model)
    view.resize(320, 600)
    view.show()
    qtbot.waitExposed(view)
    assert view.verticalScrollBar().value() == 0
    row_k = 3
    y = view.visualRect(model.index(row_k)).center().y()
    under_mouse = _ticket_under(view, y)
    first_visible = _ticket_under(view, 2)

    for burst in range(5):  # five sync batches, one event loop turn apart
        model.apply(TicketsChanged(upserted=(make_ticket(1000 + burst, minutes=500 + burst),)))
        qtbot.wait(1)
    model.apply(TicketsChanged(upserted=(make_ticket(150, minutes=600),)))  # a jump to the top
    qtbot.wait(20)

    assert _ticket_under(view, y) == under_mouse
    assert _ticket_under(view, 2) == first_visible
    assert view.new_above == 6
    assert view.new_pill.isVisible()
    assert view.new_pill.text() == "↑ 6 new"

    view.new_pill.click()
    qtbot.wait(20)
    assert view.verticalScrollBar().value() == 0
    assert _ticket_under(view, 2) == 150  # the newest activity
    assert not view.new_pill.isVisible()


def test_scrolled_down_the_visible_rows_stay_when_rows_come_and_go_above(
    qtbot, directory: Directory
):
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.apply(TicketsChanged(upserted=tuple(make_ticket(i, minutes=i) for i in range(1, 201))))
    view = TicketListView()
    qtbot.addWidget(view)
    view.setItemDelegate(TicketDelegate(view))
    view.setModel(model)
    view.resize(320, 600)
    view.show()
    qtbot.waitExposed(view)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    qtbot.wait(10)
    y = 250
    under_mouse = _ticket_under(view, y)
    model.apply(TicketsChanged(upserted=(make_ticket(999, minutes=999),)))
    model.apply(TicketsChanged(removed_ids=(200, 199)))  # rows above the viewport go
    qtbot.wait(20)
    assert _ticket_under(view, y) == under_mouse
    assert view.new_pill.text() == "↑ 1 new"
    view.verticalScrollBar().setValue(0)  # the agent scrolls up: seen
    assert not view.new_pill.isVisible()

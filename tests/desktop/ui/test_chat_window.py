"""The chat view's scroll window: rows dropped far from the viewport in both directions and
paged back from the history source with the row at the top of the view kept in place; live
messages and local echoes while the newest rows are left out; revealing a dropped message."""

from __future__ import annotations

import asyncio
import gc

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from convos_desktop.core.types import Direction, MessagesChanged
from convos_desktop.models.thread import MessageRole, ThreadModel
from convos_desktop.ui.chat.chat_view import ChatView
from convos_desktop.ui.chat.message_delegate import MessageDelegate
from convos_desktop.ui.chat.reveal import MessageRevealer
from tests.desktop.ui.conftest import ListHistory, make_message, next_emission

THREAD = 600


@pytest.fixture(autouse=True)
def views_freed_on_the_gui_thread():
    """Views are collected on the GUI thread (see test_chat_view)."""
    yield
    gc.collect()


class CountingView(ChatView):
    """Counts the full layouts (every row measured again)."""

    layouts = 0

    def doItemsLayout(self) -> None:
        self.layouts += 1
        super().doItemsLayout()


async def windowed_view(qtbot) -> tuple[ChatView, ThreadModel, ListHistory]:
    history = ListHistory(
        [make_message(body=f"messaggio {i} " * (1 + i % 6), minutes=i) for i in range(THREAD)]
    )
    model = ThreadModel(history)
    view = CountingView(model, MessageDelegate())
    qtbot.addWidget(view)
    view.resize(QSize(700, 500))
    view.show()
    model.open(1, *history.latest())
    await asyncio.sleep(0.05)
    assert view.is_at_bottom()
    return view, model, history


def top_row(view: ChatView) -> tuple[str, int]:
    index = view.indexAt(QPoint(0, 0))
    return index.data(MessageRole.ROW_KEY), view.visualRect(index).bottom()


def bottom_of(view: ChatView, model: ThreadModel, key: str) -> int:
    row = model.row_of_key(key)
    assert row >= 0, "the anchor row was dropped"
    return view.visualRect(model.index(row)).bottom()


async def scroll_to_edge(view: ChatView, model: ThreadModel, top: bool) -> bool:
    """Scroll to one edge; when a page loads, check the top row stayed where it was."""
    bar = view.verticalScrollBar()
    signal = model.older_loaded if top else model.newer_loaded
    loaded = asyncio.ensure_future(next_emission(signal, 2.0))
    bar.setValue(bar.minimum() if top else bar.maximum())
    key, bottom = top_row(view)
    if not (model.is_loading or model.has_ready_page(top)):  # a page read ahead goes in next
        loaded.cancel()
        return False
    await loaded
    await asyncio.sleep(0)
    assert abs(bottom_of(view, model, key) - bottom) <= 1  # no visible jump
    return True


async def test_scrolling_through_the_thread_keeps_a_bounded_window(qtbot) -> None:
    view, model, history = await windowed_view(qtbot)
    window = view._window_rows()
    most = 0
    while await scroll_to_edge(view, model, top=True):
        most = max(most, model.rowCount())
    assert model.message_at(0).body.startswith("messaggio 0 ")
    assert model.has_newer
    assert not model.has_older
    assert most <= window < THREAD
    assert not view.is_at_bottom()
    while await scroll_to_edge(view, model, top=False):
        assert model.rowCount() <= window
    assert not model.has_newer
    assert model.has_older
    assert model.message_at(model.rowCount() - 1).id == history.messages[-1].id
    assert view.is_at_bottom()
    # pinned again: a live message shows and the view follows it
    model.apply(MessagesChanged(1, upserted=(make_message(body="new", minutes=THREAD + 1),)))
    assert model.message_at(model.rowCount() - 1).body == "new"
    assert view.is_at_bottom()


async def test_live_message_and_local_echo_while_away_from_the_bottom(qtbot) -> None:
    view, model, history = await windowed_view(qtbot)
    while not model.has_newer:
        assert await scroll_to_edge(view, model, top=True)
    rows, key, bottom = model.rowCount(), *top_row(view)
    live = make_message(body="live", minutes=THREAD + 1)
    history.messages.append(live)
    model.apply(MessagesChanged(1, upserted=(live,)))
    assert model.rowCount() == rows  # it comes with the newest page
    assert bottom_of(view, model, key) == bottom

    echo = make_message(id=-9, body="mine", minutes=THREAD + 2, direction=Direction.OUT)
    history.messages.append(echo)
    reset = asyncio.ensure_future(next_emission(model.modelReset))
    model.apply(MessagesChanged(1, upserted=(echo,)))
    await reset
    await asyncio.sleep(0.02)
    assert [model.message_at(model.rowCount() - r).body for r in (2, 1)] == ["live", "mine"]
    assert view.is_at_bottom()


@pytest.mark.parametrize("which", ["dropped newer", "far older"])
async def test_revealing_a_message_outside_the_window(qtbot, which) -> None:
    view, model, history = await windowed_view(qtbot)
    while which == "dropped newer" and not model.has_newer:
        assert await scroll_to_edge(view, model, top=True)
    target = history.messages[-10 if which == "dropped newer" else 20]
    assert model.row_of_id(target.id) < 0
    revealer = MessageRevealer(view, model)
    revealed = asyncio.ensure_future(next_emission(revealer.revealed))
    revealer.reveal(1, target.id)
    assert (await revealed)[0] == target.id
    row = model.row_of_id(target.id)
    assert view.currentIndex().row() == row
    assert view.visualRect(model.index(row)).intersects(view.viewport().rect())
    assert len(history.calls) + len(history.newer_calls) <= 12  # not page by page


async def test_wheel_notches_meet_pages_read_ahead_and_measured(qtbot) -> None:
    view, model, history = await windowed_view(qtbot)
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    viewport = view.viewport()
    where = QPointF(viewport.width() / 2, viewport.height() / 2)
    pages: list[tuple[int, int, int]] = []  # (layouts computed, full layouts, anchor moved)
    before: list[tuple[int, int, str, int]] = []

    def arriving() -> None:
        before[:] = [(delegate.layouts_computed, view.layouts, *top_row(view))]

    def loaded(_rows: int) -> None:  # after the view's own handler: laid out, anchor back
        computed, layouts, key, bottom = before[0]
        moved = bottom_of(view, model, key) - bottom
        pages.append((delegate.layouts_computed - computed, view.layouts - layouts, moved))

    model.page_arriving.connect(arriving)
    model.older_loaded.connect(loaded)
    for _ in range(400):
        if not model.has_older:
            break
        wheel = QWheelEvent(
            where,
            viewport.mapToGlobal(where),
            QPoint(0, 0),
            QPoint(0, 240),  # two notches at once
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, wheel)
        await asyncio.sleep(0.002)
    assert not model.has_older
    assert len(pages) >= 8
    assert model.rowCount() <= view._window_rows()
    for computed, layouts, moved in pages[1:]:  # the first page was not read ahead
        assert computed <= 2  # its rows were measured before the notch that needed them
        assert layouts == 1  # one layout for the insertion and the rows dropped
        assert abs(moved) <= 1  # the top row stayed where it was
    assert len(history.calls) == len(pages)  # each page read once

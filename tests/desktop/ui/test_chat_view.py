"""Chat view and delegates: no widget per message, paging without jumps, pinned bottom, no
overflow for long names and messages."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gc
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem, QWidget

from convos_desktop.core.types import (
    Delivery,
    Direction,
    FileInfo,
    MessagesChanged,
    Reaction,
    ReplyPreview,
    Status,
    View,
)
from convos_desktop.models.thread import ThreadModel
from convos_desktop.models.ticket_list import TicketListModel
from convos_desktop.ui.chat import message_delegate
from convos_desktop.ui.chat.chat_view import TAIL_ROW_PX, TAIL_ROWS, ChatView
from convos_desktop.ui.chat.message_delegate import (
    Fonts,
    Hit,
    MessageDelegate,
    find_links,
    height_key,
    height_row_key,
    layout_message,
)
from convos_desktop.ui.errors import failed_send_sentence
from convos_desktop.ui.workspace.ticket_actions import reaction_block_reason
from convos_desktop.ui.workspace.ticket_delegate import TicketDelegate
from tests.desktop.ui.conftest import (
    ListHistory,
    make_contact,
    make_message,
    make_ticket,
    next_emission,
)

LONG_NAME = "Maria Giuseppina Antonietta " * 8
LONG_WORD = "Supercalifragilistichespiralidoso" * 40


@pytest.fixture(autouse=True)
def views_freed_on_the_gui_thread():
    """Views live in reference cycles (their signal connections): collect them here, on the
    GUI thread, not in whatever thread the next test's garbage collection happens to run
    (a store's writer thread), where Qt refuses to stop their timers."""
    yield
    gc.collect()


def make_view(qtbot, history: ListHistory, size=QSize(900, 700)) -> tuple[ChatView, ThreadModel]:
    model = ThreadModel(history)
    view = ChatView(model, MessageDelegate())
    qtbot.addWidget(view)
    view.resize(size)
    view.show()
    return view, model


def test_ten_thousand_messages_without_a_widget_each(qtbot) -> None:
    messages = [
        make_message(body=f"messaggio {i} " * (1 + i % 7), minutes=i) for i in range(10_000)
    ]
    view, model = make_view(qtbot, ListHistory(messages))
    widgets_before = len(view.findChildren(QWidget))
    started = time.perf_counter()
    model.open(1, messages, has_older=False)
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0)
    bar = view.verticalScrollBar()
    for fraction in (0.0, 0.5, 0.25, 1.0):
        bar.setValue(int(bar.maximum() * fraction))
        qtbot.wait(1)
    elapsed = time.perf_counter() - started
    assert model.rowCount() == 10_000
    assert len(view.findChildren(QWidget)) == widgets_before
    assert elapsed < 20
    assert view.indexAt(view.viewport().rect().center()).isValid()


async def test_scrolling_up_loads_older_pages_without_jumping(qtbot) -> None:
    history = ListHistory([make_message(body=f"m{i}", minutes=i) for i in range(200)])
    view, model = make_view(qtbot, history, QSize(700, 500))
    latest, has_more = history.latest()
    model.open(1, latest, has_more)
    await asyncio.sleep(0.05)
    assert view.is_at_bottom()
    anchor = model.index(0)
    loaded = asyncio.ensure_future(next_emission(model.older_loaded))
    view.verticalScrollBar().setValue(0)
    bottom_before = view.visualRect(anchor).bottom()  # the sender line above may go
    await loaded
    await asyncio.sleep(0.02)
    assert model.rowCount() == 100
    moved_anchor = model.index(50)
    assert moved_anchor.data() == "m150"
    assert abs(view.visualRect(moved_anchor).bottom() - bottom_before) <= 1
    assert len(history.calls) == 1


async def test_new_message_keeps_bottom_pinned_only_when_at_bottom(qtbot) -> None:
    messages = [make_message(body=f"m{i}", minutes=i) for i in range(80)]
    view, model = make_view(qtbot, ListHistory(messages), QSize(600, 400))
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    assert view.is_at_bottom()
    model.apply(MessagesChanged(1, upserted=(make_message(body="new one", minutes=100),)))
    assert view.is_at_bottom()

    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    value = view.verticalScrollBar().value()
    model.apply(MessagesChanged(1, upserted=(make_message(body="another", minutes=101),)))
    assert view.verticalScrollBar().value() == value


def test_context_menu_offers_the_right_actions(qtbot) -> None:
    view, _model = make_view(qtbot, ListHistory([]))
    file = FileInfo(
        5, "fattura.pdf", "document", "application/pdf", 12345, "", None, None, False, "/f/5"
    )
    failed = make_message(
        id=-1,
        body="x",
        direction=Direction.OUT,
        client_id="c",
        delivery=Delivery.FAILED,
        error="ticket_closed",
    )
    normal = make_message(body="hello", files=(file,))
    texts = lambda menu: [a.text() for a in menu.actions() if a.text()]  # noqa: E731
    assert texts(view.build_context_menu(normal)) == [
        "Reply",
        "React",
        "Copy text",
        "Open attachment",
        "Save attachment…",
    ]
    menu = view.build_context_menu(failed)
    assert texts(menu) == [
        "Copy text",
        "Not sent: the ticket is closed",
        "Retry sending",
        "Discard",
    ]
    assert not next(a for a in menu.actions() if a.text().startswith("Not sent")).isEnabled()


def test_reacting_is_disabled_with_the_reason_while_unavailable(qtbot) -> None:
    """Unavailable: React is disabled in the menu, the reason is shown, chips do nothing."""
    view, _model = make_view(qtbot, ListHistory([]))
    message = make_message(body="hello", reactions=(Reaction("👍", (2,)),))
    reason = reaction_block_reason(Status.UNAVAILABLE)
    assert reason
    assert reaction_block_reason(Status.BUSY) == ""
    view.set_reaction_block(reason)
    menu = view.build_context_menu(message)
    react = next(a for a in menu.actions() if a.text() == "React")
    assert not react.isEnabled()
    line = next(a for a in menu.actions() if a.text() == reason)
    assert not line.isEnabled()
    toggled: list[str] = []
    refused: list[str] = []
    view.reactionToggled.connect(lambda _m, emoji: toggled.append(emoji))
    view.reactionRefused.connect(refused.append)
    view._activate(message, Hit("reaction", reaction=message.reactions[0]))
    assert (toggled, refused) == ([], [reason])
    view.set_reaction_block("")
    menu = view.build_context_menu(message)
    assert next(a for a in menu.actions() if a.text() == "React").isEnabled()
    assert all(a.text() != reason for a in menu.actions())
    view._activate(message, Hit("reaction", reaction=message.reactions[0]))
    assert toggled == ["👍"]


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        ("ticket_closed", "Not sent: the ticket is closed"),
        ("agent_not_online: Set your status to Online to do this", "Not sent: you are not Online"),
        ("The inbox is paused", "Not sent: The inbox is paused"),
        (None, "Not sent: the server refused it"),
    ],
)
def test_a_failed_send_says_why_in_a_sentence(qtbot, error, sentence) -> None:
    failed = make_message(
        id=-1, body="x", direction=Direction.OUT, client_id="c", delivery=Delivery.FAILED
    )
    failed = dataclasses.replace(failed, error=error)
    assert failed_send_sentence(error) == sentence
    layout = layout_message(failed, None, True, 800, Fonts(QWidget().font()))
    assert layout.failed_text.startswith(sentence + ".")


def paint_row(delegate, model_index, width: int, height: int, margin: int = 40) -> QImage:
    image = QImage(width + 2 * margin, height + 2 * margin, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.rect = QRect(margin, margin, width, height)
    option.font = QWidget().font()
    delegate.paint(painter, option, model_index)
    painter.end()
    return image


def painted_outside(image: QImage, margin: int) -> bool:
    width, height = image.width(), image.height()
    for x in range(width):
        for y in range(height):
            inside = margin <= x < width - margin and margin <= y < height - margin
            if not inside and image.pixelColor(x, y).alpha() != 0:
                return True
    return False


def test_ticket_delegate_elides_long_names_and_previews(qtbot, directory) -> None:
    directory.upsert_contacts([replace(make_contact(1), name=LONG_NAME)])
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.set_tickets([make_ticket(1, body=LONG_WORD)])
    model.set_draft_marker(1, True)
    delegate = TicketDelegate()
    option = QStyleOptionViewItem()
    option.font = QWidget().font()
    height = delegate.sizeHint(option, model.index(0)).height()
    image = paint_row(delegate, model.index(0), 280, height, margin=30)
    assert not painted_outside(image, 30)


@pytest.mark.parametrize(
    "direction", [Direction.IN, Direction.OUT, Direction.NOTE, Direction.SYSTEM]
)
def test_message_delegate_keeps_long_content_inside_the_row(qtbot, direction) -> None:
    file = FileInfo(
        5, LONG_NAME + ".pdf", "document", "application/pdf", 10**6, "", None, None, False, "/f/5"
    )
    message = make_message(
        body=LONG_WORD + " https://example.com/" + "a" * 300,
        direction=direction,
        sender_name=LONG_NAME,
        reply_preview=ReplyPreview(1, LONG_WORD, LONG_NAME, Direction.IN),
        reactions=(Reaction("👍", (1, 2)), Reaction("❤️", (1,))),
        files=(file,),
    )
    model = ThreadModel(ListHistory([]))
    model.open(1, [message], has_older=False)
    delegate = MessageDelegate()
    option = QStyleOptionViewItem()
    option.font = QWidget().font()
    option.rect = QRect(0, 0, 360, 0)
    height = delegate.sizeHint(option, model.index(0)).height()
    assert height > 100
    image = paint_row(delegate, model.index(0), 360, height, margin=30)
    assert not painted_outside(image, 30)


def test_row_heights_are_cached_per_message_and_width(qtbot) -> None:
    model = ThreadModel(ListHistory([]))
    first = make_message(body="ciao " * 40)
    model.open(1, [first], has_older=False)
    delegate = MessageDelegate()
    option = QStyleOptionViewItem()
    option.font = QWidget().font()
    option.rect = QRect(0, 0, 500, 0)
    narrow = delegate.sizeHint(option, model.index(0)).height()
    delegate.sizeHint(option, model.index(0))
    assert delegate.layouts_computed == 1
    option.rect = QRect(0, 0, 250, 0)
    assert delegate.sizeHint(option, model.index(0)).height() > narrow
    model.apply(MessagesChanged(1, upserted=(replace(first, reactions=(Reaction("👍", (1,)),)),)))
    option.rect = QRect(0, 0, 500, 0)
    assert delegate.sizeHint(option, model.index(0)).height() > narrow
    assert delegate.layouts_computed == 3


def row_option(width: int) -> QStyleOptionViewItem:
    option = QStyleOptionViewItem()
    option.font = QWidget().font()
    option.rect = QRect(0, 0, width, 0)
    return option


def test_the_heights_of_rows_in_use_outlive_the_rows_measured_since(qtbot) -> None:
    """Heights are kept in two generations: the rows of the open view, asked on every
    layout, keep theirs while pages of other rows are measured past the limit (a thread
    scrolled through), so the view's next layout lays out none of them again."""
    model = ThreadModel(ListHistory([]))
    model.open(1, [make_message(id=i, body=f"riga {i}", minutes=i) for i in range(10)], False)
    delegate = MessageDelegate()
    delegate.HEIGHT_CACHE_LIMIT = 40
    delegate.LAYOUT_CACHE_LIMIT = 5  # their layouts go: only the heights can spare the work
    option = row_option(500)
    on_screen = [delegate.sizeHint(option, model.index(row)) for row in range(10)]
    for page in range(10):  # ten pages read ahead, a layout of the view between two
        for i in range(10):
            other = make_message(2, id=1000 + 10 * page + i, body=f"altra {page} {i}")
            parts = (f"m:{other.id}", 0, None, True)
            delegate.measure_ahead(other, parts, 500, option.font)
        assert [delegate.sizeHint(option, model.index(row)) for row in range(10)] == on_screen
    assert len(delegate._heights) + len(delegate._older_heights) <= 40
    computed = delegate.layouts_computed
    assert [delegate.sizeHint(option, model.index(row)) for row in range(10)] == on_screen
    assert delegate.layouts_computed == computed  # every height of the view still known
    assert delegate.layouts_computed == 10 + 100  # each row laid out once


def test_a_thread_scrolled_through_keeps_the_heights_of_a_few_windows_only(qtbot) -> None:
    """10,000 rows measured (a 10k-message thread scrolled through end to end) leave at most
    ``HEIGHT_CACHE_LIMIT`` heights, room for several thread windows with their pages read
    ahead (a model holds 200 rows at most in the benchmark's thread)."""
    delegate = MessageDelegate()
    font = QWidget().font()
    assert 1_000 <= MessageDelegate.HEIGHT_CACHE_LIMIT <= 2_000
    for i in range(10_000):
        message = make_message(id=i, body=f"messaggio {i}", minutes=i)
        delegate.measure_ahead(message, (f"m:{i}", 0, None, i % 7 == 0), 452, font)
    limit = MessageDelegate.HEIGHT_CACHE_LIMIT
    kept = {height_row_key(key) for key in (*delegate._heights, *delegate._older_heights)}
    assert limit // 2 <= len(kept) <= limit
    assert kept >= {f"m:{i}" for i in range(10_000 - limit // 2, 10_000)}  # the newest stay


def test_only_http_links_are_clickable() -> None:
    text = "vedi https://convos.test/ordine?id=1. oppure www.example.com, non javascript:alert(1)"
    urls = [url.toString() for _s, _l, url in find_links(text)]
    assert urls == ["https://convos.test/ordine?id=1", "https://www.example.com"]


def test_layout_puts_incoming_left_and_outgoing_right(qtbot) -> None:
    fonts = Fonts(QWidget().font())
    incoming = layout_message(make_message(body="hi"), None, True, 800, fonts)
    outgoing = layout_message(
        make_message(body="hi", direction=Direction.OUT), None, True, 800, fonts
    )
    assert incoming.bubble.left() < 100 < 700 < outgoing.bubble.right()


class CountingDelegate(MessageDelegate):
    """Counts the view's row measurements."""

    def __init__(self) -> None:
        super().__init__()
        self.size_hints = 0

    def sizeHint(self, option, index) -> QSize:
        self.size_hints += 1
        return super().sizeHint(option, index)


async def settled_view(qtbot, rows: int) -> tuple[ChatView, ThreadModel, CountingDelegate]:
    messages = [make_message(body=f"messaggio {i} " * (1 + i % 5), minutes=i) for i in range(rows)]
    model = ThreadModel(ListHistory(messages))
    delegate = CountingDelegate()
    view = ChatView(model, delegate)
    qtbot.addWidget(view)
    view.resize(QSize(800, 600))
    view.show()
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    view.viewport().repaint()
    assert view.is_at_bottom()
    return view, model, delegate


@pytest.mark.parametrize("rows", [200, 3000])
async def test_one_more_message_in_a_long_thread_measures_only_a_bounded_tail(qtbot, rows) -> None:
    view, model, delegate = await settled_view(qtbot, rows)
    for minute in range(3):  # the first drops the rows beyond the tail window
        model.apply(MessagesChanged(1, upserted=(make_message(body="x", minutes=rows + minute),)))
    layouts, hints = delegate.layouts_computed, delegate.size_hints
    model.apply(MessagesChanged(1, upserted=(make_message(body="new one", minutes=rows + 9),)))
    assert delegate.layouts_computed - layouts == 1  # the new row only
    assert delegate.size_hints - hints <= TAIL_ROWS * 3 // 2 + 5  # not one per thread row
    assert view.is_at_bottom()
    assert model.rowCount() <= TAIL_ROWS * 3 // 2
    assert model.message_at(model.rowCount() - 1).body == "new one"
    assert model.has_older  # the dropped rows page back in when scrolling up


async def test_pinned_view_stays_at_the_bottom_of_a_bounded_tail(qtbot) -> None:
    view, model, _delegate = await settled_view(qtbot, 50)
    for minute in range(200):
        model.apply(MessagesChanged(1, upserted=(make_message(body="m", minutes=100 + minute),)))
        assert view.is_at_bottom()
    assert model.rowCount() <= TAIL_ROWS * 3 // 2


async def test_a_scrolled_up_view_keeps_every_row(qtbot) -> None:
    view, model, _delegate = await settled_view(qtbot, 100)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    value = view.verticalScrollBar().value()
    for minute in range(TAIL_ROWS):
        model.apply(MessagesChanged(1, upserted=(make_message(body="m", minutes=200 + minute),)))
    assert model.rowCount() == 100 + TAIL_ROWS
    assert view.verticalScrollBar().value() == value


class PaintLog:
    """What the view had when it painted: rows in the model, the newest row's body, whether
    the newest row was in view; and the rows the tail window removed, in order with paints."""

    def __init__(self, view: ChatView, model: ThreadModel) -> None:
        self.events: list[tuple[str, int, str]] = []
        self._view, self._model = view, model
        view.painted.connect(self._on_painted)
        model.rowsRemoved.connect(lambda _p, first, last: self._note("removed", last - first + 1))

    def _note(self, what: str, count: int) -> None:
        newest = self._model.message_at(self._model.rowCount() - 1)
        self.events.append((what, count, newest.body if newest else ""))

    def _on_painted(self) -> None:
        newest = self._model.index(self._model.rowCount() - 1)
        shown = self._view.visualRect(newest).intersects(self._view.viewport().rect())
        self._note("painted" if shown else "painted without the newest row", self._model.rowCount())


def burst(first_minute: int, count: int, tag: str) -> MessagesChanged:
    return MessagesChanged(
        1,
        upserted=tuple(
            make_message(body=f"{tag} {i}", minutes=first_minute + i) for i in range(count)
        ),
    )


async def test_a_live_burst_at_the_bottom_is_painted_before_the_model_call_returns(qtbot) -> None:
    view, model, _delegate = await settled_view(qtbot, 50)
    paints = PaintLog(view, model)
    model.apply(burst(100, 20, "burst"))
    # Painted within the change, with the newest row in view: not after whatever the event
    # loop runs first (the rest of the burst's work, the next events).
    assert paints.events[:1] == [("painted", 70, "burst 19")]
    assert view.is_at_bottom()


async def test_a_burst_is_painted_before_the_tail_window_drops_the_oldest_rows(qtbot) -> None:
    view, model, _delegate = await settled_view(qtbot, 50)
    tail = view._tail_rows()
    paints = PaintLog(view, model)
    model.apply(burst(100, tail, "burst"))  # more than half a tail: the oldest rows go
    assert [what for what, _count, _newest in paints.events] == ["painted", "removed"]
    assert paints.events[0] == ("painted", 50 + tail, f"burst {tail - 1}")
    assert model.rowCount() == tail
    assert view.is_at_bottom()  # still pinned once the rows above are gone
    newest = model.index(model.rowCount() - 1)
    assert view.visualRect(newest).bottom() <= view.viewport().rect().bottom()


async def test_a_big_burst_is_painted_straight_and_a_row_painted_again_gets_its_picture(
    qtbot,
) -> None:
    view, model, delegate = await settled_view(qtbot, 50)
    pictures = len(delegate._pictures)
    painted = delegate.rows_painted
    model.apply(burst(100, 30, "burst"))  # more rows than the view shows
    shown = delegate.rows_painted - painted
    assert 0 < shown < 30  # the rows in view only
    assert len(delegate._pictures) == pictures  # none kept for rows painted once
    model.apply(burst(200, 1, "one more"))  # the rows above moved up: now they get pictures
    assert len(delegate._pictures) >= pictures + shown - 2  # but one or two scrolled out
    repainted = delegate.rows_painted
    view.viewport().repaint()
    assert delegate.rows_painted == repainted + 1  # the newest row's picture; the rest copied


async def test_a_scrolled_up_view_paints_a_burst_on_the_event_loop_and_does_not_move(
    qtbot,
) -> None:
    view, model, _delegate = await settled_view(qtbot, 100)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    value = view.verticalScrollBar().value()
    paints = PaintLog(view, model)
    model.apply(burst(200, 20, "burst"))
    assert paints.events == []  # nothing new in view: no paint inside the change
    assert view.verticalScrollBar().value() == value
    assert model.rowCount() == 120


async def test_a_local_echo_at_the_bottom_is_painted_at_once(qtbot) -> None:
    view, model, _delegate = await settled_view(qtbot, 50)
    paints = PaintLog(view, model)
    echo = make_message(
        id=-7, body="sto inviando", minutes=100, direction=Direction.OUT, client_id="e-7"
    )
    model.apply(MessagesChanged(1, upserted=(echo,)))
    assert paints.events[:1] == [("painted", 51, "sto inviando")]


async def test_a_repaint_reuses_layouts_and_painted_rows(qtbot) -> None:
    view, model, delegate = await settled_view(qtbot, 50)
    layouts, painted = delegate.layouts_computed, delegate.rows_painted
    view.viewport().repaint()
    assert delegate.layouts_computed == layouts
    assert delegate.rows_painted == painted

    model.apply(MessagesChanged(1, upserted=(make_message(body="new one", minutes=500),)))
    assert delegate.rows_painted == painted + 1  # on arrival: straight onto the view
    view.viewport().repaint()
    assert delegate.layouts_computed == layouts + 1
    # The new row again, into its picture; the rows above moved up, copied as they were.
    assert delegate.rows_painted == painted + 2
    view.viewport().repaint()
    assert delegate.rows_painted == painted + 2


async def test_rows_are_laid_out_and_painted_again_once_the_day_ends(qtbot, monkeypatch) -> None:
    view, _model, delegate = await settled_view(qtbot, 20)
    layouts, painted = delegate.layouts_computed, delegate.rows_painted
    view.viewport().repaint()
    assert (delegate.layouts_computed, delegate.rows_painted) == (layouts, painted)
    tomorrow = time.time() + 2 * 24 * 3600  # "Today" in a day separator is "Yesterday" now
    monkeypatch.setattr(message_delegate, "time", SimpleNamespace(time=lambda: tomorrow))
    view.viewport().repaint()
    assert delegate.layouts_computed > layouts
    assert delegate.rows_painted > painted


def test_a_row_picture_looks_like_the_row_painted_directly(qtbot) -> None:
    message = make_message(
        body="Salve https://convos.test/x",
        direction=Direction.OUT,
        reactions=(Reaction("👍", (1,)),),
        reply_preview=ReplyPreview(1, "prima", "Giulia", Direction.IN),
    )
    model = ThreadModel(ListHistory([]))
    model.open(1, [message], has_older=False)
    delegate = MessageDelegate()
    option = QStyleOptionViewItem()
    option.font = QWidget().font()
    option.rect = QRect(0, 0, 500, 0)
    height = delegate.sizeHint(option, model.index(0)).height()
    option.rect = QRect(0, 0, 500, height)

    def painted(through_picture: bool) -> QImage:
        image = QImage(500, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(option.palette.base().color())
        painter = QPainter(image)
        if through_picture:
            delegate.paint(painter, option, model.index(0))
        else:
            delegate._paint_row(
                painter, message, delegate.row_layout(option, model.index(0)), option
            )
        painter.end()
        return image

    assert painted(through_picture=True) == painted(through_picture=False)
    assert painted(through_picture=True) == painted(through_picture=False)  # from the cache


async def test_rows_are_measured_again_when_the_view_gets_narrower(qtbot) -> None:
    messages = [make_message(body="parola " * 120, minutes=i) for i in range(2)]
    view, model = make_view(qtbot, ListHistory(messages), QSize(900, 700))
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    wide = view.visualRect(model.index(0)).height()
    view.resize(QSize(450, 700))
    await asyncio.sleep(0.05)
    first, second = view.visualRect(model.index(0)), view.visualRect(model.index(1))
    assert first.height() > wide
    assert second.top() == first.bottom() + 1  # laid out again: no overlap
    assert first.width() == view.viewport().width()


async def test_a_tall_view_keeps_enough_rows_to_stay_filled(qtbot) -> None:
    messages = [make_message(body="ok", minutes=i) for i in range(400)]
    view, model = make_view(qtbot, ListHistory(messages), QSize(700, 2400))
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    for minute in range(5):
        model.apply(MessagesChanged(1, upserted=(make_message(body="ok", minutes=500 + minute),)))
    assert model.rowCount() >= view.viewport().height() // TAIL_ROW_PX > TAIL_ROWS
    assert view.verticalScrollBar().maximum() > 0  # more rows than fit: nothing to fetch
    assert view.is_at_bottom()


async def test_an_idle_release_keeps_the_open_conversations_rows_only(qtbot) -> None:
    view, model, delegate = await settled_view(qtbot, 30)
    earlier = model.row_keys()
    others = [make_message(2, body=f"altro {i}", minutes=i) for i in range(30)]
    model.open(2, others, has_older=False)  # switched to another conversation
    await asyncio.sleep(0.05)
    view.viewport().repaint()
    cached = {key[0] for key in delegate._layouts} | {key[0][0] for key in delegate._pictures}
    assert cached & earlier  # both conversations are warm after a switch
    delegate.keep_rows(model.row_keys())
    kept = (
        {key[0] for key in delegate._layouts}
        | {height_row_key(key) for key in (*delegate._heights, *delegate._older_heights)}
        | {key[0][0] for key in delegate._pictures}
    )
    assert kept
    assert kept <= model.row_keys()
    assert delegate._picture_bytes == sum(
        picture.row_bytes for picture in delegate._pictures.values()
    )
    layouts, painted = delegate.layouts_computed, delegate.rows_painted
    view.viewport().repaint()  # the open conversation repaints from what was kept
    assert (delegate.layouts_computed, delegate.rows_painted) == (layouts, painted)


async def test_an_idle_release_keeps_about_one_view_of_painted_rows(qtbot) -> None:
    view, model, delegate = await settled_view(qtbot, 60)
    bar = view.verticalScrollBar()
    for value in (bar.maximum() // 2, bar.maximum() // 4, bar.maximum()):  # three views painted
        bar.setValue(value)
        view.viewport().repaint()
    viewport = view.viewport()
    one_view = viewport.width() * viewport.height() * 4 * viewport.devicePixelRatioF() ** 2
    assert delegate._picture_bytes > 1.5 * one_view
    delegate.keep_rows(model.row_keys())
    assert 0 < delegate._picture_bytes <= 1.5 * one_view
    painted = delegate.rows_painted
    viewport.repaint()  # what is on screen is copied from what was kept
    assert delegate.rows_painted == painted
    bar.setValue(bar.maximum() // 4)
    viewport.repaint()  # rows scrolled back to are painted again
    assert delegate.rows_painted > painted


async def test_a_settled_chat_keeps_no_picture_of_its_rows_and_paints_them_straight_once(
    qtbot,
) -> None:
    view, model, delegate = await settled_view(qtbot, 60)
    earlier = model.row_keys()
    others = [make_message(2, body=f"altro {i}", minutes=i) for i in range(60)]
    model.open(2, others, has_older=False)  # the conversation switched to
    await asyncio.sleep(0.05)
    view.viewport().repaint()
    bar = view.verticalScrollBar()
    for value in (bar.maximum() - view.viewport().height() // 3, bar.maximum()):
        bar.setValue(value)  # a third of a view more painted, within the budget of 3 views
        view.viewport().repaint()
    other_pictures = {key for key in delegate._pictures if key[0][0] in earlier}
    assert other_pictures  # the first conversation's view, for the switch back
    on_screen = view.row_keys_on_screen()
    assert on_screen <= {key[0][0] for key in delegate._pictures}
    delegate.drop_pictures_at_rest(model.row_keys())
    assert set(delegate._pictures) == other_pictures  # none of the open one's, on screen or not
    assert delegate._picture_bytes == sum(p.row_bytes for p in delegate._pictures.values())
    painted = delegate.rows_painted
    view.viewport().repaint()  # the first repaint after the rest: painted straight, no picture
    assert delegate.rows_painted == painted + len(on_screen)
    assert set(delegate._pictures) == other_pictures
    view.viewport().repaint()  # painted again: the view is in use, its rows get pictures
    assert delegate.rows_painted == painted + 2 * len(on_screen)
    assert {key[0][0] for key in delegate._pictures} - earlier == on_screen
    view.viewport().repaint()  # and are copied from them
    assert delegate.rows_painted == painted + 2 * len(on_screen)
    bar.setValue(bar.maximum() - view.viewport().height() // 3)
    view.viewport().repaint()  # rows scrolled back to get their pictures at once again
    assert {key[0][0] for key in delegate._pictures} - earlier > on_screen


async def test_a_settled_chat_keeps_the_layouts_of_its_rows_within_a_view_only(qtbot) -> None:
    view, model, delegate = await settled_view(qtbot, 60)
    earlier = model.row_keys()
    others = [make_message(2, body=f"altro {i}", minutes=i) for i in range(60)]
    model.open(2, others, has_older=False)  # the conversation switched to
    await asyncio.sleep(0.05)
    view.viewport().repaint()
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)  # a view in the middle: rows above and below it
    view.viewport().repaint()
    bar.setValue(bar.maximum())
    view.viewport().repaint()
    other_layouts = {key for key in delegate._layouts if key[0] in earlier}
    assert other_layouts  # the first conversation's rows, for the switch back
    near = view.row_keys_on_screen(margin_views=1)
    assert view.row_keys_on_screen() < near < model.row_keys()
    assert {key[0] for key in delegate._layouts} - earlier > near  # laid out further away
    delegate.drop_pictures_at_rest(model.row_keys())  # as settled
    delegate.keep_layouts_near_screen(model.row_keys(), near)
    assert {key[0] for key in delegate._layouts} - earlier <= near
    assert other_layouts <= set(delegate._layouts)  # the other conversation's stay
    layouts = delegate.layouts_computed
    view.viewport().update()
    bar.setValue(bar.maximum() - view.viewport().height() // 2)  # within the view kept
    view.viewport().repaint()
    assert delegate.layouts_computed == layouts
    bar.setValue(bar.maximum() // 2)  # further back: laid out again
    view.viewport().repaint()
    assert delegate.layouts_computed > layouts


async def test_the_rows_near_the_screen_are_those_within_the_margin(qtbot) -> None:
    messages = [make_message(body=f"riga {i}", minutes=i) for i in range(80)]
    view, model = make_view(qtbot, ListHistory(messages), QSize(500, 400))
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    view.viewport().repaint()
    height = view.viewport().height()
    band = QRect(0, -height, view.viewport().width(), 3 * height)
    rows = [
        row for row in range(model.rowCount()) if view.visualRect(model.index(row)).intersects(band)
    ]
    assert 0 not in rows
    assert model.rowCount() - 1 not in rows
    assert view.row_keys_on_screen(margin_views=1) == {model.layout_key(row)[0] for row in rows}


async def test_the_rows_on_screen_are_those_the_viewport_cuts_or_holds(qtbot) -> None:
    messages = [make_message(body=f"riga {i}", minutes=i) for i in range(80)]
    view, model = make_view(qtbot, ListHistory(messages), QSize(500, 400))
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    view.viewport().repaint()
    rows = [
        row
        for row in range(model.rowCount())
        if view.visualRect(model.index(row)).intersects(view.viewport().rect())
    ]
    expected = {model.layout_key(row)[0] for row in rows}
    assert view.row_keys_on_screen() == expected


def varied_messages() -> list:
    """Rows of every kind a picture is taken of: each direction, a failed send, a quote, a
    file, reactions, short and long text, a day separator."""
    document = FileInfo(
        7, "contratto.pdf", "document", "application/pdf", 12_345, "", None, None, False, "/f/7"
    )
    quote = ReplyPreview(1, "Buongiorno, ho un problema", "Giulia Verdi", Direction.IN)
    kinds = [
        {"body": "ok"},
        {"body": "Va bene, grazie! " * 12, "direction": Direction.OUT},
        {"body": "nota interna", "direction": Direction.NOTE},
        {"body": "Giulia assigned the ticket", "direction": Direction.SYSTEM},
        {"body": "risposta", "direction": Direction.OUT, "reply_preview": quote},
        {"body": "ecco il file", "files": (document,)},
        {"body": "👍", "reactions": (Reaction("👍", (1, 2)), Reaction("❤️", (1,)))},
        {"body": "non inviato", "direction": Direction.OUT, "delivery": Delivery.FAILED},
    ]
    return [make_message(minutes=index * 600, **kinds[index % len(kinds)]) for index in range(24)]


async def test_row_pictures_span_only_the_painted_columns_and_look_the_same(
    qtbot, monkeypatch
) -> None:
    messages = varied_messages()
    view, model = make_view(qtbot, ListHistory(messages), QSize(800, 1400))
    model.open(1, messages, has_older=False)
    await asyncio.sleep(0.05)
    view.setCurrentIndex(model.index(model.rowCount() - 3))  # a selected row's outline too
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    cropped = view.viewport().grab().toImage()
    kept, rows = delegate.picture_pixmap_bytes(), delegate._picture_bytes
    assert len(delegate._pictures) >= 8
    assert 0 < kept < rows * 0.9  # the pixmaps are narrower than their rows
    monkeypatch.setattr(message_delegate, "painted_columns", lambda _layout, width: (0, width))
    delegate._forget_pictures()
    whole = view.viewport().grab().toImage()
    assert delegate.picture_pixmap_bytes() == delegate._picture_bytes  # whole rows
    assert cropped == whole  # the same pixels as pictures of the whole rows


def test_a_row_height_key_is_one_string_telling_every_part_apart() -> None:
    day = dt.date(2026, 12, 6)
    parts = ("c:4b1e", 2, day, True)
    key = height_key(parts, 452, "")
    assert isinstance(key, str)
    assert height_row_key(key) == "c:4b1e"
    others = [
        height_key(("m:4", 2, day, True), 452, ""),
        height_key(("c:4b1e", 3, day, True), 452, ""),
        height_key(("c:4b1e", 2, None, True), 452, ""),
        height_key(("c:4b1e", 2, day + dt.timedelta(days=1), True), 452, ""),
        height_key(("c:4b1e", 2, day, False), 452, ""),
        height_key(("c:4b1e", 2, day, True), 451, ""),
        height_key(("c:4b1e", 2, day, True), 452, "Giulia assigned the ticket"),
    ]
    assert len({key, *others}) == len(others) + 1


async def test_an_open_lays_out_the_rows_that_fill_the_view_and_the_rest_once_painted(
    qtbot,
) -> None:
    history = ListHistory(
        [make_message(body=f"messaggio {i} " * (1 + i % 5), minutes=i) for i in range(200)]
    )
    latest, has_more = history.latest()
    whole_view, whole = make_view(qtbot, history, QSize(800, 600))
    whole.open(1, latest, has_more)
    model = ThreadModel(history)
    delegate = CountingDelegate()
    view = ChatView(model, delegate)
    qtbot.addWidget(view)
    view.resize(QSize(800, 600))
    view.show()
    first = view.rows_to_fill()
    assert first < len(latest)
    at_paints: list[int] = []
    view.painted.connect(lambda: at_paints.append(delegate.layouts_computed))
    model.open(1, latest, has_more, first_rows=first)
    view.executeDelayedItemsLayout()
    assert delegate.layouts_computed == first  # the rows shown, not the whole page
    await asyncio.sleep(0.05)  # settled at the bottom and painted
    assert at_paints[0] == first  # nothing more was measured before the first paint
    assert view.is_at_bottom()
    assert view.verticalScrollBar().value() > 120  # the rows fill the view and the margin
    view.viewport().repaint()
    whole_view.viewport().repaint()
    assert view.viewport().grab().toImage() == whole_view.viewport().grab().toImage()
    await asyncio.sleep(0.1)  # idle passes measure the rest of the page
    width = view.viewport().width()
    rest = model.ready_rows(True)
    assert len(rest) == len(latest) - first + 1  # with the first row shown (its neighbour)
    assert all(delegate._known_height(height_key(parts, width, "")) for _m, parts in rest)
    calls = len(history.calls)
    view.verticalScrollBar().setValue(0)  # the top: the rest of the page goes in at once
    await asyncio.sleep(0.05)
    assert model.rowCount() >= len(latest)
    shown = [model.message_at(row) for row in range(model.rowCount())]
    assert shown[-len(latest) :] == list(latest)
    # not read again: only the page before it is asked for (read ahead, scrolled to the top)
    assert history.calls[calls:] in ([], [latest[0].id])

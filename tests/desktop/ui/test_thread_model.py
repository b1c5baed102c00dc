"""ThreadModel: ordered inserts, echo confirmation in place, day headers, guarded paging."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from convos_desktop.core.types import Delivery, Direction, MessagesChanged, Reaction
from convos_desktop.models.thread import MessageRole, ThreadModel
from tests.desktop.ui.conftest import ListHistory, make_message, next_emission


def bodies(model: ThreadModel) -> list[str]:
    return [model.data(model.index(row)) for row in range(model.rowCount())]


def test_inserts_keep_time_order_and_echo_is_confirmed_in_place(qtmodeltester, qtbot) -> None:
    model = ThreadModel(ListHistory([]))
    qtmodeltester.check(model)
    model.open(1, [make_message(body="a", minutes=0), make_message(body="c", minutes=2)], False)
    model.apply(MessagesChanged(1, upserted=(make_message(body="b", minutes=1),)))
    assert bodies(model) == ["a", "b", "c"]

    echo = make_message(
        id=-1,
        body="d",
        minutes=3,
        direction=Direction.OUT,
        client_id="u-1",
        delivery=Delivery.PENDING,
    )
    model.apply(MessagesChanged(1, upserted=(echo,)))
    key_before = model.data(model.index(3), MessageRole.ROW_KEY)
    revision_before = model.data(model.index(3), MessageRole.REVISION)
    confirmed = replace(echo, id=77, delivery=Delivery.SENT)
    inserted: list[int] = []
    model.rowsInserted.connect(lambda *_: inserted.append(1))
    with qtbot.waitSignal(model.dataChanged):
        model.apply(MessagesChanged(1, upserted=(confirmed,)))
    assert not inserted
    assert model.rowCount() == 4
    assert model.message_at(3).id == 77
    assert model.data(model.index(3), MessageRole.ROW_KEY) == key_before
    assert model.data(model.index(3), MessageRole.REVISION) != revision_before

    model.apply(MessagesChanged(2, upserted=(make_message(2, body="elsewhere"),)))
    assert model.rowCount() == 4


def test_reaction_update_and_failed_send_then_discard(qtmodeltester) -> None:
    model = ThreadModel(ListHistory([]))
    qtmodeltester.check(model)
    first = make_message(body="hello", minutes=0)
    model.open(1, [first], False)
    model.apply(MessagesChanged(1, upserted=(replace(first, reactions=(Reaction("👍", (1,)),)),)))
    assert model.message_at(0).reactions[0].emoji == "👍"

    failed = make_message(
        id=-2,
        body="x",
        minutes=1,
        direction=Direction.OUT,
        client_id="u-2",
        delivery=Delivery.FAILED,
        error="ticket_closed",
    )
    model.apply(MessagesChanged(1, upserted=(failed,)))
    assert model.message_at(1).delivery is Delivery.FAILED
    model.apply(MessagesChanged(1, removed_client_ids=("u-2",)))
    assert bodies(model) == ["hello"]


def test_day_headers_and_sender_runs(qtmodeltester) -> None:
    model = ThreadModel(ListHistory([]))
    qtmodeltester.check(model)
    model.open(
        1,
        [
            make_message(body="a", minutes=0),
            make_message(body="b", minutes=1),
            make_message(body="c", minutes=2, direction=Direction.OUT, sender_name="Anna"),
            make_message(body="d", minutes=60 * 24),
        ],
        False,
    )
    headers = [model.data(model.index(r), MessageRole.DAY_HEADER) for r in range(4)]
    assert headers[0] is not None
    assert headers[1:3] == [None, None]
    assert headers[3] is not None
    assert headers[3] > headers[0]
    runs = [model.data(model.index(r), MessageRole.SHOW_SENDER) for r in range(4)]
    assert runs == [True, False, True, True]


async def test_fetch_older_prepends_pages_once_at_a_time(qtmodeltester, qtbot) -> None:
    history = ListHistory([make_message(body=f"m{i}", minutes=i) for i in range(120)], delay=0.05)
    model = ThreadModel(history)
    qtmodeltester.check(model)
    latest, has_more = history.latest()
    model.open(1, latest, has_more)
    assert bodies(model)[0] == "m70"

    loaded = asyncio.ensure_future(next_emission(model.older_loaded))
    assert model.fetch_older() is True
    assert model.fetch_older() is False  # a second scroll event while loading
    assert await loaded == (50,)
    assert bodies(model)[0] == "m20"
    assert model.can_fetch_older()

    loaded = asyncio.ensure_future(next_emission(model.older_loaded))
    assert model.fetch_older()
    await loaded
    assert bodies(model) == [f"m{i}" for i in range(120)]
    assert not model.can_fetch_older()
    assert model.data(model.index(0), MessageRole.DAY_HEADER) is not None
    assert len(history.calls) == 2


async def test_failed_page_is_reported_and_can_be_retried(qtmodeltester, qtbot) -> None:
    class Broken(ListHistory):
        async def older_messages(self, conversation_id, before_id, limit):
            raise ConnectionError("server unreachable")

    model = ThreadModel(Broken([]))
    qtmodeltester.check(model)
    model.open(1, [make_message(body="x")], True)
    failed = asyncio.ensure_future(next_emission(model.older_failed))
    model.fetch_older()
    assert "unreachable" in (await failed)[0]
    assert model.can_fetch_older()


def test_new_messages_of_one_change_are_appended_in_one_insertion(qtmodeltester) -> None:
    model = ThreadModel(ListHistory([]))
    qtmodeltester.check(model)
    model.open(1, [make_message(body=f"m{i}", minutes=i) for i in range(3)], False)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    late = [make_message(body=f"m{i}", minutes=i) for i in (7, 4, 6, 3, 5)]
    model.apply(MessagesChanged(1, upserted=tuple(late)))
    assert inserted == [(3, 7)]
    assert bodies(model) == [f"m{i}" for i in range(8)]

    inserted.clear()  # one of them belongs between older rows: inserted each at its place
    model.apply(
        MessagesChanged(
            1,
            upserted=(
                make_message(body="m2.5", minutes=2.5),
                make_message(body="m9", minutes=9),
            ),
        )
    )
    assert inserted == [(3, 3), (9, 9)]
    assert bodies(model)[2:4] == ["m2", "m2.5"]
    assert bodies(model)[-1] == "m9"


def test_tail_window_drops_the_oldest_rows_and_pages_them_back(qtmodeltester) -> None:
    history = ListHistory([make_message(body=f"m{i}", minutes=i) for i in range(100)])
    model = ThreadModel(history)
    qtmodeltester.check(model)
    latest, has_more = history.latest()
    model.open(1, latest, has_more)
    model.set_tail_window(40)
    newer = [make_message(body=f"n{i}", minutes=200 + i) for i in range(11)]
    model.apply(MessagesChanged(1, upserted=tuple(newer[:10])))
    assert model.rowCount() == 60  # up to half a window more: nothing dropped yet
    model.apply(MessagesChanged(1, upserted=tuple(newer[10:])))
    assert model.rowCount() == 40
    assert bodies(model)[0] == "m71"
    assert bodies(model)[-1] == "n10"
    assert model.has_older
    assert model.can_fetch_older()
    assert model.data(model.index(0), MessageRole.DAY_HEADER) is None  # older rows exist
    assert model.row_of_id(latest[0].id) == -1

    model.set_tail_window(None)  # scrolled up: the view keeps what it loads
    model.apply(MessagesChanged(1, upserted=(make_message(body="n11", minutes=300),)))
    assert model.rowCount() == 41


async def test_rows_dropped_by_the_tail_window_come_back_without_a_gap(qtmodeltester) -> None:
    history = ListHistory([make_message(body=f"m{i}", minutes=i) for i in range(100)])
    model = ThreadModel(history)
    qtmodeltester.check(model)
    latest, has_more = history.latest()
    model.open(1, latest, has_more)
    model.set_tail_window(20)
    model.apply(MessagesChanged(1, upserted=(make_message(body="n0", minutes=200),)))
    assert bodies(model)[0] == "m81"
    loaded = asyncio.ensure_future(next_emission(model.older_loaded))
    assert model.fetch_older()
    await loaded
    assert bodies(model) == [f"m{i}" for i in range(31, 100)] + ["n0"]


async def test_the_tail_window_cancels_a_page_that_would_leave_a_gap(qtmodeltester) -> None:
    history = ListHistory([make_message(body=f"m{i}", minutes=i) for i in range(100)], 0.05)
    model = ThreadModel(history)
    qtmodeltester.check(model)
    latest, has_more = history.latest()
    model.open(1, latest, has_more)
    model.set_tail_window(20)
    assert model.fetch_older()  # loading m0..m49 when the newest page drops its oldest rows
    model.apply(MessagesChanged(1, upserted=(make_message(body="n0", minutes=200),)))
    await asyncio.sleep(0.15)
    assert bodies(model)[0] == "m81"
    assert not model.is_loading
    assert model.can_fetch_older()


def checked_model(qtmodeltester, count: int) -> tuple[ThreadModel, list]:
    """A model checked by the model tester over ``count`` messages a minute apart (not open)."""
    messages = [make_message(body=f"m{i}", minutes=i) for i in range(count)]
    model = ThreadModel(ListHistory(messages))
    qtmodeltester.check(model)
    return model, messages


def test_rows_dropped_by_the_tail_window_stay_reachable_whatever_the_server_says(
    qtmodeltester,
) -> None:
    model, messages = checked_model(qtmodeltester, 10)
    model.open(1, messages, has_older=False)
    model.set_tail_window(4)
    model.apply(MessagesChanged(1, upserted=(make_message(body="n", minutes=100),)))
    assert model.rowCount() == 4
    model.set_has_older(False)  # the newest page arrived late: the server has no older page
    assert model.has_older
    assert model.can_fetch_older()


def window_history(count: int = 400) -> ListHistory:
    return ListHistory([make_message(body=f"m{i}", minutes=i) for i in range(count)])


def windowed_model(qtmodeltester, window: int) -> tuple[ThreadModel, ListHistory]:
    """A model checked by the model tester over 400 messages, newest page open."""
    history = window_history()
    model = ThreadModel(history)
    qtmodeltester.check(model)
    model.open(1, *history.latest())
    model.set_scroll_window(window)
    return model, history


async def load(model: ThreadModel, signal, start) -> int:
    loaded = asyncio.ensure_future(next_emission(signal))
    assert start()
    return (await loaded)[0]


async def test_scroll_window_drops_rows_at_the_far_end_and_pages_them_back(qtmodeltester) -> None:
    model, history = windowed_model(qtmodeltester, 120)
    for _ in range(4):  # scrolled up four pages: the newest rows go
        await load(model, model.older_loaded, model.fetch_older)
        assert model.rowCount() <= 120
    assert bodies(model) == [f"m{i}" for i in range(150, 270)]
    assert model.has_newer
    assert model.has_older
    assert model.fetch_newer() is True
    assert model.fetch_newer() is False  # one page at a time, whichever the direction
    assert model.fetch_older() is False
    await asyncio.sleep(0.01)
    assert bodies(model) == [f"m{i}" for i in range(200, 320)]  # the oldest rows went
    while model.has_newer:
        await load(model, model.newer_loaded, model.fetch_newer)
    assert bodies(model) == [f"m{i}" for i in range(280, 400)]
    assert model.data(model.index(0), MessageRole.DAY_HEADER) is None  # older rows exist
    assert history.newer_calls[-1] == history.messages[369].id  # after the newest row


async def test_live_messages_and_echoes_while_the_newest_rows_are_left_out(qtmodeltester) -> None:
    model, history = windowed_model(qtmodeltester, 60)
    await load(model, model.older_loaded, model.fetch_older)
    assert model.has_newer
    live = make_message(body="live", minutes=1000)
    history.messages.append(live)  # the cache has it before the model hears of it
    model.apply(MessagesChanged(1, upserted=(live,)))
    assert "live" not in bodies(model)  # it comes with its page
    shown = model.message_at(5)
    model.apply(MessagesChanged(1, upserted=(replace(shown, body="edited"),)))
    assert bodies(model)[5] == "edited"  # rows in the window still change in place

    echo = make_message(id=-5, body="mine", minutes=1001, direction=Direction.OUT, client_id="e")
    history.messages.append(echo)  # the newest page ends with the local echoes
    reset = asyncio.ensure_future(next_emission(model.modelReset))
    model.apply(MessagesChanged(1, upserted=(echo,)))
    await reset
    assert not model.has_newer
    assert bodies(model)[-2:] == ["live", "mine"]


async def test_load_around_replaces_the_rows_by_the_ones_around_a_message(qtmodeltester) -> None:
    history = window_history()
    model = ThreadModel(history)
    qtmodeltester.check(model)
    model.open(1, *history.latest())
    target = history.messages[100]
    reset = asyncio.ensure_future(next_emission(model.modelReset))
    assert model.load_around(target.id)
    await reset
    assert model.row_of_id(target.id) >= 0
    assert bodies(model)[0] == "m51"
    assert bodies(model)[-1] == "m150"
    assert model.has_older
    assert model.has_newer
    assert model.row_of_key(f"m:{target.id}") == model.row_of_id(target.id)


def layout_keys(model: ThreadModel) -> dict[str, tuple]:
    return {
        model.data(model.index(row), MessageRole.ROW_KEY): model.data(
            model.index(row), MessageRole.LAYOUT_KEY
        )
        for row in range(model.rowCount())
    }


async def test_a_page_read_ahead_is_inserted_at_once_with_the_layout_keys_foretold(
    qtmodeltester,
) -> None:
    # days change every few rows and senders alternate: headers and sender lines vary
    history = ListHistory(
        [
            make_message(body=f"m{i}", minutes=i * 97, sender_name=f"S{i // 3 % 2}")
            for i in range(300)
        ]
    )
    model = ThreadModel(history)
    qtmodeltester.check(model)
    model.open(1, *history.latest())
    model.set_scroll_window(120)
    for _ in range(3):  # the third page also drops the newest rows beyond the window
        ready = asyncio.ensure_future(next_emission(model.page_ready))
        assert model.prefetch_older()
        assert model.prefetch_older() is False  # one request at a time
        assert (await ready)[0] is True
        assert model.has_ready_page(True)
        foretold = {parts[0]: parts for _message, parts in model.ready_rows(True)}
        calls = len(history.calls)
        older = []
        model.older_loaded.connect(older.append)
        assert model.fetch_older()  # inserted now, no request
        model.older_loaded.disconnect(older.append)
        assert older == [50]
        assert len(history.calls) == calls
        keys = layout_keys(model)
        assert len(foretold) == 51  # the page and the former first row
        assert all(keys[key] == parts for key, parts in foretold.items())
    assert model.rowCount() == 120


async def test_a_page_read_ahead_is_forgotten_when_stale(qtmodeltester) -> None:
    model, history = windowed_model(qtmodeltester, 120)
    ready = asyncio.ensure_future(next_emission(model.page_ready))
    assert model.prefetch_older()
    await ready
    edited = replace(history.messages[-60], body="edited")  # a message of the page read ahead
    history.messages[-60] = edited  # the cache has the change before the model hears of it
    model.apply(MessagesChanged(1, upserted=(edited,)))
    assert not model.has_ready_page(True)  # its record there is older than the change
    await load(model, model.older_loaded, model.fetch_older)  # read again
    assert "edited" in bodies(model)

    await load(model, model.older_loaded, model.fetch_older)
    assert model.has_newer
    ready = asyncio.ensure_future(next_emission(model.page_ready))
    assert model.prefetch_newer()
    assert (await ready)[0] is False
    live = make_message(body="live", minutes=1000)
    history.messages.append(live)
    model.apply(MessagesChanged(1, upserted=(live,)))
    assert not model.has_ready_page(False)  # a newer page may miss the live message

    ready = asyncio.ensure_future(next_emission(model.page_ready))
    assert model.prefetch_older()
    await ready
    model.open(1, *history.latest())  # another opening: nothing read ahead adjoins
    assert not model.has_ready_page(True)


def test_an_open_with_first_rows_shows_the_newest_and_keeps_the_rest_ready(qtmodeltester) -> None:
    # days change every few rows and senders alternate: headers and sender lines vary
    history = ListHistory(
        [
            make_message(body=f"m{i}", minutes=i * 97, sender_name=f"S{i // 3 % 2}")
            for i in range(300)
        ]
    )
    model = ThreadModel(history)
    qtmodeltester.check(model)
    latest, has_more = history.latest()
    model.open(1, latest, has_more)
    whole = layout_keys(model)  # the page opened whole: what each row looks like
    model.open(1, latest, has_more, first_rows=20)
    assert bodies(model) == [f"m{i}" for i in range(280, 300)]
    assert model.has_older
    assert model.has_ready_page(True)
    foretold = {parts[0]: parts for _message, parts in model.ready_rows(True)}
    assert len(foretold) == 31  # the other 30 rows of the page and the first row shown
    calls = len(history.calls)
    assert model.fetch_older()  # the rest of the page, inserted at once: no request
    assert len(history.calls) == calls
    assert bodies(model) == [f"m{i}" for i in range(250, 300)]
    assert layout_keys(model) == whole  # as if the page had been opened whole
    assert all(whole[key] == parts for key, parts in foretold.items())
    assert model.has_older == has_more


def test_an_open_with_first_rows_keeps_a_short_page_whole(qtmodeltester) -> None:
    model, messages = checked_model(qtmodeltester, 10)
    model.open(1, messages, False, first_rows=10)
    assert model.rowCount() == 10
    assert not model.has_older
    assert not model.has_ready_page(True)
    assert model.data(model.index(0), MessageRole.DAY_HEADER) is not None  # the thread's start


def test_the_rest_of_a_page_opened_with_first_rows_stays_reachable_whatever_the_server_says(
    qtmodeltester,
) -> None:
    model, messages = checked_model(qtmodeltester, 30)
    model.open(1, messages, False, first_rows=10)
    model.set_has_older(False)  # the newest page arrived: the server has nothing older
    assert model.has_older
    assert model.fetch_older()
    assert model.rowCount() == 30
    assert not model.has_older  # the thread's start, as the cache said
    assert model.data(model.index(0), MessageRole.DAY_HEADER) is not None

    model.open(1, messages, False, first_rows=10)
    model.set_has_older(True)  # the server has older messages than the cache
    assert model.fetch_older()
    assert model.rowCount() == 30
    assert model.has_older  # they are fetched from there when the view reaches the top

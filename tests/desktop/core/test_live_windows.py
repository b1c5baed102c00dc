"""``core.live`` with pop-out windows (issue 15): each window views its conversation under its
own owner key; a conversation is left when no window shows it; typing follows the composer."""

from __future__ import annotations

import asyncio

from convos_desktop.core.events import EPHEMERAL_SEQ, ServerEvent
from convos_desktop.core.live import MAIN, Live
from tests.desktop.core.test_live_mentions import FakeApi, SlowViewingApi


def viewing_calls(api: FakeApi) -> list[tuple[str, bool]]:
    return [(c[1], c[2]["viewing"]) for c in api.calls if c[1].endswith("/viewing")]


async def test_two_windows_view_two_conversations_and_leave_each(qapp) -> None:
    api = FakeApi()
    live = Live(api, lambda: 1, clock=lambda: 0.0)  # type: ignore[arg-type]
    live.view(7)  # the main window
    live.view(8, owner="popout-8")
    live.view(7, owner="popout-7")  # the same conversation in two places: one viewer
    assert live.viewed() == {7, 8}
    await live._put_viewing(7, True)  # what the debounced heartbeat does
    await live._put_viewing(8, True)
    assert live.presence(8).viewers == {2}
    live.receive(
        ServerEvent(
            EPHEMERAL_SEQ,
            "conversation.typing",
            {"conversation_id": 8, "agent_id": 3, "typing": True, "kind": "text"},
        )
    )
    assert live.presence(8).typing == {2: "note", 3: "text"}
    live.typed("note", 8)  # the pop-out's composer
    live.typed("text", 7)  # then the main window's: the first stops
    await asyncio.sleep(0)  # the calls run as tasks
    typing = [(c[1], c[2]) for c in api.calls if c[1].endswith("/typing")]
    assert typing == [
        ("/conversations/8/typing", {"kind": "note"}),
        ("/conversations/8/typing", {"kind": None}),
        ("/conversations/7/typing", {"kind": "text"}),
    ]
    live.sent(7)
    live.view(None)  # the main window left 7, the pop-out still shows it
    assert live.viewed() == {7, 8}
    live.view(None, owner="popout-8")
    assert live.viewed() == {7}
    assert live.presence(8).viewers == set()  # forgotten
    await live.stop()
    assert live.viewed() == set()
    calls = [c for c in viewing_calls(api) if not c[1]]
    assert calls == [("/conversations/8/viewing", False), ("/conversations/7/viewing", False)]
    assert MAIN == "main"


async def test_a_conversation_passed_through_within_the_debounce_is_left_without_a_call(
    qapp,
) -> None:
    """Switching back and forth (issue 16) tells the server nothing until the agent stays;
    one it was told about, even by a call still in flight, is left with ``viewing: false``."""
    api = FakeApi()
    live = Live(api, lambda: 1, clock=lambda: 0.0)  # type: ignore[arg-type]
    for conversation_id in (7, 8, 7, 8):
        live.view(conversation_id)  # each left before its heartbeat said anything
    await asyncio.sleep(0)  # the calls run as tasks
    assert viewing_calls(api) == []
    await live._put_viewing(8, True)  # the agent stayed on 8
    live.view(7)
    await asyncio.sleep(0)
    assert viewing_calls(api) == [
        ("/conversations/8/viewing", True),
        ("/conversations/8/viewing", False),
    ]
    live.view(8)
    live.view(7)  # 8 again passed through: the server heard it was left
    await asyncio.sleep(0)
    assert len(viewing_calls(api)) == 2
    await live.stop()
    assert len(viewing_calls(api)) == 2  # 7 was never told either


async def test_a_conversation_left_while_its_viewing_call_is_in_flight_is_left_with_a_call(
    qapp,
) -> None:
    api = SlowViewingApi()
    live = Live(api, lambda: 1, clock=lambda: 0.0)  # type: ignore[arg-type]
    live.view(7)
    call = asyncio.get_running_loop().create_task(live._put_viewing(7, True))
    await asyncio.sleep(0)  # sent, not answered: the server may have heard it
    live.view(8)
    await asyncio.sleep(0)
    assert api.calls == [("PUT", "/conversations/7/viewing", {"viewing": False})]
    api.answer.set_result(None)
    await call
    await live.stop()

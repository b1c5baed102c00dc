"""``core.live`` with pop-out windows (issue 15): each window views its conversation under its
own owner key; a conversation is left when no window shows it; typing follows the composer."""

from __future__ import annotations

import asyncio

from convos_desktop.core.events import EPHEMERAL_SEQ, ServerEvent
from convos_desktop.core.live import MAIN, Live
from tests.desktop.core.test_live_mentions import FakeApi


def viewing_calls(api: FakeApi) -> list[tuple[str, bool]]:
    return [(c[1], c[2]["viewing"]) for c in api.calls if c[1].endswith("/viewing")]


async def test_two_windows_view_two_conversations_and_leave_each(qapp) -> None:
    api = FakeApi()
    live = Live(api, lambda: 1, clock=lambda: 0.0)  # type: ignore[arg-type]
    live.view(7)  # the main window
    live.view(8, owner="popout-8")
    live.view(7, owner="popout-7")  # the same conversation in two places: one viewer
    assert live.viewed() == {7, 8}
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

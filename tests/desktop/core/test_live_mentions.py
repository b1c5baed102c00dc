"""Collision line, ephemeral events and mentions on the client (issue 15), without a server."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from typing import Any

from convos_desktop.core.events import EPHEMERAL_SEQ, ServerEvent
from convos_desktop.core.live import TYPING_REPEAT_S, Live, Presence
from convos_desktop.core.mentions import Mentions
from convos_desktop.core.types import Contact, ContactsChanged
from convos_desktop.models.mentions import MentionListModel
from convos_desktop.ui.chat.live_line import live_sentence


class FakeApi:
    """Records the calls; answers a viewing call with the viewers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    async def request(self, method: str, path: str, **kw: Any) -> Any:
        self.calls.append((method, path, kw.get("json")))
        if path.endswith("/viewing"):
            return {"viewers": [{"agent_id": 1, "typing": None}, {"agent_id": 2, "typing": "note"}]}
        return None

    async def read_mention(self, mention_id: int) -> dict[str, Any]:
        return mention_json(mention_id, read=True)


def mention_json(mention_id: int, *, read: bool = False) -> dict[str, Any]:
    return {
        "id": mention_id,
        "agent_id": 1,
        "conversation_id": 7,
        "contact": {"id": 5, "name": "Mario Rossi"},
        "ticket_id": 3,
        "by_agent_id": 2,
        "created_at": "2026-12-05T10:00:00.000Z",
        "read_at": "2026-12-05T10:01:00.000Z" if read else None,
        "message": {
            "id": 40 + mention_id,
            "conversation_id": 7,
            "ticket_id": 3,
            "client_id": None,
            "direction": "note",
            "sender_type": "agent",
            "sender_id": 2,
            "sender_name": "Anna",
            "body": "@Bruno look",
            "reply_to": None,
            "reply_preview": None,
            "reactions": [],
            "files": [],
            "created_at": "2026-12-05T10:00:00.000Z",
        },
    }


def test_the_live_line_words_viewers_typists_and_the_customer(qapp) -> None:
    names = {2: "Anna", 3: "Bruno", 4: "Carla"}.__getitem__
    presence = Presence({2, 3, 4}, {3: "note"}, contact_typing_until=10.0)
    assert live_sentence(presence, names, now=5.0) == (
        "Bruno is typing a note…  ·  Anna, Carla are viewing  ·  The customer is typing…"
    )
    assert live_sentence(Presence({2}), names, now=11.0) == "Anna is viewing"
    assert live_sentence(Presence(), names, now=0.0) == ""


async def test_live_follows_the_open_conversation_and_leaves_it(qapp) -> None:
    api = FakeApi()
    now = [0.0]
    live = Live(api, lambda: 1, clock=lambda: now[0])  # type: ignore[arg-type]
    changed: list[int] = []
    live.changed.connect(changed.append)
    live.view(7)
    await live._put_viewing(7, True)  # what the debounced heartbeat does
    assert live.presence(7).viewers == {2}  # the agent itself left out
    assert live.presence(7).typing == {2: "note"}
    live.receive(
        ServerEvent(
            EPHEMERAL_SEQ,
            "conversation.typing",
            {"conversation_id": 7, "sender_type": "contact", "agent_id": None, "typing": True},
        )
    )
    assert live.presence(7).contact_typing(now[0])
    live.receive(
        ServerEvent(
            EPHEMERAL_SEQ,
            "conversation.viewing",
            {"conversation_id": 7, "agent_id": 2, "viewing": False},
        )
    )
    assert live.presence(7).viewers == set()
    live.receive(ServerEvent(EPHEMERAL_SEQ, "conversation.viewing", {"conversation_id": 8}))
    assert set(changed) == {7}  # another conversation's event is ignored
    live.typed("text")
    live.typed("text")  # within the repeat period: one call
    await live.stop()
    typing = [c for c in api.calls if c[1].endswith("/typing")]
    assert [c[2] for c in typing] == [{"kind": "text"}, {"kind": None}]
    assert api.calls[-1] == ("PUT", "/conversations/7/viewing", {"viewing": False})


class SlowViewingApi(FakeApi):
    """Answers a viewing call only when told: the stream can be faster than the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def request(self, method: str, path: str, **kw: Any) -> Any:
        if path.endswith("/viewing") and kw["json"] == {"viewing": True}:
            await self.answer
            self.calls.append((method, path, kw.get("json")))
            return {"viewers": [{"agent_id": 1, "typing": None}]}  # before the colleague came
        return await super().request(method, path, **kw)


async def test_a_colleague_who_came_while_my_viewing_call_was_answered_stays(qapp) -> None:
    api = SlowViewingApi()
    live = Live(api, lambda: 1, clock=lambda: 0.0)  # type: ignore[arg-type]
    live.view(7)
    call = asyncio.get_running_loop().create_task(live._put_viewing(7, True))
    await asyncio.sleep(0)
    came = {"conversation_id": 7, "agent_id": 3, "viewing": True}
    live.receive(ServerEvent(EPHEMERAL_SEQ, "conversation.viewing", came))
    typing = {"conversation_id": 7, "agent_id": 3, "typing": True, "kind": "note"}
    live.receive(ServerEvent(EPHEMERAL_SEQ, "conversation.typing", typing))
    api.answer.set_result(None)
    await call
    assert live.presence(7).viewers == {3}
    assert live.presence(7).typing == {3: "note"}
    left = {"conversation_id": 7, "agent_id": 3, "viewing": False}
    live.receive(ServerEvent(EPHEMERAL_SEQ, "conversation.viewing", left))
    assert live.presence(7).viewers == set()
    await live.stop()


async def test_typing_calls_are_few_per_reply_and_none_after_a_send(qapp) -> None:
    api = FakeApi()
    now = [0.0]
    live = Live(api, lambda: 1, clock=lambda: now[0])  # type: ignore[arg-type]
    live.view(7)
    for key in range(150):  # 15 s of keys, ten a second: one call, then one per repeat period
        now[0] = key / 10
        live.typed("text")
    live.sent()  # the server stops the typing with the message: no call
    await asyncio.sleep(0)
    typing = [c[2] for c in api.calls if c[1].endswith("/typing")]
    assert typing == [{"kind": "text"}] * math.ceil(15 / TYPING_REPEAT_S)
    live.typed("text")  # the next reply starts typing again at once
    await live.stop()
    typing = [c[2] for c in api.calls if c[1].endswith("/typing")]
    assert typing[-2:] == [{"kind": "text"}, {"kind": None}]


async def test_mentions_model_unread_state_and_read_marking(qtmodeltester, qapp) -> None:
    mentions = Mentions(FakeApi())  # type: ignore[arg-type]
    notified: list[object] = []
    mentions.mentioned.connect(notified.append)
    model = MentionListModel(mentions, lambda _a: "Anna", lambda m, a: f"{a}: {m.message.body}")
    qtmodeltester.check(model)
    mentions.apply(mention_json(1))
    mentions.apply(mention_json(2, read=True))
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.index(0, 0).data() == "Anna: @Bruno look"
    assert model.index(0, 0).data(MentionListModel.AUTHOR_ROLE) == "Anna"
    assert mentions.items()[0].contact_name == "Mario Rossi"
    assert [model.index(r, 0).data(MentionListModel.UNREAD_ROLE) for r in range(2)] == [
        False,
        True,
    ]
    assert mentions.unread() == 1
    assert len(notified) == 1
    await mentions.mark_read(1)
    assert mentions.unread() == 0
    mentions.apply(mention_json(1))  # an older event after the read answer stays read
    assert mentions.unread() == 0
    qtmodeltester.check(model)


def _contact(contact_id: int, name: str) -> Contact:
    when = dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)
    return Contact(contact_id, name, None, None, None, {}, when, when)


def test_a_renamed_contact_renames_its_mentions_and_no_other(qapp) -> None:
    mentions = Mentions(FakeApi())  # type: ignore[arg-type]
    mentions.apply(mention_json(1))
    other = mention_json(2)
    other["contact"] = {"id": 6, "name": "Luigi Bianchi"}
    mentions.apply(other)
    changes: list[None] = []
    mentions.changed.connect(lambda: changes.append(None))
    mentions.apply_contacts(ContactsChanged((_contact(5, "Mario Rossi-Verdi"),)))
    names = {m.id: m.contact_name for m in mentions.items()}
    assert names == {1: "Mario Rossi-Verdi", 2: "Luigi Bianchi"}
    assert len(changes) == 1
    mentions.apply_contacts(ContactsChanged((_contact(5, "Mario Rossi-Verdi"), _contact(9, "X"))))
    assert len(changes) == 1  # nothing of theirs changed: no repaint

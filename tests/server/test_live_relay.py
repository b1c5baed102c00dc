"""The live state mirrored between server processes (``services.live_relay``), in memory.

Two or three ``LiveState``s with their relays stand for server processes; a fake network
hands every payload one of them sends to all of them (its sender too, as PostgreSQL does).
The real NOTIFY path between two server processes is in tests/e2e/test_collision_e2e.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest

from convos_server.services.live import TYPING_TTL_S, VIEW_TTL_S, LiveState
from convos_server.services.live_relay import (
    BATCH_S,
    MAX_PAYLOAD,
    PING_S,
    SILENT_AFTER_S,
    LiveRelay,
)

CONVERSATION, INBOX = 10, 5
ANNA, BRUNO = 1, 2


class Bus:
    """What ``LiveState`` uses of the event bus: ephemeral events and who streams here."""

    def __init__(self) -> None:
        self.on_agent_gone: Any = None
        self.on_agent_here: Any = None
        self.streams: dict[int, int] = {}
        self.published: list[tuple[str, dict[str, Any], set[int]]] = []

    def publish_ephemeral(self, type_: str, data: dict[str, Any], **where: Any) -> None:
        self.published.append((type_, data, set(where["agent_ids"])))

    def streams_of(self, agent_id: int) -> int:
        return self.streams.get(agent_id, 0)

    def streaming_agents(self) -> list[int]:
        return [agent for agent, n in self.streams.items() if n]

    def stream(self, agent_id: int, on: bool) -> None:
        """A stream of the agent starts / ends here (the bus's hooks, as ``subscribe`` and
        ``unsubscribe`` call them)."""
        self.streams[agent_id] = self.streams_of(agent_id) + (1 if on else -1)
        if on and self.streams[agent_id] == 1:
            self.on_agent_here(agent_id)
        elif not on and self.streams[agent_id] == 0:
            self.on_agent_gone(agent_id)

    def events(self, type_: str) -> list[dict[str, Any]]:
        return [data for t, data, _audience in self.published if t == type_]


async def _never(_payloads: list[str]) -> bool:
    raise AssertionError("the tests deliver by hand")


class Process:
    """One server process's live state, bus and relay."""

    def __init__(self, name: str, now: list[float], network: list[Process]) -> None:
        self.bus = Bus()
        self.live = LiveState(self.bus, clock=lambda: now[0])  # type: ignore[arg-type]
        self.relay = LiveRelay(self.live, _never, origin=name, clock=lambda: now[0])
        self.network = network
        network.append(self)

    def flush(self) -> list[str]:
        """Send what is due to every process (this one too); the payloads."""
        payloads = self.relay.payloads()
        for process in self.network:
            for payload in payloads:
                process.relay.receive(payload)
        return payloads

    def viewing(self) -> list[dict[str, object]]:
        return self.live.viewers(CONVERSATION)


@pytest.fixture
def now() -> list[float]:
    return [0.0]


@pytest.fixture
def network(now: list[float]) -> tuple[Process, Process]:
    """Two processes that have said hello to each other."""
    processes: list[Process] = []
    one, two = Process("one", now, processes), Process("two", now, processes)
    for process in processes:
        process.relay.connected()
    one.flush()
    two.flush()
    one.flush()  # its answer to two's hello
    assert one.relay.others == {"two"}
    assert two.relay.others == {"one"}
    return one, two


def settle(*processes: Process) -> None:
    """Flush until nobody has anything more to say (hellos answered)."""
    for _ in range(5):
        for process in processes:
            process.flush()


def test_a_viewer_and_typist_on_one_process_are_seen_by_the_other(network, now):
    one, two = network
    two.live.view(BRUNO, CONVERSATION, INBOX, True)
    two.flush()
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    one.live.type(ANNA, CONVERSATION, INBOX, "note")
    sent = one.flush()
    assert len(sent) == 1  # two changes, one NOTIFY
    both = [{"agent_id": ANNA, "typing": "note"}, {"agent_id": BRUNO, "typing": None}]
    assert one.viewing() == two.viewing() == both  # the viewing call's answer, anywhere
    # Bruno's stream is on process two: two publishes Anna's changes to it, as its own.
    assert [(t, d, a) for t, d, a in two.bus.published if d.get("agent_id") == ANNA] == [
        (
            "conversation.viewing",
            {"conversation_id": CONVERSATION, "agent_id": ANNA, "viewing": True},
            {BRUNO},
        ),
        (
            "conversation.typing",
            {
                "conversation_id": CONVERSATION,
                "sender_type": "agent",
                "agent_id": ANNA,
                "kind": "note",
                "typing": True,
            },
            {BRUNO},
        ),
    ]
    # Heartbeats that change nothing are not relayed.
    now[0] += 1
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    one.live.type(ANNA, CONVERSATION, INBOX, "note")
    assert one.flush() == []
    now[0] += PING_S
    (ping,) = one.flush()  # only a ping: nothing said for PING_S
    assert json.loads(ping)["ops"] == []
    # The customer types (its channel told process one).
    one.live.contact_typing(CONVERSATION, INBOX)
    one.flush()
    assert two.bus.events("conversation.typing")[-1]["sender_type"] == "contact"
    # Anna leaves (her client's call, on process one): gone everywhere, typing too.
    published = len(two.bus.published)
    one.live.view(ANNA, CONVERSATION, INBOX, False)
    one.flush()
    assert two.viewing() == [{"agent_id": BRUNO, "typing": None}]
    assert [d["typing"] if "typing" in d else d["viewing"] for _, d, _ in two.bus.published][
        published:
    ] == [False, False]


def test_own_messages_are_ignored(network):
    one, _two = network
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    payloads = one.relay.payloads()
    published = list(one.bus.published)
    for payload in payloads:
        one.relay.receive(payload)
    assert one.bus.published == published
    assert one.live.snapshot() == [["v", CONVERSATION, INBOX, ANNA, 1]]  # still its own part


def test_calls_landing_on_both_processes_keep_the_viewer_until_the_last_part_runs_out(network, now):
    one, two = network
    two.live.view(BRUNO, CONVERSATION, INBOX, True)
    one.live.view(ANNA, CONVERSATION, INBOX, True)  # the balancer sent this call to one
    settle(one, two)
    now[0] = 30.0
    two.live.view(ANNA, CONVERSATION, INBOX, True)  # and the next heartbeat to two
    two.live.view(BRUNO, CONVERSATION, INBOX, True)
    two.live.type(ANNA, CONVERSATION, INBOX, "text")
    published = len(two.bus.published)
    settle(one, two)
    now[0] = VIEW_TTL_S + 1  # one's part ran out, two's has not
    for process in (one, two):
        process.live.sweep()
    settle(one, two)
    assert [v["agent_id"] for v in one.viewing()] == [ANNA, BRUNO]
    assert one.viewing() == two.viewing()
    assert two.live.agents_typing_text() == one.live.agents_typing_text() == []  # 10 s TTL
    # Bruno's and Anna's arrivals only: no flicker when one's part ran out.
    assert [d["viewing"] for d in two.bus.events("conversation.viewing")] == [True, True]
    assert len(two.bus.published) == published + 1  # the typing's end
    now[0] = 30.0 + VIEW_TTL_S + 1
    for process in (one, two):
        process.live.sweep()
    settle(one, two)
    assert one.viewing() == two.viewing() == []  # Bruno's heartbeats stopped too
    left = [d for d in one.bus.events("conversation.viewing") if d["agent_id"] == ANNA]
    assert [d["viewing"] for d in left] == [True, False]


def test_typing_stopped_on_another_process_than_it_started(network):
    one, two = network
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    one.live.type(ANNA, CONVERSATION, INBOX, "text")
    one.flush()
    assert two.live.agents_typing_text() == [CONVERSATION]
    two.live.sent(ANNA, CONVERSATION)  # her message was posted through two
    two.flush()
    assert one.live.agents_typing_text() == [] == two.live.agents_typing_text()
    assert one.live.snapshot() == [["v", CONVERSATION, INBOX, ANNA, 1]]


def test_an_agent_leaves_when_its_last_stream_anywhere_ends(network):
    one, two = network
    one.bus.stream(ANNA, True)  # her stream is on one, her calls go to two
    two.live.view(ANNA, CONVERSATION, INBOX, True)
    settle(one, two)
    two.bus.stream(ANNA, True)  # a second app of hers, on two
    settle(one, two)
    one.bus.stream(ANNA, False)
    settle(one, two)
    assert [v["agent_id"] for v in one.viewing()] == [ANNA]  # still streaming on two
    two.bus.stream(ANNA, False)
    settle(one, two)
    assert one.viewing() == two.viewing() == []


def test_a_silent_process_is_forgotten_and_comes_back_with_its_snapshot(network, now):
    one, two = network
    one.bus.stream(ANNA, True)
    two.live.view(BRUNO, CONVERSATION, INBOX, True)
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    one.live.type(ANNA, CONVERSATION, INBOX, "text")
    settle(one, two)
    now[0] += SILENT_AFTER_S + 1  # one says nothing (killed, or its loop stuck)
    two.relay.forget_silent()
    assert two.viewing() == [{"agent_id": BRUNO, "typing": None}]
    assert [d["typing"] for d in two.bus.events("conversation.typing")] == [True, False]
    assert two.relay.others == set()
    # one talks again: two does not know it any more, asks for its snapshot.
    now[0] += 0.1
    one.flush()
    settle(two, one)
    assert [v["agent_id"] for v in two.viewing()] == [ANNA, BRUNO]
    assert two.live.agents_typing_text() == [CONVERSATION]


def test_a_snapshot_replaces_what_the_others_held_and_fits_the_payload_limit(network, now):
    one, two = network
    two.relay.receive(json.dumps({"o": "one", "n": 99, "ops": [["v", 77, INBOX, ANNA, 1]]}))
    assert two.live.viewers(77) == [{"agent_id": ANNA, "typing": None}]  # one never had it
    for conversation in range(1000, 2000):
        one.live.view(ANNA, conversation, INBOX, True)
    one.relay.payloads()  # the changes themselves are lost (the connection was down)
    one.relay.connected()
    payloads = one.flush()
    assert [json.loads(p).get("S") for p in payloads] == [None, 1, 0, 2]  # hello, snapshot
    assert all(len(payload.encode()) < MAX_PAYLOAD for payload in payloads)
    assert two.live.viewers(77) == []
    assert all(two.live.viewers(c) for c in range(1000, 2000))
    # A process that stops says bye: forgotten at once.
    two.relay.receive(json.dumps({"o": "one", "n": 1000, "b": 1, "ops": []}))
    assert not any(two.live.viewers(c) for c in range(1000, 2000))
    assert two.relay.others == set()
    two.relay.receive("not json")  # logged, ignored


def test_remote_typing_ends_with_its_origin_part_and_kinds_follow_the_last_change(network, now):
    one, two = network
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    two.live.view(BRUNO, CONVERSATION, INBOX, True)
    one.live.type(ANNA, CONVERSATION, INBOX, "text")
    settle(one, two)
    two.live.type(ANNA, CONVERSATION, INBOX, "note")  # the next call landed on two
    settle(one, two)
    assert one.viewing()[0] == {"agent_id": ANNA, "typing": "note"}
    now[0] += TYPING_TTL_S + 1
    one.live.sweep()
    settle(one, two)
    assert two.viewing()[0] == {"agent_id": ANNA, "typing": "note"}  # two's part is on
    two.live.sweep()
    settle(one, two)
    assert one.viewing()[0] == {"agent_id": ANNA, "typing": None} == two.viewing()[0]


def test_a_heartbeat_that_crossed_the_leave_on_its_way_is_taken_back(now):
    processes: list[Process] = []
    one, two, three = (Process(name, now, processes) for name in ("one", "two", "three"))
    for process in processes:
        process.relay.connected()
    settle(one, two, three)
    one.live.view(ANNA, CONVERSATION, INBOX, True)
    one.flush()
    two.live.view(ANNA, CONVERSATION, INBOX, True)  # her heartbeat lands on two...
    heartbeat = two.relay.payloads()
    three.live.view(ANNA, CONVERSATION, INBOX, False)  # ...as she leaves through three
    three.flush()
    for payload in heartbeat:  # which one hears after the leave
        one.relay.receive(payload)
    assert [v["agent_id"] for v in one.viewing()] == [ANNA]
    settle(one, two, three)  # two had dropped its part at the leave, and says so
    assert one.viewing() == two.viewing() == three.viewing() == []


async def test_the_sender_goes_at_once_then_batches_what_comes_soon_after_and_says_bye():
    statements: list[list[dict[str, Any]]] = []

    async def send(payloads: list[str]) -> bool:
        statements.append([json.loads(payload) for payload in payloads])
        return True

    live = LiveState(Bus())  # type: ignore[arg-type]
    relay = LiveRelay(live, send, origin="one")
    live.view(ANNA, 99, INBOX, True)
    (ping,) = relay.payloads()  # alone: nobody to tell the change, only a ping
    assert json.loads(ping)["ops"] == []
    relay.receive(json.dumps({"o": "two", "n": 1, "ops": []}))  # another process is up
    assert "h" in json.loads(relay.payloads()[0])  # asked for its snapshot, sent this one
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.05)
        live.view(ANNA, CONVERSATION, INBOX, True)
        await asyncio.sleep(0.05)  # well under BATCH_S: it went at once
        assert [m["ops"] for m in statements[-1]] == [[["v", CONVERSATION, INBOX, ANNA, 1]]]
        live.view(BRUNO, CONVERSATION, INBOX, True)
        live.type(BRUNO, CONVERSATION, INBOX, "text")
        await asyncio.sleep(BATCH_S + 0.1)
        assert [len(m["ops"]) for m in statements[-1]] == [2]  # one statement, one message
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await relay.close()
    assert statements[-1][0]["b"] == 1

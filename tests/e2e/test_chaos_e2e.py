"""The desktop core through a chaos proxy: connections cut, stalled and delayed, many times.

The real server (a subprocess) sits behind ``ChaosProxy``; the real core (store, sync,
outbox) talks to the proxy while the agent sends through the outbox and a customer writes
through channel ingress (straight to the server). Some 30 faults in a row: every connection
cut, POSTs cut half-way through the request or with the answer lost after the server stored
the message, the event stream cut in the middle of an event, stalls past the silence
timeout, black holes (bytes lost without a reset), outages and slow links. At the end
nothing is lost or doubled (the server's messages and the client's cache agree by id and
``client_id``), and the connection state the status bar shows told the truth throughout:
not connected within the silence timeout of a stall and during an outage, connected again
soon after, and no flapping on a stall shorter than the timeout. Sends waiting in a black
hole go out as soon as the stream is back, not after the 15 s request timeout.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from convos_desktop.core.api import ApiClient
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import ConnectionState, Message
from tests.e2e.chaos_proxy import ChaosProxy, Trigger
from tests.e2e.conftest import (
    FAST_BACKOFF,
    Client,
    ServerProcess,
    Workspace,
    connected,
    running_server,
    take_ticket,
    wait_until,
)

pytestmark = pytest.mark.e2e

KEEPALIVE_S = 0.3  # server and client: a silent stream is dead after 2.5 x 0.3 = 0.75 s
STALL_S = 1.2  # stalls and black holes
OUTAGE_S = 0.8
HICCUP_S = 0.2
BACK_WITHIN_S = 4.0  # reconnect after a fault heals: backoff cap 0.5 s + bootstrap-free resume
# Sends waiting when a black hole ends are delivered this soon after the stream is back (a
# request lost in the hole would otherwise hold its send for the 15 s request timeout).
DELIVERED_WITHIN_S = 3.0
PLAN = (
    "cut",
    Trigger.POST_ANSWER,
    Trigger.STREAM_EVENT,
    Trigger.POST_REQUEST,
    "stall",
    "cut",
    Trigger.POST_ANSWER,
    "outage",
    Trigger.STREAM_EVENT,
    "hole",
    "delay",
    "hiccup",
) * 3


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    """The e2e server with a fast keep-alive, so stalls are noticed in under a second."""
    monkeypatch.setenv("CONVOS_KEEPALIVE", str(KEEPALIVE_S))
    yield from running_server(tmp_path / "server-data")


@pytest.fixture
async def proxy(server: ServerProcess) -> AsyncIterator[ChaosProxy]:
    chaos = ChaosProxy(server.port)
    await chaos.start()
    yield chaos
    await chaos.close()


@dataclass
class StateLog:
    """Every connection state the core announced, with when."""

    changes: list[tuple[float, ConnectionState]] = field(default_factory=list)

    def record(self, state: ConnectionState) -> None:
        self.changes.append((time.monotonic(), state))


def open_chaos_client(cache: Path, url: str, token: str) -> Client:
    """The core as ``open_client`` builds it, through the proxy, with a fast keep-alive."""
    store = Store(cache)
    api = ApiClient(url, token)
    sync = Sync(store, api, keepalive=KEEPALIVE_S, backoff=FAST_BACKOFF)
    outbox = Outbox(store, api, sync, backoff=FAST_BACKOFF)
    sync.start()
    outbox.start()
    return Client(store, api, sync, outbox)


async def server_messages(ws: Workspace, conversation_id: int) -> list[Message]:
    """Every message of the conversation as the server has it, oldest first."""
    found: list[Message] = []
    after = 0
    while True:
        page = await ws.admin.messages(conversation_id, after=after, limit=100)
        found.extend(page.items)
        if not page.items or not page.has_more:
            return found
        after = page.items[-1].id


async def talk(client: Client, ws: Workspace, conversation_id: int, stop: asyncio.Event) -> None:
    """The agent sends through the outbox, the customer writes, until ``stop``."""
    turn = 0
    while not stop.is_set():
        await client.outbox.send(conversation_id, f"agente {turn}")
        if turn % 2 == 0:
            await ws.customer_says(f"cliente {turn}")
        turn += 1
        await asyncio.sleep(0.12)


async def test_cuts_stalls_and_outages_lose_nothing_and_the_state_tells_the_truth(
    workspace: Workspace, proxy: ChaosProxy, tmp_path: Path
) -> None:
    answer = await workspace.customer_says("Vorrei parlare con un operatore", handoff=True)
    ticket_id, conversation_id = answer["ticket_id"], answer["conversation_id"]
    api = await workspace.agent_api()
    assert api.token is not None
    client = open_chaos_client(tmp_path / "cache.sqlite3", proxy.url, api.token)
    states = StateLog()
    client.sync.connection_state_changed.connect(states.record)
    await connected(client)
    await take_ticket(api, ticket_id)  # its system message comes through the stream
    silence = client.sync.stream.silence_timeout
    stop = asyncio.Event()
    talker = asyncio.create_task(talk(client, workspace, conversation_id, stop))
    noticed: list[float] = []  # how long a stall or an outage looked connected
    back: list[float] = []  # how long the reconnection took once the fault was gone
    try:
        for step in PLAN:
            await asyncio.sleep(0.1)
            if isinstance(step, Trigger):
                proxy.arm(step)
                await wait_until(functools.partial(proxy.fired, step), within=5, what=step)
            elif step == "cut":
                await wait_until(lambda: proxy.cut() > 0, within=2, what="a connection")
            elif step == "hiccup":  # shorter than the silence timeout: no false alarm
                changes = len(states.changes)
                proxy.stall()
                await asyncio.sleep(HICCUP_S)
                proxy.flow()
                await asyncio.sleep(KEEPALIVE_S)
                assert states.changes[changes:] == [], "a short stall flapped the state"
            elif step == "delay":
                proxy.delay = 0.08
                await asyncio.sleep(0.8)
                proxy.delay = 0.0
            else:
                fault_at = time.monotonic()
                if step == "stall":
                    proxy.stall()
                    limit = silence + 0.6
                elif step == "hole":
                    proxy.black_hole()
                    limit = silence + 0.6
                else:
                    proxy.go_down()
                    limit = 0.6
                await wait_until(
                    lambda: client.sync.connection_state is not ConnectionState.CONNECTED,
                    within=limit,
                    what=f"not connected during the {step}",
                )
                noticed.append(time.monotonic() - fault_at)
                lost_at = time.monotonic()
                await asyncio.sleep((OUTAGE_S if step == "outage" else STALL_S) - noticed[-1])
                assert client.sync.connection_state is not ConnectionState.CONNECTED
                waiting = {item.client_id for item in client.store.outbox_items()}
                if step != "outage":
                    proxy.flow()
                else:
                    proxy.come_back()
                healed_at = time.monotonic()
                assert not any(
                    lost_at <= when <= healed_at and new is ConnectionState.CONNECTED
                    for when, new in states.changes
                ), f"connected during the {step}"
                await wait_until(
                    lambda: client.sync.connection_state is ConnectionState.CONNECTED,
                    within=BACK_WITHIN_S,
                    what=f"connected after the {step}",
                )
                back.append(time.monotonic() - healed_at)
                await wait_until(
                    lambda w=waiting: not w & {i.client_id for i in client.store.outbox_items()},
                    within=DELIVERED_WITHIN_S,
                    what=f"the sends waiting during the {step} delivered",
                )
        stop.set()
        await talker
        await wait_until(lambda: client.store.outbox_items() == [], within=20, what="outbox")
        expected = await server_messages(workspace, conversation_id)

        def caught_up() -> bool:
            cached = client.store.messages_page(conversation_id, limit=10_000)
            return {m.id for m in cached} == {m.id for m in expected}

        await wait_until(caught_up, within=10, what="the cache caught up")
    finally:
        stop.set()
        await asyncio.gather(talker, return_exceptions=True)
        await client.close()
        await api.aclose()

    sent_ids = [m.client_id for m in expected if m.client_id is not None]
    agent_bodies = [m.body for m in expected if m.body.startswith("agente ")]
    customer_bodies = [m.body for m in expected if m.body.startswith("cliente ")]
    turns = len(agent_bodies)
    assert turns >= 30
    assert len(set(sent_ids)) == len(sent_ids) == turns  # each send stored once
    assert agent_bodies == [f"agente {i}" for i in range(turns)]  # all of them, in order
    assert customer_bodies == [f"cliente {i}" for i in range(0, turns, 2)]
    cached = Store(tmp_path / "cache.sqlite3")
    try:
        mine = cached.messages_page(conversation_id, limit=10_000)
        assert [(m.id, m.client_id, m.body) for m in mine] == [
            (m.id, m.client_id, m.body) for m in expected
        ]
    finally:
        cached.close()
    assert all(lag <= silence + 0.6 for lag in noticed)
    cuts = sum(proxy.stats.cuts.values())
    print(
        f"\nchaos: {len(PLAN)} faults, {cuts} connections cut {dict(proxy.stats.cuts)}, "
        f"{proxy.stats.connections} relayed, {turns} sends, "
        f"{client.sync.stream.connections} stream connections; "
        f"not-connected noticed after {max(noticed):.2f} s at most "
        f"(silence timeout {silence:.2f} s), reconnected within {max(back):.2f} s"
    )
    assert cuts >= 30

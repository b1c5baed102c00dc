"""Two ``convos-server`` processes on one PostgreSQL behind HAProxy, with the desktop core as
the clients (issue 14, scale-out).

HAProxy runs the shipped ``deploy/haproxy.cfg`` itself, its address and servers given through
the environment. Two agents' cores (store, sync, outbox) talk to the balancer only. A
gateway posts customer messages and hand-offs, retrying what got no answer, as a channel does.

1. A stream sees every message posted through either process (half of them through the one
   it is not on), once and in order.
2. Three times: in the middle of a burst of sends (outbox, ``client_id``) and hand-offs, the
   process holding the streams is killed with SIGKILL. The clients reconnect through the
   balancer to the other one; what each client saw is compared with the database by ids, and
   every send (``client_id``) and every customer message (``message_id``) is one message.
   The killed process is started again before the next round.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from benchmarks._balancer import SERVER_HEADER, HAProxy, haproxy_path
from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import EPHEMERAL_TYPES, ServerEvent
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_server.cli import create_admin
from convos_server.config import Settings
from convos_server.db import models as m
from convos_server.db.engine import Database
from tests.e2e.conftest import (
    ADMIN_EMAIL,
    FAST_BACKOFF,
    PASSWORD,
    Client,
    ServerProcess,
    create_agent,
    take_ticket,
    update_agent,
    wait_until,
)
from tests.server.conftest import fresh_postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ROUNDS = 3
SENDS_PER_CLIENT = 8
GATEWAYS = 3  # posting at once, so that requests are in flight when a process dies
HANDOFFS = 9  # new customers per round, spread over the gateways
HANDOFF_PAUSE_S = 0.1  # the hand-offs go on after the kill


def haproxy_binary() -> str:
    """HAProxy's path; the test is skipped without it."""
    found = haproxy_path()
    if found is None:
        pytest.skip("HAProxy is not installed")
    return found


class PostgresServer(ServerProcess):
    """A server process on the shared PostgreSQL database; ``stop`` is a SIGKILL."""

    def __init__(self, name: str, data_dir: Path, database_url: str) -> None:
        super().__init__(data_dir)
        self.name = name
        self.database_url = database_url

    def _command(self, *args: str) -> list[str]:
        return [*super()._command(*args), "--database-url", self.database_url]


class Balancer(HAProxy):
    """The shipped HAProxy configuration in front of ``servers``."""

    def __init__(self, servers: list[PostgresServer], log: Path) -> None:
        super().__init__([f"127.0.0.1:{server.port}" for server in servers], log)

    async def answered_by(self, name: str, within: float = 20.0) -> None:
        """Until a health request through the balancer is answered by server ``name`` (it is
        up in HAProxy's eyes: least connections sends a new request to the idle one)."""

        async def answers() -> bool:
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    response = await http.get(f"{self.url}/api/v1/health")
            except httpx.TransportError:
                return False
            return response.status_code == 200 and response.headers.get(SERVER_HEADER) == name

        await wait_until(answers, within=within, what=f"{name} behind the balancer")


class RecordingSync(Sync):
    """The app's sync, remembering every stored event the stream handed it, in order."""

    def __init__(self, store: Store, api: ApiClient) -> None:
        super().__init__(store, api, backoff=FAST_BACKOFF)
        self.events: list[ServerEvent] = []

    def receive(self, event: ServerEvent) -> None:
        if event.type not in EPHEMERAL_TYPES:
            self.events.append(event)
        super().receive(event)

    def created(self, after_seq: int) -> list[int]:
        """Ids of the messages of ``message.created`` events after ``after_seq``, as seen."""
        return [
            int(event.data["message"]["id"])
            for event in self.events
            if event.type == "message.created" and event.seq > after_seq
        ]


@dataclass
class AgentApp:
    """One agent's app: the core on the balancer, and which server answered its streams."""

    client: Client
    sync: RecordingSync
    conversation_id: int
    stream_servers: list[str] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)

    @property
    def stream_server(self) -> str:
        """The server behind the newest stream connection."""
        return self.stream_servers[-1]

    async def send_burst(self, label: str) -> None:
        """Queue the round's sends at once (the outbox posts them in order, retrying)."""
        for n in range(SENDS_PER_CLIENT):
            echo = await self.client.outbox.send(self.conversation_id, f"{label} {n}")
            assert echo.client_id is not None
            self.client_ids.append(echo.client_id)

    def pending(self) -> int:
        """Sends not delivered yet."""
        return len(self.client.store.outbox_items())

    def sent_everything(self) -> bool:
        return self.pending() == 0

    def connected_more_than(self, connections: int) -> bool:
        return self.sync.stream.connections > connections


async def open_agent(
    cache: Path, url: str, email: str, ticket_id: int, conversation: int
) -> AgentApp:
    """Log in through the balancer, take the ticket, start the core (sync, then outbox)."""
    api = ApiClient(url)
    await api.login(email, PASSWORD, "e2e")
    await take_ticket(api, ticket_id)
    servers: list[str] = []

    async def note_stream(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/events"):
            servers.append(response.headers.get(SERVER_HEADER, "?"))

    api.http.event_hooks["response"].append(note_stream)
    store = Store(cache)
    sync = RecordingSync(store, api)
    outbox = Outbox(store, api, sync, backoff=FAST_BACKOFF)
    sync.start()
    outbox.start()
    agent = AgentApp(Client(store, api, sync, outbox), sync, conversation, servers)
    await wait_until(lambda: agent.sync.stream.connections > 0, what="stream connected")
    return agent


@dataclass
class Gateway:
    """A channel gateway: posts customer messages, and again (the same ``message_id``) when
    no answer came back."""

    inbox_id: int
    api_key: str
    retried: int = 0
    message_ids: list[str] = field(default_factory=list)

    async def post(self, base_url: str, external_id: str, text: str, *, handoff: bool) -> Any:
        message_id = f"{external_id}/{text}"  # the channel's id: the same on a retry
        self.message_ids.append(message_id)
        payload = {
            "contact": {"external_id": external_id},
            "text": text,
            "handoff": handoff,
            "message_id": message_id,
        }
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            for _ in range(100):
                try:
                    response = await http.post(
                        f"/api/v1/channels/{self.inbox_id}/messages",
                        json=payload,
                        headers={"X-Api-Key": self.api_key},
                    )
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code < 500:
                    assert response.status_code in (200, 201), response.text
                    return response.json()
                self.retried += 1
                await asyncio.sleep(0.05)
        raise AssertionError(f"{external_id}: the gateway never got an answer")


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (skipped without ``CONVOS_TEST_PG_URL``)."""
    haproxy_binary()
    async with fresh_postgres_database() as url:
        yield url


@dataclass
class Stored:
    """What the database holds, to compare with what the clients saw."""

    created: list[int]  # message ids of the inbox's new ``message.created`` events, in order
    per_client_id: dict[str, int]  # messages per agent ``client_id``
    per_conversation: dict[int, set[int]]  # message ids per conversation
    tickets_per_contact: dict[int, int]


async def stored(database_url: str, inbox_id: int, after_seq: int) -> Stored:
    """Read what the database holds (every process wrote there); events after ``after_seq``."""
    db = Database(database_url)
    try:
        async with db.sessionmaker() as session:
            events = await session.execute(
                select(m.Event.data)
                .where(m.Event.id > after_seq, m.Event.inbox_id == inbox_id)
                .where(m.Event.type == "message.created")
                .order_by(m.Event.id)
            )
            result = Stored(
                [int(json.loads(data)["message"]["id"]) for data in events.scalars()], {}, {}, {}
            )
            for message_id, conversation_id, client_id in await session.execute(
                select(m.Message.id, m.Message.conversation_id, m.Message.client_id)
            ):
                result.per_conversation.setdefault(conversation_id, set()).add(message_id)
                if client_id is not None:
                    result.per_client_id[client_id] = result.per_client_id.get(client_id, 0) + 1
            for (contact_id,) in await session.execute(select(m.Ticket.contact_id)):
                count = result.tickets_per_contact.get(contact_id, 0)
                result.tickets_per_contact[contact_id] = count + 1
    finally:
        await db.dispose()
    return result


@dataclass
class Floor:
    """The servers, the balancer, the agents' apps and the gateway of the test."""

    database_url: str
    servers: list[PostgresServer]
    balancer: Balancer
    agents: list[AgentApp]
    gateway: Gateway
    baseline: int  # the newest event the agents had when they were all connected

    async def everyone_saw_the_database(self) -> bool:
        """Whether each agent's stream gave the inbox's new messages, once and in order."""
        expected = (await stored(self.database_url, self.gateway.inbox_id, self.baseline)).created
        return all(agent.sync.created(self.baseline) == expected for agent in self.agents)

    async def handoffs(self, round_: int, done: list[str]) -> None:
        """New customers handing off (two messages each) through the balancer, from
        ``GATEWAYS`` gateways at once."""
        await asyncio.gather(*(self._handoffs(round_, n, done) for n in range(GATEWAYS)))

    async def _handoffs(self, round_: int, first: int, done: list[str]) -> None:
        for n in range(first, HANDOFFS, GATEWAYS):
            customer = f"wa-{round_}-{n}"
            await self.gateway.post(self.balancer.url, customer, "Operatore", handoff=True)
            await self.gateway.post(self.balancer.url, customer, "Grazie", handoff=True)
            done.append(customer)
            await asyncio.sleep(HANDOFF_PAUSE_S)

    async def kill_round(self, round_: int) -> None:
        """SIGKILL the process holding the first agent's stream in the middle of a burst;
        everything reaches everyone through the other; the killed one starts again."""
        agents = self.agents
        victim = next(s for s in self.servers if s.name == agents[0].stream_server)
        connections = [agent.sync.stream.connections for agent in agents]
        on_victim = [agent.stream_server == victim.name for agent in agents]
        for agent in agents:
            await agent.send_burst(f"giro {round_}")
        handed_off: list[str] = []
        burst = asyncio.create_task(self.handoffs(round_, handed_off))
        await wait_until(
            lambda: agents[0].pending() <= SENDS_PER_CLIENT // 2 and len(handed_off) >= GATEWAYS,
            what="the middle of the burst",
        )
        victim.stop()  # SIGKILL
        await burst
        for agent, earlier, cut in zip(agents, connections, on_victim, strict=True):
            await wait_until(agent.sent_everything, within=30, what="sends done")
            if cut:  # it came back through the balancer, to the other process
                await wait_until(partial(agent.connected_more_than, earlier), what="reconnected")
            assert agent.stream_server != victim.name
        await wait_until(self.everyone_saw_the_database, within=20, what=f"round {round_}")
        victim.start()  # same port: HAProxy takes it back after its health checks
        await self.balancer.answered_by(victim.name)


async def start_floor(database_url: str, tmp_path: Path, stack: list[Any]) -> Floor:
    """Both servers at once on the empty database (one migrates, under the lock), HAProxy,
    an admin, a team of two agents, an inbox, and each agent's app with a ticket of its own.
    What must be closed is appended to ``stack``."""
    servers = [PostgresServer(f"convos{n}", tmp_path / f"server{n}", database_url) for n in (1, 2)]
    stack.extend(servers)
    await asyncio.gather(*(asyncio.to_thread(server.start) for server in servers))
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    await create_admin(settings, ADMIN_EMAIL, PASSWORD, "Admin")
    balancer = Balancer(servers, tmp_path / "haproxy.log")
    stack.append(balancer)
    for server in servers:
        await balancer.answered_by(server.name)
    admin = ApiClient(balancer.url)
    stack.append(admin)
    await admin.login(ADMIN_EMAIL, PASSWORD)
    team = await admin.create_team("Assistenza")
    inbox = await admin.create_inbox(
        {"name": "WhatsApp", "channel": "whatsapp", "team_id": team.id, "assignment": "manual"}
    )
    gateway = Gateway(inbox["id"], inbox["api_key"])
    agents: list[AgentApp] = []
    for n, name in enumerate(("Anna", "Bruno")):
        person = await create_agent(admin, name, f"{name.lower()}@example.com", PASSWORD)
        await update_agent(admin, person.id, {"team_ids": [team.id]})
        opened = await gateway.post(balancer.url, f"wa-{n}", "Buongiorno", handoff=True)
        agent = await open_agent(
            tmp_path / f"cache-{n}.sqlite3",
            balancer.url,
            person.email,
            opened["ticket_id"],
            opened["conversation_id"],
        )
        stack.append(agent.client)
        agents.append(agent)
    baseline = max(event.seq for agent in agents for event in agent.sync.events)
    return Floor(database_url, servers, balancer, agents, gateway, baseline)


async def test_two_processes_behind_haproxy_lose_and_double_nothing_when_one_is_killed(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="convos.outbox")
    stack: list[Any] = []
    try:
        floor = await start_floor(database_url, tmp_path, stack)
        # 1. Messages posted straight to each process, alternately: whichever process holds a
        #    stream, half of them went through the other one.
        for n in range(10):
            server = floor.servers[n % 2]
            await floor.gateway.post(server.url, "wa-0", f"diretto {n}", handoff=False)
        await wait_until(floor.everyone_saw_the_database, what="messages of both processes")

        # 2. Kill the process holding the streams in the middle of a burst, three times.
        for round_ in range(ROUNDS):
            await floor.kill_round(round_)

        database = await stored(database_url, floor.gateway.inbox_id, floor.baseline)
        agents = floor.agents
        sent = [client_id for agent in agents for client_id in agent.client_ids]
        assert len(sent) == ROUNDS * SENDS_PER_CLIENT * len(agents)
        assert all(database.per_client_id.get(client_id) == 1 for client_id in sent)
        posted = floor.gateway.message_ids  # a retried customer message is stored once too
        assert all(database.per_client_id.get(message_id) == 1 for message_id in posted)
        assert set(database.tickets_per_contact.values()) == {1}  # a hand-off again: same ticket
        assert len(database.tickets_per_contact) == len(agents) + ROUNDS * HANDOFFS
        retried = sum("not delivered yet" in record.getMessage() for record in caplog.records)
        print(f"sent again: {floor.gateway.retried} by the gateway, {retried} by the outboxes")
        assert agents[0].sync.created(floor.baseline) == database.created
        for agent in agents:
            seqs = [event.seq for event in agent.sync.events]
            assert seqs == sorted(set(seqs))  # every event once, in order
            cached = {
                message.id
                for message in agent.client.store.messages_page(agent.conversation_id, limit=1000)
            }
            in_database = database.per_conversation[agent.conversation_id]
            assert cached <= in_database  # no echo left over, no message twice
            assert in_database & set(database.created) <= cached  # every new one applied
    finally:
        for closing in reversed(stack):
            if isinstance(closing, Client):
                await closing.close()
            elif isinstance(closing, ApiClient):
                await closing.aclose()
            else:
                closing.close()

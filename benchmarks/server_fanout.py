"""Event fan-out of one server process: many agents on ``/api/v1/events``, broadcast latency.

``--agents`` agents of the inbox's team each hold one ``GET /api/v1/events`` stream (opened
50 at a time). Then, per run, ``--messages`` customer messages are posted to the inbox's
ingress one every ``--interval`` seconds (open loop); each one becomes a ``message.created``
event for every agent. The broadcast latency of a message is from its intended send time
to the moment the *last* agent's stream delivered it; per-delivery latencies are reported
too. The default interval (1 s) keeps broadcasts from overlapping, so each one is measured
alone; a shorter ``--interval`` measures sustained fan-out instead. Memory per connection
is (server VmRSS with the streams - VmRSS before) / agents. Server CPU per delivery is the
server process's user + system CPU time over a run (from ``/proc``) divided by the events
delivered: unlike the latencies it hardly moves with other load on the machine.
``--profile`` records the server during the runs only, not while the streams connect.

The floor (issue 14): beside our server, the bare asyncio fan-out server of
``benchmarks._floor_app`` (``fanout`` mode, the one ``server_floor`` uses) gets as many
subscriber sockets from the same generator; after each run alone, the same number of
broadcasts at the same interval make it write one frame of ours (a ``message.created`` as our
streams sent it, chunked) to every socket, one ``transport.write`` each. Its broadcast p50 / p99
and CPU per delivery are reported beside ours, and the ratios (target: our CPU per delivery at
most 2x the floor's).

Live paths (issue 15): every run is measured alone and then under each live load in turn
(interleaved, so the machine's noise falls on every case alike), each load in a process of
its own (real clients are not in the event loop that timestamps the streams). ``workday``
(``WorkdayLoad``): every agent calls ``PUT .../viewing`` and ``PUT .../typing`` as the
desktop client does for an agent who answers a customer a minute, typing each reply for 15 s
(about 100 requests/s for 1,000 agents with the client's constants; derivation in
benchmarks/RESULTS.md). ``stress`` (``PairsLoad``, the first version of this benchmark):
``--typists`` agents (200, smoke 4) in pairs, each toggling typing every ``TYPING_ON_S``
(about 133 requests/s). The report gives, per load, the live request rate reached, the
broadcast figures, the server CPU per live request (the run's CPU less the run alone's, per
request) and the change of the broadcast p99 and p50 against the runs alone; the target is
at most 10 %.
Run: ``python -m benchmarks.server_fanout [--smoke]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import os
import random
import re
import statistics
from collections.abc import AsyncIterator, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from benchmarks._common import (
    Report,
    ServerProcess,
    Target,
    Workspace,
    create_workspace,
    load_average,
    machine_context,
    option_parser,
    percentile,
    positive_runs,
    profiling,
    raise_open_file_limit,
    running_server,
)
from benchmarks._cpu import process_cpu_s
from benchmarks._loadgen import (
    ConnectionPool,
    EventRecorder,
    build_request,
    host_and_port,
    open_event_streams,
    open_loop,
)
from benchmarks.server_floor import FloorProcess
from convos_desktop.core import live as live_client
from convos_server.services.events import sse_frame

log = logging.getLogger("convos.bench.fanout")

TARGET_AGENTS = 1_000
TARGET_P99_MS = 50.0
TARGET_KB_PER_CONNECTION = 50.0
SETTLE_S = 2.0
TARGET_LIVE_CHANGE_PCT = 10.0
TARGET_FLOOR_RATIO = 2.0
TYPING_ON_S = 1.5
# The workday load (derivation in benchmarks/RESULTS.md): every agent sends a reply a
# minute, typing it for 15 s.
REPLY_EVERY_S = 60.0
COMPOSE_S = 15.0
LIVE_WARM_UP_S = 6.0
LIVE_PAUSE_S = 2.0
_EPHEMERAL = frozenset({"conversation.viewing", "conversation.typing"})
_MARKER = re.compile(rb'"body":"fanout-(\d+)-(\d+)"')


@dataclass(frozen=True)
class FanoutRun:
    """The figures of one run."""

    broadcast_p50_ms: float
    broadcast_p99_ms: float
    delivery_p50_ms: float
    delivery_p99_ms: float
    missed_deliveries: int
    failed_sends: int
    post_p99_ms: float
    cpu_us_per_delivery: float
    cpu_s: float
    seconds: float
    live_events: int = 0
    live_requests: int = 0


class Broadcaster:
    """Posts the customer messages that every agent receives."""

    def __init__(self, workspace: Workspace) -> None:
        self._host, self._port = host_and_port(workspace.url)
        self._path = f"/api/v1/channels/{workspace.inbox_id}/messages"
        self._headers = {"X-Api-Key": workspace.inbox_key}
        self.pool = ConnectionPool(self._host, self._port, limit=4)

    async def send(self, body: str, customer: str = "bench-fanout-customer") -> int:
        """Post ``body`` from the benchmark's customer; the HTTP status."""
        return (await self.post(body, customer))[0]

    async def post(self, body: str, customer: str) -> tuple[int, bytes]:
        """Post ``body`` from ``customer``; the HTTP status and the answer."""
        payload = {"contact": {"external_id": customer}, "text": body}
        request = build_request(
            "POST",
            self._path,
            f"{self._host}:{self._port}",
            json.dumps(payload).encode(),
            self._headers,
        )
        return await self.pool.request(request)


class LiveLoad:
    """Agents calling ``PUT .../viewing`` and ``PUT .../typing``; subclasses say how."""

    name = ""
    settle_s = 1.0  # how long the load runs before its measured run starts

    def __init__(self, workspace: Workspace, tokens: Sequence[str]) -> None:
        self._host, self._port = host_and_port(workspace.url)
        self._tokens = list(tokens)
        self._conversations: list[int] = []
        self.pool = ConnectionPool(self._host, self._port, limit=64)
        self.requests = 0
        self.failures = 0

    @property
    def conversations_needed(self) -> int:
        """How many customer conversations the agents look at."""
        return len(self._tokens) // 2

    async def prepare(self, broadcaster: Broadcaster) -> None:
        """The customer conversations (customers of the inbox), made four at a time."""

        async def one(index: int) -> int:
            status, body = await broadcaster.post("live-hello", f"bench-live-{index}")
            if status != 201:
                raise RuntimeError(f"live customer ingress answered {status}")
            return int(json.loads(body)["conversation_id"])

        self._conversations = list(
            await asyncio.gather(*(one(index) for index in range(self.conversations_needed)))
        )

    async def _put(self, token: str, path: str, payload: dict[str, object]) -> None:
        request = build_request(
            "PUT",
            f"/api/v1/conversations/{path}",
            f"{self._host}:{self._port}",
            json.dumps(payload).encode(),
            {"Authorization": f"Bearer {token}"},
        )
        self.requests += 1
        try:
            status, _body = await self.pool.request(request)
        except (OSError, ConnectionError, asyncio.IncompleteReadError):
            self.failures += 1
            return
        if status >= 400:
            self.failures += 1

    async def _leave(self, token: str, conversation_id: int) -> None:
        with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
            await asyncio.shield(self._put(token, f"{conversation_id}/viewing", {"viewing": False}))

    def _agents(self) -> list[Coroutine[object, object, None]]:
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def running_elsewhere(self) -> AsyncIterator[None]:
        """``running`` in a process of its own, like real clients: not in the event loop that
        reads and timestamps the 1,000 streams. ``requests``/``failures`` follow it."""
        context = multiprocessing.get_context("spawn")
        requests, failures = context.Value("q", 0), context.Value("q", 0)
        ready, stop = context.Event(), context.Event()
        arguments = (self, requests, failures, ready, stop)
        process = context.Process(target=_load_process, args=arguments, daemon=True)
        before_requests, before_failures = self.requests, self.failures

        def follow() -> None:
            self.requests = before_requests + requests.value
            self.failures = before_failures + failures.value

        async def follow_forever() -> None:
            while True:
                follow()
                await asyncio.sleep(0.05)

        process.start()
        follower = asyncio.create_task(follow_forever())
        try:
            if not await asyncio.to_thread(ready.wait, 60):
                raise RuntimeError("the live load's process did not start")
            yield
        finally:
            stop.set()
            await asyncio.to_thread(process.join, 60)
            follower.cancel()
            follow()

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["pool"] = None  # a fresh pool in the load's own process
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.pool = ConnectionPool(self._host, self._port, limit=64)
        self.requests = self.failures = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The agents act while the block runs; they leave their conversations after it."""
        tasks = [asyncio.create_task(agent) for agent in self._agents()]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class PairsLoad(LiveLoad):
    """The stress load (the first version of this benchmark): pairs of agents, each pair
    viewing its own customer's conversation and typing in it in turn, every agent toggling
    typing every ``TYPING_ON_S`` (2 calls per 3 s per agent: 133 requests/s for 200 agents)."""

    name = "stress"

    async def _agent(self, token: str, conversation_id: int, turn: int) -> None:
        loop = asyncio.get_running_loop()
        await self._put(token, f"{conversation_id}/viewing", {"viewing": True})
        heartbeat = loop.time() + live_client.VIEW_HEARTBEAT_S
        await asyncio.sleep(turn * TYPING_ON_S)
        try:
            while True:
                await self._put(token, f"{conversation_id}/typing", {"kind": "text"})
                await asyncio.sleep(TYPING_ON_S)
                await self._put(token, f"{conversation_id}/typing", {"kind": None})
                await asyncio.sleep(TYPING_ON_S)
                if loop.time() >= heartbeat:
                    await self._put(token, f"{conversation_id}/viewing", {"viewing": True})
                    heartbeat = loop.time() + live_client.VIEW_HEARTBEAT_S
        finally:
            await self._leave(token, conversation_id)

    def _agents(self) -> list[Coroutine[object, object, None]]:
        return [
            self._agent(token, self._conversations[index // 2], index % 2)
            for index, token in enumerate(self._tokens[: len(self._conversations) * 2])
        ]


class WorkdayLoad(LiveLoad):
    """Every agent at work as the desktop client makes it call (``convos_desktop/core/live.py``,
    derivation in benchmarks/RESULTS.md): one conversation open at a time, a viewing
    heartbeat every ``VIEW_HEARTBEAT_S``; every ``REPLY_EVERY_S`` the agent opens the next of
    its pair's three conversations (``viewing`` false on the last, true on the next after
    ``VIEW_DEBOUNCE_S``), reads, then types a reply for ``COMPOSE_S`` (``typing`` at once,
    again every ``TYPING_REPEAT_S`` while keys are pressed) and sends it (the server clears
    the typing: no call). Phases are random (seeded), so the calls are spread evenly."""

    name = "workday"

    def __init__(self, workspace: Workspace, tokens: Sequence[str], warm_up_s: float) -> None:
        super().__init__(workspace, tokens)
        self._warm_up_s = warm_up_s
        self.settle_s = warm_up_s + 1.0

    async def _heartbeat(self, token: str, viewing: list[int], first_s: float) -> None:
        await asyncio.sleep(first_s)
        while True:
            if viewing:
                await self._put(token, f"{viewing[0]}/viewing", {"viewing": True})
            await asyncio.sleep(live_client.VIEW_HEARTBEAT_S)

    async def _agent(self, index: int, token: str) -> None:
        rng = random.Random(index)
        pair = index // 2
        mine = [self._conversations[(pair + k) % len(self._conversations)] for k in range(3)]
        viewing: list[int] = []
        heartbeat: asyncio.Task[None] | None = None
        step = rng.randrange(3)

        async def open_conversation(conversation_id: int, heartbeat_s: float) -> None:
            nonlocal heartbeat
            if heartbeat is not None:
                heartbeat.cancel()
            if viewing:
                await self._put(token, f"{viewing.pop()}/viewing", {"viewing": False})
            await asyncio.sleep(live_client.VIEW_DEBOUNCE_S)
            viewing.append(conversation_id)
            await self._put(token, f"{conversation_id}/viewing", {"viewing": True})
            heartbeat = asyncio.create_task(self._heartbeat(token, viewing, heartbeat_s))

        loop = asyncio.get_running_loop()
        try:
            # Already at work when the run starts: the first conversation opened within the
            # warm-up, the current reply cycle anywhere in its course.
            await asyncio.sleep(rng.uniform(0, self._warm_up_s))
            # (opened a while ago: its next heartbeat anywhere in the period)
            await open_conversation(mine[step], rng.uniform(0, live_client.VIEW_HEARTBEAT_S))
            cycle_end = loop.time() + rng.uniform(0, REPLY_EVERY_S)
            while True:
                typing_at = cycle_end - COMPOSE_S
                if loop.time() < typing_at:
                    await asyncio.sleep(typing_at - loop.time())
                while loop.time() < cycle_end - 0.05:
                    await self._put(token, f"{viewing[0]}/typing", {"kind": "text"})
                    await asyncio.sleep(
                        min(live_client.TYPING_REPEAT_S, max(0.0, cycle_end - loop.time()))
                    )
                # Sent: the server clears the typing with the message (no call).
                step += 1
                await open_conversation(mine[step % 3], live_client.VIEW_HEARTBEAT_S)
                cycle_end += REPLY_EVERY_S
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            if viewing:
                await self._leave(token, viewing[0])

    def _agents(self) -> list[Coroutine[object, object, None]]:
        return [self._agent(index, token) for index, token in enumerate(self._tokens)]


def _load_process(
    load: LiveLoad,
    requests: Synchronized[int],
    failures: Synchronized[int],
    ready: EventType,
    stop: EventType,
) -> None:
    """A live load's own process: run it until ``stop``, publishing its counts."""

    async def run() -> None:
        async with load.running():
            ready.set()
            while not stop.is_set():
                requests.value, failures.value = load.requests, load.failures
                await asyncio.sleep(0.05)
        requests.value, failures.value = load.requests, load.failures
        load.pool.close()

    asyncio.run(run())


def workday_rate(agents: int) -> float:
    """Live requests per second of ``agents`` agents in ``WorkdayLoad`` (steady state)."""
    heartbeats = math.ceil(REPLY_EVERY_S / live_client.VIEW_HEARTBEAT_S) - 1
    viewing = 2 + heartbeats  # leave the last conversation, open the next, heartbeats
    typing = math.ceil(COMPOSE_S / live_client.TYPING_REPEAT_S)
    return agents * (viewing + typing) / REPLY_EVERY_S


async def wait_until_all_receive(
    streams: list[EventRecorder], broadcaster: Broadcaster, timeout_s: float
) -> None:
    """Send one message and wait until every stream delivered it (subscriptions are live)."""
    status = await broadcaster.send("fanout-warm-up")
    if status != 201:
        raise RuntimeError(f"warm-up ingress answered {status}")
    waiting = set(range(len(streams)))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while waiting and loop.time() < deadline:
        await asyncio.sleep(0.1)
        for index in list(waiting):
            if any(b"fanout-warm-up" in event.data for event in streams[index].take_events()):
                waiting.discard(index)
    if waiting:
        raise RuntimeError(f"{len(waiting)} streams did not receive the warm-up message")


def run_latencies(
    streams: list[EventRecorder], run: int, due: dict[int, float]
) -> tuple[list[float], list[float], int, int]:
    """Per-message broadcast latencies, per-delivery latencies (s), missed deliveries, and
    the ephemeral (live) events the streams received.

    ``due`` holds the accepted messages only (a failed send is not a missed delivery).
    """
    arrivals: dict[int, list[float]] = {index: [] for index in due}
    live = 0
    for stream in streams:
        for event in stream.take_events():
            if event.type in _EPHEMERAL:
                live += 1
                continue
            match = _MARKER.search(event.data)
            if event.type != "message.created" or not match or int(match.group(1)) != run:
                continue
            index = int(match.group(2))
            if index in due:
                arrivals[index].append(event.arrived - due[index])
    deliveries = [latency for latencies in arrivals.values() for latency in latencies]
    complete = [max(lat) for lat in arrivals.values() if len(lat) == len(streams)]
    missed = len(due) * len(streams) - len(deliveries)
    return complete, deliveries, missed, live


async def measure_run(
    server: ServerProcess,
    streams: list[EventRecorder],
    broadcaster: Broadcaster,
    run: int,
    count: int,
    interval: float,
    live: LiveLoad | None = None,
) -> FanoutRun:
    """``count`` broadcasts ``interval`` seconds apart, then the latencies."""
    for stream in streams:
        stream.take_events()
    due: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()
    requests_before = live.requests if live is not None else 0
    cpu_before = process_cpu_s(server.pid)

    async def send(index: int) -> int:
        return await broadcaster.send(f"fanout-{run}-{index}")

    result = await open_loop(1 / interval, count, send, SETTLE_S, on_due=due.__setitem__)
    await asyncio.sleep(SETTLE_S)
    cpu_s = process_cpu_s(server.pid) - cpu_before
    seconds = loop.time() - started
    live_requests = live.requests - requests_before if live is not None else 0
    accepted = {sample.index: due[sample.index] for sample in result.ok}
    complete, deliveries, missed, live_events = run_latencies(streams, run, accepted)
    return FanoutRun(
        broadcast_p50_ms=percentile(complete, 50) * 1000,
        broadcast_p99_ms=percentile(complete, 99) * 1000,
        delivery_p50_ms=percentile(deliveries, 50) * 1000,
        delivery_p99_ms=percentile(deliveries, 99) * 1000,
        missed_deliveries=missed,
        failed_sends=count - len(result.ok),
        post_p99_ms=percentile([sample.latency for sample in result.ok], 99) * 1000,
        cpu_us_per_delivery=cpu_s / max(1, len(deliveries)) * 1e6,
        cpu_s=cpu_s,
        seconds=seconds,
        live_events=live_events,
        live_requests=live_requests,
    )


class FloorSink(asyncio.Protocol):
    """A subscriber socket of the bare asyncio fan-out floor: timestamps its reads."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.reads: list[tuple[float, int]] = []
        self._received = 0
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Join the floor's subscribers."""
        self._transport = transport
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(b"sink\n")

    def data_received(self, data: bytes) -> None:
        """Timestamp the bytes: nothing else while measuring."""
        self.reads.append((self._loop.time(), len(data)))

    def arrivals(self, frame_bytes: int) -> list[float]:
        """When each frame written since the last call arrived whole, oldest first."""
        arrived: list[float] = []
        for at, size in self.reads:
            self._received += size
            while self._received >= frame_bytes:
                self._received -= frame_bytes
                arrived.append(at)
        self.reads.clear()
        return arrived

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()


@dataclass(frozen=True)
class FloorRun:
    """One run of the bare asyncio broadcast."""

    broadcast_p50_ms: float
    broadcast_p99_ms: float
    cpu_us_per_delivery: float
    missed_deliveries: int


class FanoutFloor:
    """The bare asyncio fan-out server, subscribed to by as many sockets as our streams."""

    def __init__(self, process: FloorProcess) -> None:
        self._process = process
        self.sinks: list[FloorSink] = []
        self._control: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._lock = asyncio.Lock()

    async def connect(self, subscribers: int) -> None:
        """Open the subscriber sockets (50 at a time) and the control connection."""
        host, port = host_and_port(self._process.url)
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(50)

        async def one() -> FloorSink:
            async with slots:
                _transport, sink = await loop.create_connection(FloorSink, host, port)
                return sink

        self.sinks = list(await asyncio.gather(*(one() for _ in range(subscribers))))
        self._control = await asyncio.open_connection(host, port)
        await asyncio.sleep(0.5)  # the sinks are registered

    async def broadcast(self, frame: bytes) -> int:
        """Have the floor write ``frame`` once to every sink; 201 when it did."""
        assert self._control is not None
        reader, writer = self._control
        async with self._lock:
            writer.write(b"go 1 %s\n" % frame.hex().encode())
            await reader.readuntil(b"done\n")
        return 201

    async def measure_run(self, frame: bytes, count: int, interval: float) -> FloorRun:
        """``count`` broadcasts ``interval`` seconds apart, as our runs are made."""
        for sink in self.sinks:
            sink.arrivals(len(frame))
        due: dict[int, float] = {}
        cpu_before = process_cpu_s(self._process.pid)

        async def send(_index: int) -> int:
            return await self.broadcast(frame)

        result = await open_loop(1 / interval, count, send, SETTLE_S, on_due=due.__setitem__)
        await asyncio.sleep(SETTLE_S)
        # At least one clock tick: a tiny run (smoke) may not use a whole one.
        cpu_s = max(process_cpu_s(self._process.pid) - cpu_before, 1 / os.sysconf("SC_CLK_TCK"))
        sent = sorted(due[sample.index] for sample in result.ok)
        per_sink = [sink.arrivals(len(frame)) for sink in self.sinks]
        complete = [
            max(arrived[index] for arrived in per_sink) - sent[index]
            for index in range(len(sent))
            if all(len(arrived) > index for arrived in per_sink)
        ]
        delivered = sum(min(len(arrived), len(sent)) for arrived in per_sink)
        return FloorRun(
            broadcast_p50_ms=percentile(complete, 50) * 1000,
            broadcast_p99_ms=percentile(complete, 99) * 1000,
            cpu_us_per_delivery=cpu_s / max(1, delivered) * 1e6,
            missed_deliveries=len(sent) * len(self.sinks) - delivered,
        )

    def close(self) -> None:
        """Close every socket."""
        for sink in self.sinks:
            sink.close()
        if self._control is not None:
            self._control[1].close()


async def our_frame(streams: list[EventRecorder], broadcaster: Broadcaster) -> bytes:
    """The chunk of one ``message.created`` as our streams write it (for the floor to write)."""
    status = await broadcaster.send("fanout-floor-frame")
    if status != 201:
        raise RuntimeError(f"ingress answered {status}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        for event in streams[0].take_events():
            if b"fanout-floor-frame" in event.data:
                frame = sse_frame(event.id or 0, event.type, event.data.decode())
                return f"{len(frame):x}\r\n".encode() + frame + b"\r\n"
    raise RuntimeError("the stream did not deliver the floor's frame")


@dataclass(frozen=True)
class FanoutResult:
    """All runs, plus the memory and connection figures measured once."""

    runs: list[FanoutRun]
    floor_runs: list[FloorRun]
    live_runs: dict[str, list[FanoutRun]]
    live_failures: int
    connected: int
    rss_before_kib: int
    rss_connected_kib: int
    streams_closed: int


async def measure(
    server: ServerProcess,
    workspace: Workspace,
    runs: int,
    count: int,
    interval: float,
    profile: Path | None,
    loads: Sequence[LiveLoad],
    floor: FanoutFloor,
    pause_s: float = LIVE_PAUSE_S,
) -> FanoutResult:
    """Baseline memory, connect every agent, memory again, then the runs (profiled): each
    run alone, then again under each live load in turn (different run numbers), so the
    machine's noise falls on every case alike."""
    host, port = host_and_port(workspace.url)
    broadcaster = Broadcaster(workspace)
    await broadcaster.send("fanout-before-streams")  # the customer's conversation exists
    for load in loads:
        await load.prepare(broadcaster)
    await asyncio.sleep(1.0)
    rss_before = server.rss_kib()
    streams = await open_event_streams(
        host, port, list(workspace.agent_tokens), concurrency=50, timeout_s=60
    )
    try:
        await wait_until_all_receive(streams, broadcaster, timeout_s=60)
        await asyncio.sleep(1.0)
        rss_connected = server.rss_kib()
        frame = await our_frame(streams, broadcaster)
        await floor.connect(len(streams))
        floor_results: list[FloorRun] = []
        results: list[FanoutRun] = []
        live_results: dict[str, list[FanoutRun]] = {load.name: [] for load in loads}
        number = 0
        with profiling(server, profile):
            for _run in range(runs):
                results.append(
                    await measure_run(server, streams, broadcaster, number, count, interval)
                )
                floor_results.append(await floor.measure_run(frame, count, interval))
                for load in loads:
                    number += 1
                    async with load.running_elsewhere():
                        await asyncio.sleep(load.settle_s)  # viewers in place, typing under way
                        live_results[load.name].append(
                            await measure_run(
                                server, streams, broadcaster, number, count, interval, load
                            )
                        )
                    await asyncio.sleep(pause_s)  # the agents' leaving calls answered
                number += 1
        closed = sum(stream.closed.done() for stream in streams)
        return FanoutResult(
            results,
            floor_results,
            live_results,
            sum(load.failures for load in loads),
            len(streams),
            rss_before,
            rss_connected,
            closed,
        )
    finally:
        for stream in streams:
            stream.close()
        floor.close()
        broadcaster.pool.close()
        for load in loads:
            load.pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit status 0 (a MISS is a result, not a failure)."""
    parser = option_parser("benchmarks.server_fanout", __doc__ or "")
    parser.add_argument("--agents", type=int, help="agents on the event stream (1,000, smoke 20)")
    parser.add_argument("--messages", type=int, help="broadcasts per run (30, smoke 10)")
    parser.add_argument(
        "--interval", type=float, help="seconds between broadcasts (1.0, smoke 0.05)"
    )
    parser.add_argument(
        "--live",
        choices=("both", "workday", "stress", "none"),
        default="both",
        help="live loads measured besides the runs alone (both)",
    )
    parser.add_argument("--typists", type=int, help="agents of the stress live load (200, smoke 4)")
    options = parser.parse_args(argv)
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    agents = options.agents or (20 if options.smoke else TARGET_AGENTS)
    count = options.messages or (10 if options.smoke else 30)
    interval = options.interval or (0.05 if options.smoke else 1.0)
    typists = min(agents, options.typists or (4 if options.smoke else 200))
    if agents < 1 or count < 1 or interval <= 0:
        raise SystemExit("--agents, --messages and --interval must be positive")
    raise_open_file_limit(agents * 4 + 1024)
    floor_process = FloorProcess("fanout")
    with running_server(options.database_url) as server, _stopping(floor_process):
        context = machine_context(server.database_version)
        workspace = asyncio.run(create_workspace(server, agents))
        loads: list[LiveLoad] = []
        if options.live in ("both", "workday"):
            warm_up = 0.5 if options.smoke else LIVE_WARM_UP_S
            loads.append(WorkdayLoad(workspace, workspace.agent_tokens, warm_up))
        if options.live in ("both", "stress"):
            loads.append(PairsLoad(workspace, workspace.agent_tokens[:typists]))
        result = asyncio.run(
            measure(
                server,
                workspace,
                runs,
                count,
                interval,
                options.profile,
                loads,
                FanoutFloor(floor_process.wait_url()),
                0.2 if options.smoke else LIVE_PAUSE_S,
            )
        )
    context.update(
        load_after=load_average(),
        runs=runs,
        agents=agents,
        messages_per_run=count,
        interval_s=interval,
        typists=typists,
        workday_rate_per_s=round(workday_rate(agents), 1),
    )
    per_connection_kb = (result.rss_connected_kib - result.rss_before_kib) * 1.024 / agents
    report = Report("server_fanout", context)
    report.add("agents connected", "streams", [result.connected], Target(">=", TARGET_AGENTS))
    report.add("streams closed by the server", "streams", [result.streams_closed], Target("<=", 0))
    report.add(
        "broadcast to all p99",
        "ms",
        [run.broadcast_p99_ms for run in result.runs],
        Target("<=", TARGET_P99_MS),
    )
    report.add("broadcast to all p50", "ms", [run.broadcast_p50_ms for run in result.runs])
    report.add("single delivery p50", "ms", [run.delivery_p50_ms for run in result.runs])
    report.add("single delivery p99", "ms", [run.delivery_p99_ms for run in result.runs])
    report.add(
        "server CPU per delivery (whole run)",
        "us",
        [run.cpu_us_per_delivery for run in result.runs],
    )
    report.add("ingress POST round trip p99", "ms", [run.post_p99_ms for run in result.runs])
    add_floor_figures(report, result)
    add_live_figures(report, result)
    report.add(
        "failed or unfinished sends",
        "msgs",
        [run.failed_sends for run in result.runs],
        Target("<=", 0),
    )
    report.add(
        "missed deliveries",
        "events",
        [run.missed_deliveries for run in result.runs],
        Target("<=", 0),
    )
    report.add(
        "server memory per connection",
        "KB",
        [per_connection_kb],
        Target("<=", TARGET_KB_PER_CONNECTION),
    )
    report.add("server RSS before streams", "MiB", [result.rss_before_kib / 1024])
    report.add("server RSS with streams", "MiB", [result.rss_connected_kib / 1024])
    report.publish(options.json)
    return 0


@contextlib.contextmanager
def _stopping(process: FloorProcess) -> Iterator[None]:
    try:
        yield
    finally:
        process.stop()


def add_floor_figures(report: Report, result: FanoutResult) -> None:
    """The bare asyncio broadcast beside ours (same generator, same run), and the ratios."""
    pairs = list(zip(result.runs, result.floor_runs, strict=True))
    report.add(
        "bare asyncio broadcast to all p99",
        "ms",
        [floor.broadcast_p99_ms for _ours, floor in pairs],
    )
    report.add(
        "bare asyncio broadcast to all p50",
        "ms",
        [floor.broadcast_p50_ms for _ours, floor in pairs],
    )
    report.add(
        "bare asyncio CPU per delivery",
        "us",
        [floor.cpu_us_per_delivery for _ours, floor in pairs],
    )
    report.add(
        "server CPU per delivery / bare asyncio",
        "x",
        [ours.cpu_us_per_delivery / floor.cpu_us_per_delivery for ours, floor in pairs],
        Target("<=", TARGET_FLOOR_RATIO),
    )
    report.add(
        "broadcast p99 / bare asyncio p99",
        "x",
        [ours.broadcast_p99_ms / floor.broadcast_p99_ms for ours, floor in pairs],
    )
    report.add(
        "bare asyncio missed deliveries",
        "events",
        [floor.missed_deliveries for _ours, floor in pairs],
        Target("<=", 0),
    )


def _change_pct(alone: list[float], live: list[float]) -> float:
    base = statistics.median(alone)
    return (statistics.median(live) - base) / base * 100 if base else 0.0


def add_live_figures(report: Report, result: FanoutResult) -> None:
    """Per live load: its runs, the server CPU per live request, and how much the load moved
    the broadcast figures (the target: at most 10 %)."""
    alone = result.runs
    for name, live in result.live_runs.items():
        prefix = f"{name} live"
        report.add(
            f"{prefix}: live requests per second",
            "req/s",
            [r.live_requests / r.seconds for r in live],
        )
        report.add(f"{prefix}: broadcast to all p99", "ms", [r.broadcast_p99_ms for r in live])
        report.add(f"{prefix}: broadcast to all p50", "ms", [r.broadcast_p50_ms for r in live])
        report.add(
            f"{prefix}: server CPU per delivery", "us", [r.cpu_us_per_delivery for r in live]
        )
        report.add(
            f"{prefix}: server CPU per live request",
            "us",
            [
                (r.cpu_s - a.cpu_s * r.seconds / a.seconds) / max(1, r.live_requests) * 1e6
                for r, a in zip(live, alone, strict=True)
            ],
        )
        report.add(f"{prefix}: live events delivered", "events", [r.live_events for r in live])
        for figure in ("p99", "p50"):
            attribute = f"broadcast_{figure}_ms"
            report.add(
                f"{prefix}: change of broadcast {figure}",
                "%",
                [
                    _change_pct(
                        [getattr(r, attribute) for r in alone],
                        [getattr(r, attribute) for r in live],
                    )
                ],
                Target("<=", TARGET_LIVE_CHANGE_PCT),
            )
    every_live = [r for live in result.live_runs.values() for r in live]
    report.add("failed live requests", "requests", [result.live_failures], Target("<=", 0))
    report.add(
        "failed or unfinished sends with live typing",
        "msgs",
        [r.failed_sends for r in every_live] or [0],
        Target("<=", 0),
    )
    report.add(
        "missed deliveries with live typing",
        "events",
        [r.missed_deliveries for r in every_live] or [0],
        Target("<=", 0),
    )


if __name__ == "__main__":
    raise SystemExit(main())

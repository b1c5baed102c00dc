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

Live paths (issue 15): every run is measured twice, alternating, once alone and once while
``--typists`` of the agents (200, smoke 4) act like colleagues at work: in pairs, each pair
viewing its own customer's conversation (``PUT .../viewing`` heartbeats) and typing in turn
(``PUT .../typing`` text for ``TYPING_ON_S``, then stopped), so ephemeral
``conversation.viewing``/``conversation.typing`` events flow the whole run. The report gives
both figures and the change of the broadcast p99 and of the CPU per delivery; the target is
that the live paths move the 1,000-agent figures by at most 10 %.
Run: ``python -m benchmarks.server_fanout [--smoke]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import statistics
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
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

log = logging.getLogger("convos.bench.fanout")

TARGET_AGENTS = 1_000
TARGET_P99_MS = 50.0
TARGET_KB_PER_CONNECTION = 50.0
SETTLE_S = 2.0
TARGET_LIVE_CHANGE_PCT = 10.0
TYPING_ON_S = 1.5
VIEW_HEARTBEAT_S = 15.0
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
    live_events: int = 0


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
    """Pairs of agents viewing one conversation each and typing in it in turn."""

    def __init__(self, workspace: Workspace, tokens: Sequence[str]) -> None:
        self._host, self._port = host_and_port(workspace.url)
        self._tokens = list(tokens)
        self._conversations: list[int] = []
        self.pool = ConnectionPool(self._host, self._port, limit=16)
        self.requests = 0
        self.failures = 0

    async def prepare(self, broadcaster: Broadcaster) -> None:
        """One customer conversation per pair (customers of the same inbox)."""
        for pair in range(len(self._tokens) // 2):
            status, body = await broadcaster.post("live-hello", f"bench-live-{pair}")
            if status != 201:
                raise RuntimeError(f"live customer ingress answered {status}")
            self._conversations.append(int(json.loads(body)["conversation_id"]))

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

    async def _agent(self, token: str, conversation_id: int, turn: int) -> None:
        loop = asyncio.get_running_loop()
        await self._put(token, f"{conversation_id}/viewing", {"viewing": True})
        heartbeat = loop.time() + VIEW_HEARTBEAT_S
        await asyncio.sleep(turn * TYPING_ON_S)
        try:
            while True:
                await self._put(token, f"{conversation_id}/typing", {"kind": "text"})
                await asyncio.sleep(TYPING_ON_S)
                await self._put(token, f"{conversation_id}/typing", {"kind": None})
                await asyncio.sleep(TYPING_ON_S)
                if loop.time() >= heartbeat:
                    await self._put(token, f"{conversation_id}/viewing", {"viewing": True})
                    heartbeat = loop.time() + VIEW_HEARTBEAT_S
        finally:
            with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
                await asyncio.shield(
                    self._put(token, f"{conversation_id}/viewing", {"viewing": False})
                )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The pairs act while the block runs."""
        tasks = [
            asyncio.create_task(self._agent(token, self._conversations[index // 2], index % 2))
            for index, token in enumerate(self._tokens[: len(self._conversations) * 2])
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


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
) -> FanoutRun:
    """``count`` broadcasts ``interval`` seconds apart, then the latencies."""
    for stream in streams:
        stream.take_events()
    due: dict[int, float] = {}
    cpu_before = process_cpu_s(server.pid)

    async def send(index: int) -> int:
        return await broadcaster.send(f"fanout-{run}-{index}")

    result = await open_loop(1 / interval, count, send, SETTLE_S, on_due=due.__setitem__)
    await asyncio.sleep(SETTLE_S)
    cpu_s = process_cpu_s(server.pid) - cpu_before
    accepted = {sample.index: due[sample.index] for sample in result.ok}
    complete, deliveries, missed, live = run_latencies(streams, run, accepted)
    return FanoutRun(
        broadcast_p50_ms=percentile(complete, 50) * 1000,
        broadcast_p99_ms=percentile(complete, 99) * 1000,
        delivery_p50_ms=percentile(deliveries, 50) * 1000,
        delivery_p99_ms=percentile(deliveries, 99) * 1000,
        missed_deliveries=missed,
        failed_sends=count - len(result.ok),
        post_p99_ms=percentile([sample.latency for sample in result.ok], 99) * 1000,
        cpu_us_per_delivery=cpu_s / max(1, len(deliveries)) * 1e6,
        live_events=live,
    )


@dataclass(frozen=True)
class FanoutResult:
    """All runs, plus the memory and connection figures measured once."""

    runs: list[FanoutRun]
    live_runs: list[FanoutRun]
    live_requests: int
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
    typists: int,
) -> FanoutResult:
    """Baseline memory, connect every agent, memory again, then the runs (profiled): each
    run alone, then again with the live load (different run numbers)."""
    host, port = host_and_port(workspace.url)
    broadcaster = Broadcaster(workspace)
    await broadcaster.send("fanout-before-streams")  # the customer's conversation exists
    live = LiveLoad(workspace, workspace.agent_tokens[:typists])
    await live.prepare(broadcaster)
    await asyncio.sleep(1.0)
    rss_before = server.rss_kib()
    streams = await open_event_streams(
        host, port, list(workspace.agent_tokens), concurrency=50, timeout_s=60
    )
    try:
        await wait_until_all_receive(streams, broadcaster, timeout_s=60)
        await asyncio.sleep(1.0)
        rss_connected = server.rss_kib()
        results: list[FanoutRun] = []
        live_results: list[FanoutRun] = []
        with profiling(server, profile):
            for run in range(runs):
                results.append(
                    await measure_run(server, streams, broadcaster, 2 * run, count, interval)
                )
                async with live.running():
                    await asyncio.sleep(1.0)  # viewers in place, typing under way
                    live_results.append(
                        await measure_run(
                            server, streams, broadcaster, 2 * run + 1, count, interval
                        )
                    )
        closed = sum(stream.closed.done() for stream in streams)
        return FanoutResult(
            results,
            live_results,
            live.requests,
            live.failures,
            len(streams),
            rss_before,
            rss_connected,
            closed,
        )
    finally:
        for stream in streams:
            stream.close()
        broadcaster.pool.close()
        live.pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit status 0 (a MISS is a result, not a failure)."""
    parser = option_parser("benchmarks.server_fanout", __doc__ or "")
    parser.add_argument("--agents", type=int, help="agents on the event stream (1,000, smoke 20)")
    parser.add_argument("--messages", type=int, help="broadcasts per run (30, smoke 10)")
    parser.add_argument(
        "--interval", type=float, help="seconds between broadcasts (1.0, smoke 0.05)"
    )
    parser.add_argument(
        "--typists", type=int, help="agents viewing and typing during the live runs (200, smoke 4)"
    )
    options = parser.parse_args(argv)
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    agents = options.agents or (20 if options.smoke else TARGET_AGENTS)
    count = options.messages or (10 if options.smoke else 30)
    interval = options.interval or (0.05 if options.smoke else 1.0)
    typists = min(agents, options.typists or (4 if options.smoke else 200))
    if agents < 1 or count < 1 or interval <= 0:
        raise SystemExit("--agents, --messages and --interval must be positive")
    raise_open_file_limit(agents * 2 + 1024)
    with running_server(options.database_url) as server:
        context = machine_context(server.database_version)
        workspace = asyncio.run(create_workspace(server, agents))
        result = asyncio.run(
            measure(server, workspace, runs, count, interval, options.profile, typists)
        )
    context.update(
        load_after=load_average(),
        runs=runs,
        agents=agents,
        messages_per_run=count,
        interval_s=interval,
        typists=typists,
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


def _change_pct(alone: list[float], live: list[float]) -> float:
    base = statistics.median(alone)
    return (statistics.median(live) - base) / base * 100 if base else 0.0


def add_live_figures(report: Report, result: FanoutResult) -> None:
    """The runs with viewing and typing under way, and how much they moved the figures."""
    live = result.live_runs
    report.add("with live typing: broadcast to all p99", "ms", [r.broadcast_p99_ms for r in live])
    report.add("with live typing: broadcast to all p50", "ms", [r.broadcast_p50_ms for r in live])
    report.add(
        "with live typing: server CPU per delivery", "us", [r.cpu_us_per_delivery for r in live]
    )
    report.add("with live typing: live events delivered", "events", [r.live_events for r in live])
    report.add("live requests (viewing, typing)", "requests", [result.live_requests])
    report.add("failed live requests", "requests", [result.live_failures], Target("<=", 0))
    report.add(
        "failed or unfinished sends with live typing",
        "msgs",
        [r.failed_sends for r in live],
        Target("<=", 0),
    )
    report.add(
        "missed deliveries with live typing",
        "events",
        [r.missed_deliveries for r in live],
        Target("<=", 0),
    )
    report.add(
        "live typing: change of broadcast p99",
        "%",
        [
            _change_pct(
                [r.broadcast_p99_ms for r in result.runs], [r.broadcast_p99_ms for r in live]
            )
        ],
        Target("<=", TARGET_LIVE_CHANGE_PCT),
    )
    report.add(
        "live typing: change of broadcast p50",
        "%",
        [
            _change_pct(
                [r.broadcast_p50_ms for r in result.runs], [r.broadcast_p50_ms for r in live]
            )
        ],
        Target("<=", TARGET_LIVE_CHANGE_PCT),
    )


if __name__ == "__main__":
    raise SystemExit(main())

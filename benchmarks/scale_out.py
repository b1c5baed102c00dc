"""Scale-out: intake and fan-out with 1 and 2 server processes behind HAProxy, side by side.

Two ``convos-server serve`` processes run on one PostgreSQL database (``--database-url`` is
required: several processes need PostgreSQL). HAProxy runs the shipped
``deploy/haproxy.cfg`` (``benchmarks._balancer``) twice in turn: first with both of its
``server`` lines on process 1 (one process behind the balancer; process 2 idles), then on
processes 1 and 2. Every request and stream of the load goes through the balancer.

* Intake: ``--workers`` gateway connections each post customer messages to the inbox's
  ingress one after the other (closed loop) for ``--duration`` seconds, from ``--contacts``
  customers who already wrote once, while ``--subscribers`` agents of the inbox's team hold
  ``/api/v1/events`` open: throughput, round trip, delivery of every message to every
  subscriber (missed ones are counted).
* Fan-out: ``--agents`` agents hold ``/api/v1/events`` open (the balancer spreads them over
  the processes); ``--messages`` customer messages, ``--interval`` seconds apart, each reach
  every agent: broadcast latency to all, missed deliveries.

CPU per message is the user + system time of the server processes (both, from ``/proc``)
over the run divided by the messages accepted (intake) or the events delivered (fan-out);
HAProxy's own CPU per message is reported beside. PostgreSQL's CPU is not included; its
write load is, as commits and rows written (inserted, updated, deleted) per intake message,
from ``pg_stat_database`` around each intake run. On a
machine with few cores the load generator, HAProxy, PostgreSQL and the servers share them:
2 processes cannot double the throughput of 1 there. Run:
``python -m benchmarks.scale_out --database-url postgresql+asyncpg://... [--smoke]``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import itertools
import logging
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url

from benchmarks._balancer import SERVER_HEADER, HAProxy, haproxy_path
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
    raise_open_file_limit,
)
from benchmarks._cpu import process_cpu_s
from benchmarks._loadgen import EventRecorder, host_and_port, open_event_streams, open_loop
from benchmarks.server_fanout import Broadcaster, run_latencies
from benchmarks.server_intake import IntakeLoad, delivery_latencies, warm_up

log = logging.getLogger("convos.bench.scale_out")

PROCESSES = (1, 2)
HEALTHY_TIMEOUT_S = 30.0
_SERVER_LINE = re.compile(rb"\r\n" + SERVER_HEADER.encode() + rb":\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Sizes:
    """How much load each part puts through the balancer."""

    duration_s: float
    workers: int
    subscribers: int
    contacts: int
    agents: int
    messages: int
    interval_s: float
    settle_s: float  # after a run, for the last events to arrive
    # Before and after an intake run, for pg_stat_database to hold the servers' writes (a
    # backend reports them a second later at most); the smoke run skips it (rough figures).
    stats_flush_s: float

    @classmethod
    def full(cls) -> Sizes:
        """The measured sizes."""
        return cls(5.0, 32, 10, 200, 500, 20, 0.25, 1.0, 1.2)

    @classmethod
    def smoke(cls) -> Sizes:
        """Seconds, for CI to keep it working."""
        return cls(0.5, 4, 2, 8, 10, 3, 0.1, 0.5, 0.0)


@dataclass(frozen=True)
class IntakeRun:
    """One closed-loop intake run."""

    throughput: float
    p50_ms: float
    p99_ms: float
    failed: int
    missed_deliveries: int
    cpu_us_per_message: float
    balancer_cpu_us_per_message: float
    commits_per_message: float
    rows_per_message: float


@dataclass(frozen=True)
class FanoutRun:
    """One fan-out run."""

    broadcast_p50_ms: float
    broadcast_p99_ms: float
    missed_deliveries: int
    failed_sends: int
    cpu_us_per_delivery: float
    balancer_cpu_us_per_delivery: float
    processes_with_streams: int


class Cluster:
    """The server processes on one database and the CPU they (and HAProxy) used."""

    def __init__(self, servers: list[ServerProcess]) -> None:
        self.servers = servers

    def cpu_s(self, processes: int) -> float:
        """User + system seconds so far of the first ``processes`` server processes."""
        return sum(process_cpu_s(server.pid) for server in self.servers[:processes])

    def addresses(self, processes: int) -> list[str]:
        """``host:port`` of the first ``processes`` server processes."""
        return [server.url.removeprefix("http://") for server in self.servers[:processes]]


@contextlib.contextmanager
def cluster(database_url: str, folder: Path) -> Iterator[Cluster]:
    """Two server processes on a fresh database of the PostgreSQL server at ``database_url``."""
    first = ServerProcess(folder / "server1", database_url)
    second = ServerProcess(folder / "server2")
    for server in (first, second):
        server.work_dir.mkdir()
    first.create_database()
    second.database_url = first.database_url
    second.database_version = first.database_version
    try:
        # All at once on the empty database: the schema is upgraded once, under a lock.
        with concurrent.futures.ThreadPoolExecutor(3) as starting:
            steps = [first.create_admin, first.serve, second.serve]
            for started in [starting.submit(step) for step in steps]:
                started.result()
        yield Cluster([first, second])
    finally:
        second.stop()
        first.stop()


async def balancer_ready(balancer: HAProxy, names: set[str]) -> None:
    """Until HAProxy answers health requests, from each of ``names`` (its server lines)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HEALTHY_TIMEOUT_S
    seen: set[str] = set()
    async with httpx.AsyncClient(timeout=2) as http:
        while seen != names:
            if loop.time() > deadline:
                raise RuntimeError(f"HAProxy did not reach {names - seen}")
            with contextlib.suppress(httpx.TransportError):
                response = await http.get(f"{balancer.url}/api/v1/health")
                if response.status_code == 200:
                    seen.add(response.headers.get(SERVER_HEADER, ""))
            await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Setup:
    """One set-up measured: ``processes`` of the cluster behind ``balancer``."""

    cluster: Cluster
    processes: int
    balancer: HAProxy
    workspace: Workspace  # its URL is the balancer's
    sizes: Sizes

    def cpu_s(self) -> tuple[float, float]:
        """CPU seconds so far of the server processes in use, and of HAProxy."""
        return self.cluster.cpu_s(self.processes), process_cpu_s(self.balancer.pid)


async def _connect(workspace: Workspace, tokens: Sequence[str]) -> list[EventRecorder]:
    host, port = host_and_port(workspace.url)
    return await open_event_streams(host, port, list(tokens), concurrency=32, timeout_s=60)


async def measure_intake(setup: Setup, run: int) -> IntakeRun:
    """Closed loop: ``sizes.workers`` gateways posting for ``sizes.duration_s`` seconds."""
    workspace, sizes = setup.workspace, setup.sizes
    load = IntakeLoad(workspace, sizes.contacts)
    streams = await _connect(workspace, workspace.agent_tokens[: sizes.subscribers])
    try:
        if run == 0:
            await warm_up(load, sizes.contacts)
        for stream in streams:
            stream.take_events()
        loop = asyncio.get_running_loop()
        indexes = itertools.count()
        sent_at: dict[int, float] = {}
        latencies: list[float] = []
        failed = 0
        await asyncio.sleep(sizes.stats_flush_s)  # what came before is in pg_stat_database
        writes_before = await database_writes(workspace_database(setup))
        cpu_before, balancer_before = setup.cpu_s()
        started = loop.time()
        stop_at = started + sizes.duration_s

        async def gateway() -> None:
            nonlocal failed
            while loop.time() < stop_at:
                index = next(indexes)
                begun = loop.time()
                try:
                    status = await load.send(index, f"intake-{run}-{index}")
                except (OSError, ConnectionError, asyncio.IncompleteReadError):
                    failed += 1
                    continue
                if status != 201:
                    failed += 1
                    continue
                sent_at[index] = begun
                latencies.append((loop.time() - begun) * 1000)

        await asyncio.gather(*(gateway() for _ in range(sizes.workers)))
        elapsed = loop.time() - started
        cpu_after, balancer_after = setup.cpu_s()
        cpu_s, balancer_s = cpu_after - cpu_before, balancer_after - balancer_before
        # The last events reach the subscribers, the servers' statistics reach PostgreSQL's.
        await asyncio.sleep(max(sizes.settle_s, sizes.stats_flush_s))
        _delivered, missed = delivery_latencies(streams, run, sent_at)
        writes_after = await database_writes(workspace_database(setup))
    finally:
        for stream in streams:
            stream.close()
        load.pool.close()
    accepted = max(1, len(sent_at))
    return IntakeRun(
        throughput=len(sent_at) / elapsed,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        failed=failed,
        missed_deliveries=missed,
        cpu_us_per_message=cpu_s / accepted * 1e6,
        balancer_cpu_us_per_message=balancer_s / accepted * 1e6,
        commits_per_message=(writes_after[0] - writes_before[0]) / accepted,
        rows_per_message=(writes_after[1] - writes_before[1]) / accepted,
    )


def workspace_database(setup: Setup) -> str:
    """The database URL the servers use."""
    return setup.cluster.servers[0].database_url


async def database_writes(database_url: str) -> tuple[int, int]:
    """Commits and rows written (inserted, updated, deleted) in the database so far, from
    ``pg_stat_database`` (a server process reports its own a second after at most)."""
    dsn = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        row = await connection.fetchrow(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS written"
            " FROM pg_stat_database WHERE datname = current_database()"
        )
    finally:
        await connection.close()
    return int(row["xact_commit"]), int(row["written"])


def answered_by(stream: EventRecorder) -> str:
    """The server HAProxy gave the stream to (its ``X-Convos-Server``), read from the head
    before the first ``take_events``."""
    match = _SERVER_LINE.search(b"".join(data for _arrived, data in stream.reads[:4]))
    return match.group(1).decode() if match else "?"


async def measure_fanout(setup: Setup, run: int) -> FanoutRun:
    """``sizes.messages`` broadcasts to ``sizes.agents`` streams through the balancer."""
    workspace, sizes, balancer = setup.workspace, setup.sizes, setup.balancer
    streams = await _connect(workspace, workspace.agent_tokens[: sizes.agents])
    broadcaster = Broadcaster(workspace)
    try:
        await asyncio.sleep(0.5)  # every subscription is in place
        behind = {balancer.server_lines.get(answered_by(stream)) for stream in streams}
        for stream in streams:
            stream.take_events()
        due: dict[int, float] = {}
        cpu_before, balancer_before = setup.cpu_s()

        async def send(index: int) -> int:
            return await broadcaster.send(f"fanout-{run}-{index}")

        result = await open_loop(
            1 / sizes.interval_s, sizes.messages, send, 5.0, on_due=due.__setitem__
        )
        await asyncio.sleep(sizes.settle_s)
        cpu_after, balancer_after = setup.cpu_s()
        cpu_s, balancer_s = cpu_after - cpu_before, balancer_after - balancer_before
        accepted = {sample.index: due[sample.index] for sample in result.ok}
        complete, deliveries, missed, _live = run_latencies(streams, run, accepted)
    finally:
        for stream in streams:
            stream.close()
        broadcaster.pool.close()
    delivered = max(1, len(deliveries))
    return FanoutRun(
        broadcast_p50_ms=percentile(complete, 50) * 1000,
        broadcast_p99_ms=percentile(complete, 99) * 1000,
        missed_deliveries=missed,
        failed_sends=sizes.messages - len(result.ok),
        cpu_us_per_delivery=cpu_s / delivered * 1e6,
        balancer_cpu_us_per_delivery=balancer_s / delivered * 1e6,
        processes_with_streams=len(behind),
    )


@dataclass
class Side:
    """The runs of one set-up (1 or 2 processes behind the balancer)."""

    intake: list[IntakeRun] = dataclasses.field(default_factory=list)
    fanout: list[FanoutRun] = dataclasses.field(default_factory=list)


async def measure(
    cluster_: Cluster, workspace: Workspace, sizes: Sizes, runs: int, folder: Path
) -> dict[int, Side]:
    """Each run: 1 process, then 2, behind a fresh HAProxy each time (interleaved, so other
    load on the machine weighs on both alike)."""
    sides = {processes: Side() for processes in PROCESSES}
    for run in range(runs):
        for processes in PROCESSES:
            balancer = HAProxy(
                cluster_.addresses(processes), folder / "haproxy.log", maxconn=sizes.agents + 500
            )
            try:
                await balancer_ready(balancer, {"convos1", "convos2"})
                through = dataclasses.replace(workspace, url=balancer.url)
                setup = Setup(cluster_, processes, balancer, through, sizes)
                tag = run * len(PROCESSES) + processes
                sides[processes].intake.append(await measure_intake(setup, tag))
                sides[processes].fanout.append(await measure_fanout(setup, tag))
            finally:
                balancer.close()
    return sides


# (figure name, unit, field of the run) reported for each set-up.
INTAKE_FIGURES = [
    ("intake throughput", "msg/s", "throughput"),
    ("intake round trip p50", "ms", "p50_ms"),
    ("intake round trip p99", "ms", "p99_ms"),
    ("server CPU per message", "us", "cpu_us_per_message"),
    ("PostgreSQL commits per message", "commits", "commits_per_message"),
    ("PostgreSQL rows written per message", "rows", "rows_per_message"),
    ("HAProxy CPU per message", "us", "balancer_cpu_us_per_message"),
]
FANOUT_FIGURES = [
    ("broadcast to all p50", "ms", "broadcast_p50_ms"),
    ("broadcast to all p99", "ms", "broadcast_p99_ms"),
    ("server CPU per delivery", "us", "cpu_us_per_delivery"),
    ("HAProxy CPU per delivery", "us", "balancer_cpu_us_per_delivery"),
]


def add_figures(report: Report, sides: dict[int, Side]) -> None:
    """Each figure for 1 process then for 2, and the ratios."""
    for processes, side in sides.items():
        label = f"{processes} process{'es' if processes > 1 else ''}"
        for name, unit, field in INTAKE_FIGURES:
            report.add(f"{name}, {label}", unit, [getattr(run, field) for run in side.intake])
        for name, unit, field in FANOUT_FIGURES:
            report.add(f"{name}, {label}", unit, [getattr(run, field) for run in side.fanout])
        report.add(
            f"processes holding streams, {label}",
            "processes",
            [run.processes_with_streams for run in side.fanout],
            Target(">=", processes),
        )
    one, two = sides[1], sides[2]
    report.add(
        "intake throughput, 2 processes / 1",
        "x",
        [b.throughput / a.throughput for a, b in zip(one.intake, two.intake, strict=True)],
    )
    every = [run for side in sides.values() for run in side.intake]
    fanned = [run for side in sides.values() for run in side.fanout]
    report.add("failed or unfinished sends", "msgs", [r.failed for r in every], Target("<=", 0))
    report.add(
        "missed deliveries",
        "events",
        [r.missed_deliveries for r in every] + [r.missed_deliveries for r in fanned],
        Target("<=", 0),
    )
    report.add("failed fan-out sends", "msgs", [r.failed_sends for r in fanned], Target("<=", 0))


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit status 0 (a MISS is a result, not a failure)."""
    parser = option_parser("benchmarks.scale_out", __doc__ or "")
    parser.add_argument("--duration", type=float, help="seconds per intake run (5, smoke 1)")
    parser.add_argument("--workers", type=int, help="gateway connections posting (32, smoke 4)")
    parser.add_argument("--agents", type=int, help="agents on the stream (500, smoke 10)")
    parser.add_argument("--messages", type=int, help="broadcasts per fan-out run (20, smoke 4)")
    options = parser.parse_args(argv)
    if not options.database_url:
        raise SystemExit("scale_out needs PostgreSQL: --database-url postgresql+asyncpg://...")
    if haproxy_path() is None:
        raise SystemExit("scale_out needs HAProxy (./run installs it)")
    sizes = Sizes.smoke() if options.smoke else Sizes.full()
    sizes = dataclasses.replace(
        sizes,
        duration_s=options.duration or sizes.duration_s,
        workers=options.workers or sizes.workers,
        agents=options.agents or sizes.agents,
        messages=options.messages or sizes.messages,
    )
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    raise_open_file_limit(sizes.agents * 4 + 1024)
    with (
        tempfile.TemporaryDirectory(prefix="convos-scale-") as folder,
        cluster(options.database_url, Path(folder)) as servers,
    ):
        context = machine_context(servers.servers[0].database_version)
        agents = max(sizes.agents, sizes.subscribers)
        workspace = asyncio.run(create_workspace(servers.servers[0], agents))
        sides = asyncio.run(measure(servers, workspace, sizes, runs, Path(folder)))
    context.update(load_after=load_average(), runs=runs, **dataclasses.asdict(sizes))
    report = Report("scale_out", context)
    add_figures(report, sides)
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

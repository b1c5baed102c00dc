"""Message intake of one server process: ingress + store + fan-out, at a fixed open-loop rate.

The generator (this process) posts customer messages to ``POST /api/v1/channels/{inbox}/
messages`` with the inbox key at ``--rate`` messages per second for ``--duration`` seconds,
whatever the answers, over at most ``--connections`` keep-alive connections. Latency is the
round trip counted from each message's intended send time (queueing in the generator counts).
``--subscribers`` agents of the inbox's team hold ``/api/v1/events`` open meanwhile, so every
message is also fanned out; their ``message.created`` delivery latency is reported beside.
Messages come from ``--contacts`` customers who already wrote once (warm-up), so each message
is appended to an existing conversation. Run: ``python -m benchmarks.server_intake [--smoke]``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks._common import (
    Report,
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
from benchmarks._loadgen import (
    ConnectionPool,
    EventRecorder,
    build_request,
    host_and_port,
    open_event_streams,
    open_loop,
)

log = logging.getLogger("convos.bench.intake")

TARGET_RATE = 5_000.0
TARGET_P99_MS = 15.0
DRAIN_S = 5.0
_MARKER = re.compile(rb'"body":"intake-(\d+)-(\d+)"')


@dataclass(frozen=True)
class IntakeRun:
    """The figures of one run."""

    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int
    delivery_p99_ms: float
    missed_deliveries: int


class IntakeLoad:
    """Builds the ingress requests of one workspace: customer ``i % contacts`` says ``body``."""

    def __init__(self, workspace: Workspace, contacts: int) -> None:
        self._host, self._port = host_and_port(workspace.url)
        self._path = f"/api/v1/channels/{workspace.inbox_id}/messages"
        self._headers = {"X-Api-Key": workspace.inbox_key}
        self._contacts = contacts
        self.pool = ConnectionPool(self._host, self._port, limit=64)

    def request(self, index: int, body: str) -> bytes:
        """The raw request for message ``index``."""
        payload = {
            "contact": {"external_id": f"bench-customer-{index % self._contacts}"},
            "text": body,
        }
        return build_request(
            "POST",
            self._path,
            f"{self._host}:{self._port}",
            json.dumps(payload).encode(),
            self._headers,
        )

    async def send(self, index: int, body: str) -> int:
        """Send message ``index``; its HTTP status."""
        status, _body = await self.pool.request(self.request(index, body))
        return status


async def warm_up(load: IntakeLoad, contacts: int) -> None:
    """One message per customer, 16 at a time, so the measured ones find their conversation."""
    slots = asyncio.Semaphore(16)

    async def one(index: int) -> None:
        async with slots:
            status = await load.send(index, f"warm-up {index}")
            if status != 201:
                raise RuntimeError(f"warm-up ingress answered {status}")

    await asyncio.gather(*(one(index) for index in range(contacts)))


def delivery_latencies(
    streams: list[EventRecorder], run: int, due: dict[int, float]
) -> tuple[list[float], int]:
    """Per (stream, message) seconds from intended send to arrival; missed deliveries.

    ``due`` holds the accepted messages only: one the server refused or never answered is a
    failed send, not a missed delivery.
    """
    latencies: list[float] = []
    missed = 0
    for stream in streams:
        seen: set[int] = set()
        for event in stream.take_events():
            if event.type != "message.created":
                continue
            match = _MARKER.search(event.data)
            if match is None or int(match.group(1)) != run:
                continue
            index = int(match.group(2))
            if index in due:
                seen.add(index)
                latencies.append(event.arrived - due[index])
        missed += len(due.keys() - seen)
    return latencies, missed


async def measure_run(
    load: IntakeLoad, streams: list[EventRecorder], run: int, rate: float, count: int
) -> IntakeRun:
    """One open-loop run at ``rate``; what the streams received before is dropped first."""
    for stream in streams:
        stream.take_events()
    due: dict[int, float] = {}

    async def send(index: int) -> int:
        return await load.send(index, f"intake-{run}-{index}")

    result = await open_loop(rate, count, send, DRAIN_S, on_due=due.__setitem__)
    await asyncio.sleep(1.0)  # let the last events reach the subscribers
    latencies = [sample.latency * 1000 for sample in result.ok]
    accepted = {sample.index: due[sample.index] for sample in result.ok}
    delivered, missed = delivery_latencies(streams, run, accepted)
    failed = count - len(result.ok)
    return IntakeRun(
        throughput=result.throughput(),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        failed=failed,
        delivery_p99_ms=percentile([value * 1000 for value in delivered], 99),
        missed_deliveries=missed,
    )


async def measure(
    workspace: Workspace, runs: int, rate: float, duration: float, contacts: int
) -> list[IntakeRun]:
    """Warm up, connect the subscribers, then ``runs`` open-loop runs."""
    load = IntakeLoad(workspace, contacts)
    host, port = host_and_port(workspace.url)
    streams = await open_event_streams(
        host, port, list(workspace.agent_tokens), concurrency=32, timeout_s=30
    )
    try:
        await warm_up(load, contacts)
        return [
            await measure_run(load, streams, run, rate, max(1, round(rate * duration)))
            for run in range(runs)
        ]
    finally:
        for stream in streams:
            stream.close()
        load.pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit status 0 (a MISS is a result, not a failure)."""
    parser = option_parser("benchmarks.server_intake", __doc__ or "")
    parser.add_argument("--rate", type=float, help="messages per second (5,000, smoke 20)")
    parser.add_argument("--duration", type=float, help="seconds per run (default 5, smoke 1)")
    parser.add_argument("--subscribers", type=int, help="agents on the event stream (10, smoke 3)")
    parser.add_argument("--contacts", type=int, help="distinct customers (500, smoke 20)")
    options = parser.parse_args(argv)
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    duration = options.duration or (1.0 if options.smoke else 5.0)
    rate = options.rate or (20.0 if options.smoke else TARGET_RATE)
    subscribers = (
        options.subscribers if options.subscribers is not None else (3 if options.smoke else 10)
    )
    contacts = options.contacts or (20 if options.smoke else 500)
    if rate <= 0 or duration <= 0 or subscribers < 0 or contacts < 1:
        raise SystemExit("--rate, --duration and --contacts must be positive")
    raise_open_file_limit(4096)
    with running_server(options.database_url) as server:
        context = machine_context(server.database_version)
        workspace = asyncio.run(create_workspace(server, subscribers))
        with profiling(server, options.profile):
            results = asyncio.run(measure(workspace, runs, rate, duration, contacts))
    context.update(
        load_after=load_average(),
        runs=runs,
        rate=rate,
        duration_s=duration,
        subscribers=subscribers,
        contacts=contacts,
    )
    report = Report("server_intake", context)
    report.add(
        "intake throughput", "msg/s", [r.throughput for r in results], Target(">=", TARGET_RATE)
    )
    report.add("intake round trip p50", "ms", [r.p50_ms for r in results])
    report.add("intake round trip p95", "ms", [r.p95_ms for r in results])
    report.add(
        "intake round trip p99", "ms", [r.p99_ms for r in results], Target("<=", TARGET_P99_MS)
    )
    report.add("failed or unfinished sends", "msgs", [r.failed for r in results], Target("<=", 0))
    report.add("delivery to subscribers p99", "ms", [r.delivery_p99_ms for r in results])
    report.add(
        "missed deliveries", "events", [r.missed_deliveries for r in results], Target("<=", 0)
    )
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

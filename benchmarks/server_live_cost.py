"""Server CPU per live call (``PUT .../viewing``, ``PUT .../typing``) with nothing else going on.

The fan-out benchmark's "CPU per live request" is the difference of two runs with 30,000
deliveries each, so it moves with the machine's load. This one holds ``--agents`` event
streams open (1,000, smoke 20), measures the server's CPU for ``--seconds`` with no load
(idle: keep-alives, the live state's sweep), then for as long under one of the fan-out
benchmark's live loads (``--live workday|stress``), and reports (CPU under load - idle CPU)
per live request, and the ephemeral frames the streams got. Not part of ``python -m
benchmarks``: a tool for before/after comparisons of the live path (benchmarks/RESULTS.md).
Run: ``python -m benchmarks.server_live_cost [--live stress] [--smoke]``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from benchmarks._common import (
    Report,
    ServerProcess,
    Workspace,
    create_workspace,
    machine_context,
    option_parser,
    raise_open_file_limit,
    running_server,
)
from benchmarks._cpu import process_cpu_s
from benchmarks._loadgen import host_and_port, open_event_streams
from benchmarks.server_fanout import (
    LIVE_WARM_UP_S,
    Broadcaster,
    LiveLoad,
    PairsLoad,
    WorkdayLoad,
)


async def measure(
    server: ServerProcess, workspace: Workspace, live: str, seconds: float, warm_up_s: float
) -> tuple[float, float, float, float, int]:
    """Idle CPU (ms/s), live requests/s, CPU under load (ms/s), frames/s, failed requests."""
    host, port = host_and_port(workspace.url)
    broadcaster = Broadcaster(workspace)
    await broadcaster.send("live-cost")
    load: LiveLoad = (
        WorkdayLoad(workspace, workspace.agent_tokens, warm_up_s)
        if live == "workday"
        else PairsLoad(workspace, workspace.agent_tokens[:200])
    )
    await load.prepare(broadcaster)
    streams = await open_event_streams(
        host, port, list(workspace.agent_tokens), concurrency=50, timeout_s=60
    )
    try:
        await asyncio.sleep(2.0)
        cpu, started = process_cpu_s(server.pid), time.monotonic()
        await asyncio.sleep(seconds)
        idle = (process_cpu_s(server.pid) - cpu) / (time.monotonic() - started)
        async with load.running():
            await asyncio.sleep(load.settle_s)
            for stream in streams:
                stream.take_events()
            requests, cpu, started = load.requests, process_cpu_s(server.pid), time.monotonic()
            await asyncio.sleep(seconds)
            elapsed = time.monotonic() - started
            busy = (process_cpu_s(server.pid) - cpu) / elapsed
            rate = (load.requests - requests) / elapsed
            frames = sum(len(stream.take_events()) for stream in streams) / elapsed
        return idle * 1000, rate, busy * 1000, frames, load.failures
    finally:
        for stream in streams:
            stream.close()
        broadcaster.pool.close()
        load.pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print."""
    parser = option_parser("benchmarks.server_live_cost", __doc__ or "")
    parser.add_argument("--agents", type=int, help="agents on the event stream (1,000, smoke 20)")
    parser.add_argument("--seconds", type=float, help="seconds idle and under load (20, smoke 2)")
    parser.add_argument("--live", choices=("workday", "stress"), default="workday")
    options = parser.parse_args(argv)
    agents = options.agents or (20 if options.smoke else 1_000)
    seconds = options.seconds or (2.0 if options.smoke else 20.0)
    raise_open_file_limit(agents * 2 + 1024)
    with running_server(options.database_url) as server:
        context = machine_context(server.database_version)
        workspace = asyncio.run(create_workspace(server, agents))
        warm_up = 0.5 if options.smoke else LIVE_WARM_UP_S
        idle, rate, busy, frames, failures = asyncio.run(
            measure(server, workspace, options.live, seconds, warm_up)
        )
    context.update(agents=agents, seconds=seconds, live=options.live)
    report = Report("server_live_cost", context)
    report.add("server CPU idle", "ms/s", [idle])
    report.add("live requests per second", "req/s", [rate])
    report.add("server CPU under the live load", "ms/s", [busy])
    report.add("server CPU per live request", "us", [(busy - idle) / max(rate, 1e-9) * 1000])
    report.add("ephemeral frames per second", "frames/s", [frames])
    report.add("failed live requests", "requests", [failures])
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

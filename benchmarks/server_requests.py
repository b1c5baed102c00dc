"""Plain requests per second of one server process, measured with wrk from another process.

``GET /api/v1/health`` (no authentication, one database round trip) is the "simple request"
of the target; ``GET /api/v1/me`` (bearer token checked, the agent and its teams read) is reported
beside it. wrk runs one thread with 64 keep-alive connections; each run is ``--duration``
seconds after a short warm-up. The server's CPU time per request (user + system, from
``/proc``) is reported beside the rates: it hardly moves with other load on the machine.
Run: ``python -m benchmarks.server_requests [--smoke]``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks._common import (
    Report,
    ServerProcess,
    Target,
    create_workspace,
    load_average,
    machine_context,
    option_parser,
    positive_runs,
    profiling,
    running_server,
)
from benchmarks._cpu import process_cpu_s

log = logging.getLogger("convos.bench.requests")

TARGET_RPS = 8_000.0
CONNECTIONS = 64
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run printed: throughput, latency percentiles (s) and failed requests."""

    requests_per_s: float
    p50_s: float
    p99_s: float
    requests: int
    errors: int


@dataclass(frozen=True)
class MeasuredRun:
    """One wrk run and the server CPU time it cost."""

    wrk: WrkResult
    server_cpu_s: float

    @property
    def cpu_us_per_request(self) -> float:
        """Server CPU microseconds per completed request."""
        return self.server_cpu_s / max(1, self.wrk.requests) * 1e6


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read wrk's ``--latency`` output; a clear error when a figure is missing."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors is not None:
        errors += sum(int(value) for value in socket_errors.groups())
    return WrkResult(
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_s=_seconds(find(r"^\s+50%\s+(\S+)").group(1)),
        p99_s=_seconds(find(r"^\s+99%\s+(\S+)").group(1)),
        requests=int(find(r"^\s+(\d+) requests in").group(1)),
        errors=errors,
    )


def run_wrk(url: str, duration_s: int, headers: Sequence[str] = ()) -> WrkResult:
    """One wrk run against ``url``."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; ./run setup installs it)")
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{duration_s}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    completed = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration_s + 60, check=True
    )
    return parse_wrk(completed.stdout)


def measure_run(
    server: ServerProcess, url: str, duration: int, headers: Sequence[str] = ()
) -> MeasuredRun:
    """One wrk run against ``url`` and the server's CPU time during it."""
    before = process_cpu_s(server.pid)
    result = run_wrk(url, duration, list(headers))
    return MeasuredRun(result, process_cpu_s(server.pid) - before)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit status 0 (a MISS is a result, not a failure)."""
    parser = option_parser("benchmarks.server_requests", __doc__ or "")
    parser.add_argument("--duration", type=int, help="seconds per run (default 10, smoke 1)")
    options = parser.parse_args(argv)
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    duration = options.duration or (1 if options.smoke else 10)
    with running_server(options.database_url) as server:
        context = machine_context(server.database_version)
        workspace = asyncio.run(create_workspace(server, agents=0))
        health_url = f"{server.url}/api/v1/health"
        me_url = f"{server.url}/api/v1/me"
        auth = [f"Authorization: Bearer {workspace.admin_token}"]
        run_wrk(health_url, 1)  # warm-up: connections, caches, the pool
        with profiling(server, options.profile):
            health_runs = [measure_run(server, health_url, duration) for _ in range(runs)]
            me_runs = [measure_run(server, me_url, duration, auth) for _ in range(runs)]
    health = [run.wrk for run in health_runs]
    me = [run.wrk for run in me_runs]
    context.update(
        load_after=load_average(),
        runs=runs,
        duration_s=duration,
        connections=CONNECTIONS,
        load_generator="wrk",
    )
    report = Report("server_requests", context)
    report.add(
        "GET /health requests/s",
        "req/s",
        [r.requests_per_s for r in health],
        Target(">=", TARGET_RPS),
    )
    report.add("GET /health latency p50", "ms", [r.p50_s * 1000 for r in health])
    report.add("GET /health latency p99", "ms", [r.p99_s * 1000 for r in health])
    report.add(
        "GET /health server CPU per request", "us", [r.cpu_us_per_request for r in health_runs]
    )
    report.add("GET /health failed requests", "", [r.errors for r in health], Target("<=", 0))
    report.add("GET /me requests/s", "req/s", [r.requests_per_s for r in me])
    report.add("GET /me latency p99", "ms", [r.p99_s * 1000 for r in me])
    report.add("GET /me server CPU per request", "us", [r.cpu_us_per_request for r in me_runs])
    report.add("GET /me failed requests", "", [r.errors for r in me], Target("<=", 0))
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

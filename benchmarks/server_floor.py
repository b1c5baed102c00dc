"""Our server's CPU per request as a ratio to its stack's floor, both measured in the same run.

Beside our server (``convos-server serve``, one process) the benchmark starts the floors of
``benchmarks._floor_app`` the same way (a subprocess on a loopback port, the same uvicorn
settings and event loop): a bare FastAPI app whose ``GET /floor`` answers a small dict and whose
``POST /floor`` validates a small JSON body with pydantic and inserts one row (WAL-mode SQLite
file, or PostgreSQL with ``--database-url``), and a bare asyncio server that writes a frame to
its subscribers' sockets, one ``transport.write`` per delivery.

Each run measures, interleaved so that other load on the machine weighs on both sides alike,
with wrk (``--connections`` keep-alive connections, ``--duration`` seconds each):

* the floor GET, our ``GET /health``, ``GET /me`` and a page of 50 tickets (an agent's token);
* the floor POST, a customer message through our channel ingress (``handoff``: contact lookup,
  its open ticket, the message, the event) with 10 agents of the inbox's team on
  ``/api/v1/events``, and an agent's reply in an assigned conversation;
* event fan-out: the ingress of an inbox whose team has ``--fanout-agents`` agents on the event
  stream against the same ingress on an inbox nobody watches; the difference per message
  divided by the agents is our server CPU per delivery, against the bare asyncio server
  writing a frame of the same size to as many sockets.

Every figure is server CPU (user + system from ``/proc/<pid>/stat``) per request, and every
ratio is ours divided by the floor's, each run's ratio from that run's figures; the median over
runs is reported. Run: ``python -m benchmarks.server_floor [--smoke]``.

``--smoke`` (CI, about 15 s) only checks that the measurement works end to end: the floors,
``/health``, the page of tickets and the ingress (with its 10 agents streaming), 1 s each, on
10 tickets; ``/me``, the reply and the fan-out figures are measured by the full run only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks._common import (
    REPO_ROOT,
    SERVER_START_TIMEOUT_S,
    URL_LINE,
    Report,
    Target,
    Workspace,
    create_workspace,
    load_average,
    machine_context,
    option_parser,
    positive_runs,
    profiling,
    raise_open_file_limit,
    running_server,
    stop_process,
)
from benchmarks._cpu import process_cpu_s
from benchmarks._loadgen import EventRecorder, build_request, host_and_port
from benchmarks.server_requests import MeasuredRun, WrkResult, parse_wrk
from convos_server.config import sqlite_url
from convos_server.services.events import sse_frame

log = logging.getLogger("convos.bench.floor")

INGRESS_AGENTS = 10
TICKETS = 50
SMOKE_TICKETS = 10
# The cases a smoke run measures (one route of each kind, next to its floor).
SMOKE_CASES = frozenset(
    {"floor GET", "GET /health", "GET /tickets page", "floor POST", "ingress message"}
)
FANOUT_CASES = ("ingress, nobody watching", "ingress, fan-out")
CONTACTS = 50
# Ours / floor, server CPU per request (issue 14).
TARGETS = {
    "GET /health": ("floor GET", 1.5),
    "GET /me": ("floor GET", 3.0),
    "GET /tickets page": ("floor GET", 3.0),
    "ingress message": ("floor POST", 3.0),
    "agent reply": ("floor POST", 3.0),
}
DELIVERY_TARGET = 2.0


class FloorProcess:
    """``python -m benchmarks._floor_app MODE ...`` until stopped.

    Started at once; ``wait_url`` waits for its URL (so several start side by side).
    """

    def __init__(self, *args: str) -> None:
        self._mode = args[0]
        self.url = ""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._floor_app", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            cwd=REPO_ROOT,
        )
        self.pid = self._process.pid

    def send_database_url(self, url: str) -> None:
        """Give a floor started with ``--database-url -`` its database."""
        assert self._process.stdin is not None
        self._process.stdin.write(url + "\n")
        self._process.stdin.flush()

    def wait_url(self) -> FloorProcess:
        """Wait until the process prints its URL (``url``); itself."""
        assert self._process.stdout is not None
        os.set_blocking(self._process.stdout.fileno(), False)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        buffered = ""
        while time.monotonic() < deadline and self._process.poll() is None:
            buffered += self._process.stdout.readline() or ""
            match = URL_LINE.search(buffered)
            if match is not None:
                self.url = match.group(1)
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the floor {self._mode} did not print its URL")

    def stop(self) -> None:
        """Stop the process."""
        stop_process(self._process)
        if self._process.stdin is not None:
            self._process.stdin.close()


@dataclass(frozen=True)
class Case:
    """One wrk load: a URL, its headers, and a Lua body template for POSTs (``%d``: counter)."""

    name: str
    url: str
    headers: tuple[str, ...] = ()
    body: str | None = None


def lua_script(case: Case, folder: Path) -> Path:
    """A wrk script posting ``case.body`` formatted with (counter % CONTACTS, counter).

    ``{nonce}`` in the body becomes a value new in every script (unique ``client_id``s).
    """
    assert case.body is not None
    body = case.body.replace("{nonce}", str(time.time_ns()))  # client ids new in every run
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    for header in case.headers:
        name, value = header.split(": ", 1)
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    lines += [
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        f"  local body = string.format({json.dumps(body)}, n % {CONTACTS}, n)",
        "  return wrk.format(nil, nil, nil, body)",
        "end",
    ]
    path = folder / f"{abs(hash(case.name))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


async def run_wrk(case: Case, duration_s: float, connections: int, folder: Path) -> WrkResult:
    """One wrk run of ``case`` (the event loop keeps serving the streams meanwhile)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk; ./run setup installs it)")
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s", "--latency"]
    if case.body is not None:
        command += ["-s", str(lua_script(case, folder))]
    else:
        for header in case.headers:
            command += ["-H", header]
    process = await asyncio.create_subprocess_exec(
        *command, case.url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed: {err.decode()[-500:]}")
    return parse_wrk(out.decode())


class CountingStream(EventRecorder):
    """An event stream (ours) or a floor subscriber that only counts what it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.received = 0

    def data_received(self, data: bytes) -> None:
        """Count the bytes; the first ones also answer ``status_line``."""
        self.received += len(data)
        if not self.status_line.done():
            super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        """Closed: ``status_line`` ends without an error (``status()`` tells the rest)."""
        if not self.status_line.done():
            self.status_line.set_result(None)
        super().connection_lost(exc)


async def open_counting_streams(url: str, tokens: Sequence[str]) -> list[CountingStream]:
    """One ``GET /api/v1/events`` per token, each answered 200."""
    host, port = host_and_port(url)
    loop = asyncio.get_running_loop()
    streams: list[CountingStream] = []
    for token in tokens:
        _transport, stream = await loop.create_connection(CountingStream, host, port)
        stream.send(
            build_request(
                "GET",
                "/api/v1/events",
                f"{host}:{port}",
                headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
            )
        )
        await asyncio.wait_for(stream.status_line, 30)
        if stream.status() != 200:
            raise ConnectionError(f"GET /api/v1/events answered {stream.status()}")
        streams.append(stream)
    return streams


@dataclass
class Setup:
    """Everything a run needs: the processes, the cases, the streams."""

    server_pid: int
    floor_pid: int
    fanout: FloorProcess | None  # None: no fan-out figures (smoke)
    cases: list[Case]
    ours: dict[str, str]  # case name -> "ours" or "floor"
    fanout_agents: int
    frame: bytes
    api: str
    replier: str


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.is_error:
        raise RuntimeError(
            f"{response.request.url.path} -> {response.status_code}: {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


async def heartbeat(api: str, token: str) -> None:
    """Set the agent Online (replies need it; the sweeper takes it away after its TTL)."""
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:
        _checked(
            await client.put(
                "/presence",
                json={"status": "online", "screen": "conversations"},
                headers={"Authorization": f"Bearer {token}"},
            )
        )


async def prepare(
    server_url: str,
    floor_url: str,
    busy: Workspace,
    fanout: tuple[Workspace, Workspace] | None,
    tickets: int,
) -> tuple[list[Case], bytes]:
    """Tickets, a conversation to reply in; the cases and a frame like ours.

    ``fanout``: the inboxes nobody and many agents watch (``None``: no fan-out cases).
    """
    api = f"{server_url}/api/v1"
    agent = {"Authorization": f"Bearer {busy.agent_tokens[0]}"}
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:
        answer: dict[str, Any] = {}
        for index in range(tickets):
            answer = _checked(
                await client.post(
                    f"/channels/{busy.inbox_id}/messages",
                    json={
                        "contact": {"external_id": f"floor-{index}"},
                        "text": f"hello {index}",
                        "handoff": True,
                    },
                    headers={"X-Api-Key": busy.inbox_key},
                )
            )
        ticket_id = answer["ticket_id"]
        await heartbeat(api, busy.agent_tokens[0])
        _checked(await client.post(f"/tickets/{ticket_id}/assign", json={}, headers=agent))
        for space in fanout or ():
            _checked(
                await client.post(
                    f"/channels/{space.inbox_id}/messages",
                    json={"contact": {"external_id": "floor-0"}, "text": "hello"},
                    headers={"X-Api-Key": space.inbox_key},
                )
            )
    conversation_id = answer["conversation_id"]
    frame_data = json.dumps({"message": answer["message"], "ticket_id": ticket_id})
    frame = sse_frame(123456, "message.created", frame_data)
    chunk = f"{len(frame):x}\r\n".encode() + frame + b"\r\n"
    ingress = '{"contact":{"external_id":"floor-%d"},"text":"floor message %d","handoff":true}'
    cases = [
        Case("floor GET", f"{floor_url}/floor"),
        Case("GET /health", f"{api}/health"),
        Case("GET /me", f"{api}/me", (f"Authorization: Bearer {busy.agent_tokens[0]}",)),
        Case(
            "GET /tickets page",
            f"{api}/tickets?limit={TICKETS}",
            (f"Authorization: Bearer {busy.agent_tokens[0]}",),
        ),
        Case("floor POST", f"{floor_url}/floor", (), '{"external_id":"c-%d","text":"m %d"}'),
        Case(
            "ingress message",
            f"{api}/channels/{busy.inbox_id}/messages",
            (f"X-Api-Key: {busy.inbox_key}",),
            ingress,
        ),
        Case(
            "agent reply",
            f"{api}/conversations/{conversation_id}/messages",
            (f"Authorization: Bearer {busy.agent_tokens[0]}",),
            '{"client_id":"floor-%d-%d-{nonce}","body":"reply"}',
        ),
    ]
    if fanout is None:
        return cases, chunk
    quiet, watched = fanout
    cases += [
        Case(
            "ingress, nobody watching",
            f"{api}/channels/{quiet.inbox_id}/messages",
            (f"X-Api-Key: {quiet.inbox_key}",),
            '{"contact":{"external_id":"floor-0"},"text":"quiet %d %d"}',
        ),
        Case(
            "ingress, fan-out",
            f"{api}/channels/{watched.inbox_id}/messages",
            (f"X-Api-Key: {watched.inbox_key}",),
            '{"contact":{"external_id":"floor-0"},"text":"watched %d %d"}',
        ),
    ]
    return cases, chunk


async def floor_fanout(url: str, subscribers: int, frame: bytes, count: int) -> int:
    """Connect ``subscribers`` sinks, have the floor write ``frame`` ``count`` times to each."""
    host, port = host_and_port(url)
    loop = asyncio.get_running_loop()
    sinks: list[CountingStream] = []
    for _ in range(subscribers):
        transport, sink = await loop.create_connection(CountingStream, host, port)
        transport.write(b"sink\n")
        sinks.append(sink)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await asyncio.sleep(0.2)  # the sinks are registered
        writer.write(b"go %d %s\n" % (count, frame.hex().encode()))
        await reader.readuntil(b"done\n")
        expected = len(frame) * count
        deadline = loop.time() + 30
        # Polled: the sinks only count bytes, nothing to signal on the hot path.
        while any(sink.received < expected for sink in sinks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return sum(sink.received for sink in sinks) // len(frame)
    finally:
        writer.close()
        for sink in sinks:
            sink.close()


@dataclass
class RunFigures:
    """One run: CPU per request of every case, the delivery CPU of both sides, failures."""

    cpu_us: dict[str, float]
    ours_delivery_us: float | None  # None: not measured (smoke)
    floor_delivery_us: float | None
    failed: int
    missed_deliveries: int


async def measure_run(
    setup: Setup,
    streams: list[CountingStream],
    duration: float,
    connections: int,
    folder: Path,
) -> RunFigures:
    """Every case once, interleaved; then the fan-out floor."""
    cpu_us: dict[str, float] = {}
    failed = 0
    missed = 0
    requests: dict[str, int] = {}
    for case in setup.cases:
        if case.name == "agent reply":
            await heartbeat(setup.api, setup.replier)
        pid = setup.server_pid if setup.ours[case.name] == "ours" else setup.floor_pid
        received_before = sum(stream.received for stream in streams)
        before = process_cpu_s(pid)
        result = await run_wrk(case, duration, connections, folder)
        if case.name == "ingress, fan-out":
            await asyncio.sleep(0.5)  # the last deliveries leave the server
        run = MeasuredRun(result, process_cpu_s(pid) - before)
        cpu_us[case.name] = run.cpu_us_per_request
        requests[case.name] = result.requests
        failed += result.errors
        if case.name == "ingress, fan-out":
            frames = (sum(stream.received for stream in streams) - received_before) / len(
                setup.frame
            )
            # Frames of several events share a chunk, so this counts roughly: half is plenty.
            if frames < 0.5 * result.requests * setup.fanout_agents:
                missed += 1
    if setup.fanout is None:
        return RunFigures(cpu_us, None, None, failed, missed)
    ours_delivery = (cpu_us["ingress, fan-out"] - cpu_us["ingress, nobody watching"]) / max(
        1, setup.fanout_agents
    )
    count = max(1, min(2000, requests["ingress, fan-out"]))
    before = process_cpu_s(setup.fanout.pid)
    delivered = await floor_fanout(setup.fanout.url, setup.fanout_agents, setup.frame, count)
    floor_delivery = (process_cpu_s(setup.fanout.pid) - before) / max(1, delivered) * 1e6
    if delivered < count * setup.fanout_agents:
        missed += 1
    return RunFigures(cpu_us, ours_delivery, floor_delivery, failed, missed)


async def measure(
    server_url: str,
    server_pid: int,
    floor: FloorProcess,
    fanout: FloorProcess | None,
    spaces: tuple[Workspace, tuple[Workspace, Workspace] | None],
    options: Any,
    folder: Path,
) -> list[RunFigures]:
    """Prepare, open the streams, warm up, then the runs."""
    busy, fanout_spaces = spaces
    tickets = SMOKE_TICKETS if options.smoke else TICKETS
    cases, frame = await prepare(server_url, floor.url, busy, fanout_spaces, tickets)
    if options.smoke:
        cases = [case for case in cases if case.name in SMOKE_CASES]
    ours = {case.name: "floor" if case.name.startswith("floor") else "ours" for case in cases}
    watched_tokens = fanout_spaces[1].agent_tokens if fanout_spaces else ()
    setup = Setup(
        server_pid,
        floor.pid,
        fanout,
        cases,
        ours,
        len(watched_tokens),
        frame,
        f"{server_url}/api/v1",
        busy.agent_tokens[0],
    )
    listening = await open_counting_streams(server_url, busy.agent_tokens)
    streams = await open_counting_streams(server_url, watched_tokens)
    try:
        if not options.smoke:
            for case in cases:  # warm-up: connections, caches, pools
                await run_wrk(case, 1, options.connections, folder)
        return [
            await measure_run(setup, streams, options.duration, options.connections, folder)
            for _ in range(options.runs)
        ]
    finally:
        for stream in listening + streams:
            stream.close()


def ratio_runs(runs: list[RunFigures], ours: str, floor: str) -> list[float]:
    """Each run's ratio of ``ours`` to ``floor``."""
    return [run.cpu_us[ours] / run.cpu_us[floor] for run in runs]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; exit status 0 (a MISS is a result, not a failure)."""
    parser = option_parser("benchmarks.server_floor", __doc__ or "")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (5, smoke 1)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--fanout-agents", type=int, help="agents on the stream (200; smoke: none)")
    options = parser.parse_args(argv)
    options.runs = positive_runs(options.runs, 1 if options.smoke else 3)
    options.duration = options.duration or (1.0 if options.smoke else 5.0)
    fanout_agents = 0 if options.smoke else options.fanout_agents or 200
    raise_open_file_limit(4096)
    # The floors start first: their imports overlap the server's start.
    floor = FloorProcess("http", "--database-url", "-")
    fanout = None if options.smoke else FloorProcess("fanout")
    try:
        with running_server(options.database_url) as server:
            context = machine_context(server.database_version)
            folder = server.work_dir
            (folder / "floor").mkdir(exist_ok=True)
            floor.send_database_url(
                server.database_url
                if options.database_url
                else sqlite_url(folder / "floor").replace("+aiosqlite", "")
            )
            floor.wait_url()
            if fanout is not None:
                fanout.wait_url()
            busy = asyncio.run(create_workspace(server, INGRESS_AGENTS))
            fanout_spaces = (
                None
                if fanout is None
                else (
                    asyncio.run(create_workspace(server, 0)),
                    asyncio.run(create_workspace(server, fanout_agents)),
                )
            )
            with profiling(server, options.profile):
                runs = asyncio.run(
                    measure(
                        server.url,
                        server.pid,
                        floor,
                        fanout,
                        (busy, fanout_spaces),
                        options,
                        folder,
                    )
                )
    finally:
        floor.stop()
        if fanout is not None:
            fanout.stop()
    context.update(
        load_after=load_average(),
        runs=options.runs,
        duration_s=options.duration,
        connections=options.connections,
        fanout_agents=fanout_agents,
        ingress_agents=INGRESS_AGENTS,
        load_generator="wrk",
    )
    report = Report("server_floor", context)
    measured = runs[0].cpu_us.keys()
    for name in ("floor GET", "floor POST"):
        report.add(f"{name} server CPU per request", "us", [run.cpu_us[name] for run in runs])
    for name, (floor_name, limit) in TARGETS.items():
        if name not in measured:
            continue
        report.add(f"{name} server CPU per request", "us", [run.cpu_us[name] for run in runs])
        report.add(
            f"{name} / {floor_name}",
            "x",
            ratio_runs(runs, name, floor_name),
            Target("<=", limit),
        )
    deliveries = [
        (run.ours_delivery_us, run.floor_delivery_us)
        for run in runs
        if run.ours_delivery_us is not None and run.floor_delivery_us is not None
    ]
    if deliveries:
        report.add("bare asyncio write CPU per delivery", "us", [f for _o, f in deliveries])
        report.add("event delivery CPU", "us", [o for o, _f in deliveries])
        report.add(
            "event delivery / bare asyncio write",
            "x",
            [ours / floor for ours, floor in deliveries],
            Target("<=", DELIVERY_TARGET),
        )
    report.add("failed requests", "", [run.failed for run in runs], Target("<=", 0))
    report.add(
        "missed deliveries", "runs", [run.missed_deliveries for run in runs], Target("<=", 0)
    )
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

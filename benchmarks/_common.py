"""What every benchmark shares: statistics, options, the server process, the workspace, reports.

A benchmark builds its parser with ``option_parser``, starts a ``ServerProcess`` (the real
server in its own process, SQLite in a temporary folder or a fresh PostgreSQL database from
``--database-url``), prepares a ``Workspace`` through the admin API (agents and their tokens
are written straight into the database: two argon2 hashes per agent would take minutes), and
prints a ``Report`` of ``Figure`` values beside their ``Target``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
import math
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from convos_server.config import sqlite_url
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services.auth import hash_password, new_secret, secret_hash

log = logging.getLogger("convos.bench")

ADMIN_EMAIL = "bench-admin@convos.test"
PASSWORD = "bench password"
URL_LINE = re.compile(r"listening on (http://[^\s]+)")
SERVER_START_TIMEOUT_S = 60.0
REPO_ROOT = Path(__file__).resolve().parent.parent


# -- statistics ------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(samples: Sequence[float]) -> float:
    """The median of ``samples`` (NaN when there are none)."""
    return percentile(samples, 50)


# -- figures and reports ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a figure must reach: ``value >= limit`` or ``value <= limit``."""

    op: Literal[">=", "<="]
    limit: float

    def met_by(self, value: float) -> bool:
        """Whether ``value`` reaches the target (NaN never does)."""
        if math.isnan(value):
            return False
        return value >= self.limit if self.op == ">=" else value <= self.limit


@dataclass(frozen=True)
class Figure:
    """One measured value: the median over runs, each run's value, and its target if any."""

    name: str
    unit: str
    runs: tuple[float, ...]
    target: Target | None = None

    @property
    def value(self) -> float:
        """The median over the runs."""
        return median(self.runs)

    @property
    def status(self) -> str:
        """``PASS`` or ``MISS`` against the target, ``INFO`` without one."""
        if self.target is None:
            return "INFO"
        return "PASS" if self.target.met_by(self.value) else "MISS"

    def as_json(self) -> dict[str, Any]:
        """The figure as plain JSON values (NaN becomes null)."""
        return {
            "name": self.name,
            "unit": self.unit,
            "value": _finite(self.value),
            "runs": [_finite(run) for run in self.runs],
            "target": None
            if self.target is None
            else {"op": self.target.op, "limit": self.target.limit},
            "status": self.status,
        }


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else value


def format_value(value: float, unit: str) -> str:
    """``value`` with thousands separators and a precision that suits its size."""
    if math.isnan(value):
        return f"n/a {unit}"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


@dataclass
class Report:
    """The figures of one benchmark, with how and where they were taken."""

    benchmark: str
    context: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)

    def add(
        self, name: str, unit: str, runs: Sequence[float], target: Target | None = None
    ) -> Figure:
        """Record a figure measured once per run."""
        figure = Figure(name, unit, tuple(runs), target)
        self.figures.append(figure)
        return figure

    @property
    def passed(self) -> bool:
        """Whether no figure missed its target."""
        return all(figure.status != "MISS" for figure in self.figures)

    def render(self) -> str:
        """The report as an aligned text table."""
        context = ", ".join(f"{key}={value}" for key, value in self.context.items())
        lines = [f"== {self.benchmark} ==", f"   {context}"]
        for figure in self.figures:
            target = ""
            if figure.target is not None:
                target = f"{figure.target.op} {format_value(figure.target.limit, figure.unit)}"
            spread = ""
            if len(figure.runs) > 1:
                low, high = min(figure.runs), max(figure.runs)
                spread = f"[{format_value(low, '').strip()} .. {format_value(high, '').strip()}]"
            value = format_value(figure.value, figure.unit)
            lines.append(
                f"   {figure.name:<44} {value:>16} {spread:>22}   {target:<20} {figure.status}"
            )
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON values."""
        return {
            "benchmark": self.benchmark,
            "context": self.context,
            "figures": [figure.as_json() for figure in self.figures],
            "passed": self.passed,
        }

    def publish(self, json_path: Path | None) -> None:
        """Print the report, and write it as JSON when asked (one object per line, appended)."""
        print(self.render(), flush=True)
        if json_path is not None:
            with json_path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(self.as_json()) + "\n")


# -- options ----------------------------------------------------------------------------


def option_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes; a benchmark adds its own on the returned parser."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, a few seconds (CI keeps it working)"
    )
    parser.add_argument("--runs", type=int, help="how many measured runs (median is reported)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of a server to use (a fresh database is created and dropped); "
        "default: SQLite in a temporary folder",
    )
    parser.add_argument("--json", type=Path, help="append the report as one JSON line here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record the server with py-spy while measuring (collapsed stacks written here)",
    )
    return parser


def positive_runs(runs: int | None, default: int) -> int:
    """The number of runs to make; a clear error for zero or less."""
    chosen = default if runs is None else runs
    if chosen < 1:
        raise SystemExit("--runs must be at least 1")
    return chosen


def raise_open_file_limit(wanted: int) -> None:
    """Raise this process's open-file limit (children inherit it) for many connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        log.warning("open-file limit is %d, below the %d this benchmark wants", target, wanted)


def machine_context(database: str) -> dict[str, Any]:
    """Where the figures come from: cores, CPU, Python, database, load, date."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "database": database,
        "load_before": load_average(),
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", "default"),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews figures)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# -- the server process -----------------------------------------------------------------


async def _postgres_admin_async(url: str, statement: str) -> str:
    dsn = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def _postgres_admin(url: str, statement: str) -> str:
    """Run ``statement`` on the ``postgres`` database of the server at ``url``; its version.

    Blocking, and callable from inside a running event loop too (the client benchmarks run
    on qasync's): the statement then runs on its own loop in a worker thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_postgres_admin_async(url, statement))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, _postgres_admin_async(url, statement)).result()


class ServerProcess:
    """``python -m convos_server serve --port 0`` on its own database, stopped on exit.

    With ``postgres_url`` a database ``convos_bench_<pid>_<n>`` is created on that server for
    this process and dropped afterwards; without it SQLite lives in the temporary ``work_dir``.
    """

    _created = 0

    def __init__(self, work_dir: Path, postgres_url: str | None = None) -> None:
        self.work_dir = work_dir
        self.url = ""
        self._postgres_url = postgres_url
        self._database_name: str | None = None
        self.database_url = sqlite_url(work_dir)
        self.database_version = f"SQLite {sqlite3.sqlite_version}"
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    def _command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "convos_server",
            *args,
            "--data-dir",
            str(self.work_dir),
            "--database-url",
            self.database_url,
        ]

    def _prepare_database(self) -> None:
        if self._postgres_url is None:
            return
        ServerProcess._created += 1
        self._database_name = f"convos_bench_{os.getpid()}_{ServerProcess._created}"
        version = _postgres_admin(self._postgres_url, f'CREATE DATABASE "{self._database_name}"')
        self.database_url = (
            make_url(self._postgres_url)
            .set(database=self._database_name)
            .render_as_string(hide_password=False)
        )
        self.database_version = f"PostgreSQL {version}"

    def start(self) -> None:
        """Create the database and the admin, start the server, wait for its URL line."""
        self.prepare()
        self.serve()

    def prepare(self) -> None:
        """Create the database (PostgreSQL) and the admin: what ``serve`` needs."""
        self._prepare_database()
        self.create_admin()

    def create_database(self) -> None:
        """Create this process's PostgreSQL database (nothing for SQLite)."""
        self._prepare_database()

    def create_admin(self) -> None:
        """The benchmark's admin, with ``convos-server create-admin`` (it migrates first)."""
        subprocess.run(
            self._command("create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD),
            check=True,
            capture_output=True,
            timeout=120,
            cwd=REPO_ROOT,
        )

    def serve(self) -> None:
        """Start the server on the prepared database and wait for its URL line; another
        process on the same database sets ``database_url`` and calls this alone."""
        server_log = (self.work_dir / "server.log").open("a", encoding="utf-8")
        self._process = subprocess.Popen(
            self._command("serve", "--host", "127.0.0.1", "--port", "0"),
            stdout=subprocess.PIPE,
            stderr=server_log,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            cwd=REPO_ROOT,
        )
        server_log.close()
        self.url = self._read_url()
        log.info("server %d listening on %s", self._process.pid, self.url)

    def _read_url(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        os.set_blocking(self._process.stdout.fileno(), False)
        buffered = ""
        while time.monotonic() < deadline and self._process.poll() is None:
            buffered += self._process.stdout.readline() or ""
            match = URL_LINE.search(buffered)
            if match is not None:
                return match.group(1)
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not print its URL; see {self.work_dir / 'server.log'}")

    def rss_kib(self) -> int:
        """The server's resident memory (VmRSS) in KiB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match is None:
            raise RuntimeError("no VmRSS line in /proc/<pid>/status")
        return int(match.group(1))

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and drop a PostgreSQL database."""
        if self._process is not None:
            stop_process(self._process)
            self._process = None
        if self._postgres_url is not None and self._database_name is not None:
            _postgres_admin(
                self._postgres_url,
                f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)',
            )
            self._database_name = None


def stop_process(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL after 10 s; its stdout pipe closed."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


@contextlib.contextmanager
def profiling(server: ServerProcess, output: Path | None) -> Iterator[None]:
    """Record ``server`` with py-spy (collapsed stacks in ``output``) during the block."""
    if output is None:
        yield
        return
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        on_path = shutil.which("py-spy")
        if on_path is None:
            raise SystemExit("--profile needs py-spy in the venv (or on PATH): pip install py-spy")
        py_spy = Path(on_path)
    recorder = subprocess.Popen(
        [
            *(str(py_spy), "record", "--pid", str(server.pid), "--threads", "--nonblocking"),
            *("--format", "raw", "--rate", "200", "--output", str(output)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)
        log.info("server profile written to %s", output)


@contextlib.contextmanager
def running_server(postgres_url: str | None) -> Iterator[ServerProcess]:
    """A started ``ServerProcess`` in a temporary folder, stopped and cleaned up after."""
    with tempfile.TemporaryDirectory(prefix="convos-bench-") as folder:
        server = ServerProcess(Path(folder), postgres_url)
        server.start()
        try:
            yield server
        finally:
            server.stop()


# -- the workspace ----------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """An inbox whose team holds ``agent_tokens``' agents, and the inbox's ingress key."""

    url: str
    admin_token: str
    team_id: int
    inbox_id: int
    inbox_key: str
    agent_tokens: tuple[str, ...]


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


async def seed_agents(database_url: str, team_id: int, count: int, tag: str) -> list[str]:
    """``count`` agents in the team, each with a live token, written in one transaction."""
    if count == 0:
        return []
    shared_hash = hash_password(PASSWORD)
    tokens = [new_secret() for _ in range(count)]
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                insert(m.Agent),
                [
                    {
                        "name": f"Bench agent {index}",
                        "email": f"bench-{tag}-{index}@convos.test",
                        "password_hash": shared_hash,
                    }
                    for index in range(count)
                ],
            )
            rows = await session.execute(
                select(m.Agent.id, m.Agent.email).where(m.Agent.email.like(f"bench-{tag}-%"))
            )
            id_by_email = {email: agent_id for agent_id, email in rows.all()}
            agent_ids = [id_by_email[f"bench-{tag}-{index}@convos.test"] for index in range(count)]
            await session.execute(
                insert(m.TeamMember),
                [{"team_id": team_id, "agent_id": agent_id} for agent_id in agent_ids],
            )
            await session.execute(
                insert(m.AuthToken),
                [
                    {"agent_id": agent_id, "token_hash": secret_hash(token), "device": "bench"}
                    for agent_id, token in zip(agent_ids, tokens, strict=True)
                ],
            )
    finally:
        await db.dispose()
    return tokens


async def create_workspace(server: ServerProcess, agents: int) -> Workspace:
    """A team and an inbox made through the admin API, ``agents`` agents seeded in the team."""
    async with httpx.AsyncClient(base_url=f"{server.url}/api/v1", timeout=60) as client:
        login = _checked(
            await client.post("/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        )
        headers = {"Authorization": f"Bearer {login['token']}"}
        tag = f"{os.getpid()}-{time.monotonic_ns()}"
        team = _checked(
            await client.post("/teams", json={"name": f"Bench team {tag}"}, headers=headers)
        )
        inbox = _checked(
            await client.post(
                "/inboxes",
                json={"name": f"Bench inbox {tag}", "team_id": team["id"]},
                headers=headers,
            )
        )
    tokens = await seed_agents(server.database_url, team["id"], agents, tag)
    return Workspace(
        server.url, login["token"], team["id"], inbox["id"], inbox["api_key"], tuple(tokens)
    )

"""The ``convos-server`` command: ``serve`` and ``create-admin`` (one function per subcommand)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import uvicorn
from sqlalchemy import select
from sqlalchemy.engine import make_url

from convos_server.app import create_app
from convos_server.body_writer import uvicorn_config
from convos_server.config import Settings
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.migrate import upgrade_to_head
from convos_server.db.restore import DEFAULT_GAP, skip_event_ids
from convos_server.services.auth import hash_password
from convos_server.services.events import EventBus

log = logging.getLogger("convos.cli")


def fastest_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (Linux, macOS: ``uvicorn[standard]``), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run_server(main: Coroutine[object, object, None]) -> None:
    """Run a server coroutine on the fastest event loop this platform has."""
    with asyncio.Runner(loop_factory=fastest_loop_factory()) as runner:
        runner.run(main)


class ConvosServer(uvicorn.Server):
    """uvicorn's server that ends the app's event streams as soon as it starts shutting down,
    and whose housekeeping loop ticks once a second instead of ten times.

    uvicorn lets open responses finish (up to ``timeout_graceful_shutdown``) before the app's
    lifespan ends, and an event stream never finishes by itself: without this every open
    stream would hold the shutdown for the whole timeout and then be cancelled.

    uvicorn's ``main_loop`` sleeps 0.1 s between ticks only to notice ``should_exit`` soon;
    its work (the ``date`` header, the notify callback, the request limit) is once a second.
    Here setting ``should_exit`` (a signal, the tests, the demo runner) wakes the loop, so it
    sleeps a second: 9 fewer wake-ups of an idle process per second, shutdown as prompt.

    Once started (the app's lifespan ran: every module, route, model and pool is built) the
    objects alive are frozen out of the cyclic garbage collector's reach (``gc.freeze``):
    they live as long as the process, and each full collection walked all of them again,
    a few percent of a customer message's CPU (``benchmarks/RESULTS.md``, issue 14,
    thirteenth round). Reference counting still frees them; ``shutdown`` unfreezes.
    """

    TICK_S = 1.0
    _UVICORN_TICKS_PER_TICK = 10  # ``on_tick`` does its once-a-second work at counter % 10 == 0

    def __init__(self, config: uvicorn.Config, bus: EventBus) -> None:
        self._exit_requested = False
        self._exit_wake: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        super().__init__(config)
        self._bus = bus

    @property
    def should_exit(self) -> bool:
        """uvicorn's flag; setting it true also wakes ``main_loop`` (from any thread)."""
        return self._exit_requested

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._exit_requested = value
        if value and self._exit_wake is not None:
            loop, wake = self._exit_wake
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        """uvicorn's loop of ``on_tick`` calls, a tick a second or at once on exit."""
        wake = asyncio.Event()
        self._exit_wake = (asyncio.get_running_loop(), wake)
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + self._UVICORN_TICKS_PER_TICK) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.TICK_S)
            should_exit = await self.on_tick(counter)
        self._exit_wake = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start, then what was built for good kept out of the collector's walks."""
        await super().startup(sockets)
        gc.collect()
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """End the event streams, then uvicorn's graceful shutdown."""
        self._bus.close_subscriptions()
        try:
            await super().shutdown(sockets)
        finally:
            gc.unfreeze()


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """The options every subcommand that opens the database takes."""
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    parser.add_argument("--data-dir", help="where the database and uploads live")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment with the command-line options on top."""
    overrides = {
        "database_url": args.database_url,
        "data_dir": args.data_dir,
        "presence_ttl_s": getattr(args, "presence_ttl", None),
    }
    return Settings.from_env(**overrides)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket, bound before uvicorn starts so ``--port 0`` can report its port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets of a
    # listener that says so, and without it keep-alive responses wait ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def announce(host: str, sock: socket.socket) -> None:
    """The first line ``serve`` prints: the URL it listens on (with the port ``0`` picked)."""
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    print(f"Convos server listening on http://{url_host}:{bound_port}", flush=True)


async def serve_socket(settings: Settings, sock: socket.socket) -> None:
    """Serve the API on an already bound socket until interrupted (the schema is at head)."""
    app = create_app(settings)
    config = uvicorn_config(app, log_level="info", access_log=False, timeout_graceful_shutdown=3)
    await ConvosServer(config, app.state.bus).serve(sockets=[sock])


async def serve(settings: Settings, host: str, port: int) -> None:
    """Upgrade the database, then serve the API in this process until interrupted."""
    await upgrade_to_head(settings.database_url)
    sock = bind_socket(host, port)
    announce(host, sock)
    await serve_socket(settings, sock)


# ``serve --workers N``: a worker that dies is started again, after this pause when it
# lived less than ``WORKER_QUICK_DEATH_S`` (a worker that cannot start does not spin).
WORKER_RESTART_PAUSE_S = 1.0
WORKER_QUICK_DEATH_S = 5.0
WORKER_STOP_TIMEOUT_S = 10.0


def _worker_main(settings: Settings, sock: socket.socket) -> None:
    """One worker process of ``serve --workers`` (started with ``spawn``)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_server(serve_socket(settings, sock))


class WorkerPool:
    """``serve --workers N``: N processes serving one listening socket on one PostgreSQL.

    The parent upgrades the schema and binds the socket once, starts the workers (the kernel
    spreads connections over them), starts a worker again when one dies, and on SIGTERM or
    SIGINT stops them all gracefully (SIGTERM, then SIGKILL after ``WORKER_STOP_TIMEOUT_S``).
    Everything the processes share lives in the database: events reach every worker's
    streams through NOTIFY (services/events.py).
    """

    def __init__(self, settings: Settings, sock: socket.socket, count: int) -> None:
        self._settings = settings
        self._sock = sock
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[tuple[BaseProcess, float]] = []
        self._count = count
        self._stopping = False

    def _start_one(self) -> tuple[BaseProcess, float]:
        process = self._context.Process(
            target=_worker_main, args=(self._settings, self._sock), daemon=False
        )
        process.start()
        log.info("worker %s started", process.pid)
        return process, time.monotonic()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then stop every worker."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._workers = [self._start_one() for _ in range(self._count)]
            while not self._stopping:
                sentinels = [process.sentinel for process, _started in self._workers]
                multiprocessing.connection.wait(sentinels, timeout=0.5)
                self._replace_dead()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_all()

    def _replace_dead(self) -> None:
        for index, (process, started) in enumerate(self._workers):
            if process.is_alive() or self._stopping:
                continue
            log.warning("worker %s ended with %s; starting another", process.pid, process.exitcode)
            if time.monotonic() - started < WORKER_QUICK_DEATH_S:
                time.sleep(WORKER_RESTART_PAUSE_S)
            self._workers[index] = self._start_one()

    def _stop_all(self) -> None:
        for process, _started in self._workers:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + WORKER_STOP_TIMEOUT_S
        for process, _started in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """``serve``: this process alone (``workers`` 1), or a pool of worker processes."""
    if workers == 1:
        run_server(serve(settings, host, port))
        return
    if workers < 1:
        sys.exit("serve: --workers must be at least 1")
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        sys.exit(
            "serve: --workers needs PostgreSQL (--database-url postgresql+asyncpg://...); "
            "a SQLite database is served by one process"
        )
    run_server(upgrade_to_head(settings.database_url))
    sock = bind_socket(host, port)
    announce(host, sock)
    WorkerPool(settings, sock, workers).run()


def add_serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``serve``: run the server in this process."""
    parser = commands.add_parser("serve", help="run the server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--presence-ttl", type=float, help="seconds without heartbeat")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (more than 1: PostgreSQL only)"
    )
    add_database_options(parser)
    parser.set_defaults(
        run=lambda args: serve_workers(settings_from(args), args.host, args.port, args.workers)
    )


async def create_admin(settings: Settings, email: str, password: str, name: str) -> int:
    """Create an admin, or make the agent with that email an admin with that password."""
    await upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            email = email.strip().lower()
            agent = await session.scalar(select(m.Agent).where(m.Agent.email == email))
            if agent is None:
                agent = m.Agent(email=email, name=name)
                session.add(agent)
            agent.role = "admin"
            agent.active = True
            agent.password_hash = hash_password(password)
            await session.flush()
            return agent.id
    finally:
        await db.dispose()


def _run_create_admin(args: argparse.Namespace) -> None:
    if not args.password:
        sys.exit("create-admin: the password must not be empty")
    agent_id = asyncio.run(
        create_admin(settings_from(args), args.email, args.password, args.name or args.email)
    )
    print(f"Admin {args.email} ready (agent id {agent_id})", flush=True)


def add_create_admin_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``create-admin``: create (or reset) an admin account."""
    parser = commands.add_parser("create-admin", help="create or reset an admin account")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--name", help="display name (default: the email)")
    add_database_options(parser)
    parser.set_defaults(run=_run_create_admin)


def add_demo_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``demo``: a fresh demo workspace with a customer simulator (see convos_server.demo)."""
    parser = commands.add_parser("demo", help="serve a fresh demo workspace")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    parser.add_argument("--data-dir", type=Path, help="default: a new temporary folder")
    parser.add_argument("--speed", type=float, default=1.0, help="simulator speed factor")
    parser.add_argument("--no-simulator", action="store_true", help="no simulated customers")
    parser.add_argument(
        "--no-archive", action="store_true", help="no 90-day history behind the live demo"
    )
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="shut down when stdin is closed (a parent process holding the pipe went away)",
    )

    def run(args: argparse.Namespace) -> None:
        # Imported here: the demo runner itself imports this module (bind_socket).
        from convos_server.demo.runner import (
            DataDirInUse,
            DemoOptions,
            Terminated,
            run_demo,
            sigterm_unwinds,
        )

        if args.speed <= 0:
            sys.exit("demo: --speed must be positive")
        options = DemoOptions(
            args.host,
            args.port,
            args.data_dir,
            args.speed,
            simulator=not args.no_simulator,
            archive=not args.no_archive,
            exit_on_stdin_eof=args.exit_on_stdin_eof,
        )
        try:
            with sigterm_unwinds():
                asyncio.run(run_demo(options))
        except DataDirInUse as exc:
            sys.exit(f"demo: {exc}")
        except Terminated:
            # Cleaned up; now end as SIGTERM would have, so the parent sees the signal.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    parser.set_defaults(run=run)


def add_after_restore_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``after-restore``: skip event ids after restoring a backup (see ``db.restore``)."""
    parser = commands.add_parser(
        "after-restore",
        help="run once after restoring a backup, before starting the servers",
        description="Move the event sequence past every id clients may have seen, so "
        "clients that synced after the backup start again from a fresh snapshot.",
    )
    parser.add_argument("--gap", type=int, default=DEFAULT_GAP, help="event ids to skip")
    add_database_options(parser)

    def run(args: argparse.Namespace) -> None:
        if args.gap < 1:
            sys.exit("after-restore: --gap must be positive")
        settings = settings_from(args)
        asyncio.run(upgrade_to_head(settings.database_url))
        head, next_id = asyncio.run(skip_event_ids(settings.database_url, args.gap))
        print(f"Restored database ready: last event {head}, next event {next_id}", flush=True)

    parser.set_defaults(run=run)


# Each entry adds one subcommand; a new subcommand is one more function here.
COMMANDS = [
    add_serve_command,
    add_create_admin_command,
    add_demo_command,
    add_after_restore_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="convos-server", description="The Convos server")
    commands = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``convos-server`` and ``python -m convos_server``."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    args.run(args)

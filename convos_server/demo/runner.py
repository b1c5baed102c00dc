"""``convos-server demo``: a fresh workspace, the server, and the customer simulator.

The first stdout line is ``Convos demo listening on http://HOST:PORT`` (flushed): the desktop
client starts ``python -m convos_server demo --port 0 --data-dir X`` and reads it. The
credentials follow. The simulator runs inside the app's lifespan, so it stops before the
database is closed. With ``exit_on_stdin_eof`` the server shuts down when its stdin reaches
end of file: a parent that holds the write end of a pipe (the desktop app) takes the server
down with it however it ends, even when killed, on every OS.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import BinaryIO

import uvicorn
from fastapi import FastAPI

from convos_server.app import create_app
from convos_server.body_writer import uvicorn_config
from convos_server.cli import ConvosServer, bind_socket
from convos_server.config import Settings, sqlite_url
from convos_server.db.engine import Database
from convos_server.db.migrate import upgrade_to_head
from convos_server.demo import content
from convos_server.demo.archive import write_archive
from convos_server.demo.seed import DemoWorkspace, seed_workspace
from convos_server.demo.simulator import CustomerSimulator
from convos_server.storage import FilesystemStore

log = logging.getLogger("convos.demo")

# Written into a data dir the demo made, so a later run may wipe it and nothing else.
MARKER = ".convos-demo"


class DataDirInUse(Exception):  # noqa: N818 - reported to the user as is
    """The data dir holds something that is not a previous demo workspace."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """The options of ``convos-server demo``."""

    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None
    speed: float = 1.0
    simulator: bool = True
    archive: bool = True
    seed: int = 7
    exit_on_stdin_eof: bool = False


def prepare_data_dir(data_dir: Path) -> None:
    """Make ``data_dir`` an empty demo dir; a previous demo's content is wiped first."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).is_file():
            raise DataDirInUse(
                f"{data_dir} is not empty and was not made by the demo; "
                "give an empty or new folder (or none for a temporary one)"
            )
        for child in data_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("Convos demo workspace: wiped and seeded on every run.\n")


async def create_workspace(settings: Settings, seed: int) -> DemoWorkspace:
    """Migrate the empty database and seed the demo workspace into it."""
    await upgrade_to_head(settings.database_url)
    db = Database(settings.database_url)
    try:
        return await seed_workspace(
            db, FilesystemStore(settings.files_dir), now=dt.datetime.now(dt.UTC), seed=seed
        )
    finally:
        await db.dispose()


def banner(url: str, data_dir: Path) -> list[str]:
    """The lines printed at start: the URL line first, then who can log in."""
    lines = [f"Convos demo listening on {url}"]
    for agent in content.AGENTS:
        lines.append(f"  {agent.role:<6} {agent.email} / {agent.password}   ({agent.name})")
    lines.append(f"  data dir: {data_dir}")
    return lines


def with_simulator(app: FastAPI, make_simulator: Callable[[FastAPI], CustomerSimulator]) -> None:
    """Run a simulator inside ``app``'s lifespan, after start-up and before shutdown."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            task = asyncio.create_task(make_simulator(application).run(), name="convos-simulator")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


def with_archive(app: FastAPI, seed: int) -> None:
    """Write the demo's 90-day archive during ``app``'s start-up, before it serves.

    The first request (the app's login, then whatever screen it restores: Conversazioni
    and Ticket too) sees the whole history, and no agent's first write waits behind the
    archive's one long transaction. It costs the demo's start a second or two; the desktop
    shows its "starting the demo" window meanwhile.
    """
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            await write_archive(application.state.db, now=dt.datetime.now(dt.UTC), seed=seed)
            yield

    app.router.lifespan_context = lifespan


def exit_on_eof(stream: BinaryIO, server: uvicorn.Server) -> threading.Thread:
    """Ask ``server`` to shut down once ``stream`` reaches end of file (or fails).

    A daemon thread blocks on the reads: portable (a pipe cannot be polled by asyncio on
    Windows) and never in the way of the event loop. Whatever the parent writes is ignored.
    """
    loop = asyncio.get_running_loop()

    def request_exit() -> None:
        server.should_exit = True

    def watch() -> None:
        try:
            while stream.read(4096):
                pass
        except (OSError, ValueError) as exc:
            log.info("stdin unreadable (%s): shutting down", exc)
        else:
            log.info("stdin closed: the parent went away, shutting down")
        loop.call_soon_threadsafe(request_exit)

    thread = threading.Thread(target=watch, name="convos-stdin-eof", daemon=True)
    thread.start()
    return thread


async def serve_demo(options: DemoOptions, data_dir: Path) -> None:
    """Seed ``data_dir``, print the banner and serve until interrupted."""
    prepare_data_dir(data_dir)
    settings = Settings.from_env(data_dir=data_dir, database_url=sqlite_url(data_dir))
    workspace = await create_workspace(settings, options.seed)
    sock = bind_socket(options.host, options.port)
    url_host = f"[{options.host}]" if ":" in options.host else options.host
    print("\n".join(banner(f"http://{url_host}:{sock.getsockname()[1]}", data_dir)), flush=True)
    app = create_app(settings)
    if options.archive:
        with_archive(app, options.seed)
    if options.simulator:
        with_simulator(
            app,
            lambda application: CustomerSimulator(
                application.state.db,
                application.state.bus,
                workspace.inbox_ids,
                workspace.photo_file_id,
                speed=options.speed,
                seed=options.seed,
                live=application.state.live,
            ),
        )
    config = uvicorn_config(app, log_level="info", access_log=False, timeout_graceful_shutdown=3)
    server = ConvosServer(config, app.state.bus)
    if options.exit_on_stdin_eof:
        exit_on_eof(sys.stdin.buffer, server)
    await server.serve(sockets=[sock])


class Terminated(BaseException):
    """SIGTERM arrived: unwinds the stack like ``KeyboardInterrupt`` so cleanups run."""


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` instead of ending the process on the spot.

    uvicorn handles SIGTERM while it serves and raises it again once it has shut down; the
    default action would then end the process before the temporary data dir is removed.
    """

    def unwind(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


async def run_demo(options: DemoOptions) -> None:
    """``convos-server demo``: in ``options.data_dir``, or a temporary dir removed at the end.

    The temporary dir is removed however the server ends (stdin EOF, SIGINT, SIGTERM) when the
    caller runs this inside ``sigterm_unwinds()``.
    """
    if options.data_dir is not None:
        await serve_demo(options, options.data_dir)
        return
    with tempfile.TemporaryDirectory(prefix="convos-demo-") as temporary:
        await serve_demo(options, Path(temporary))

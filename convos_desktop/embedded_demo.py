"""The embedded demo: the reference server's ``demo`` command run as a child process.

``start_demo_server`` runs ``python -m convos_server demo --port 0 --data-dir <dir>`` with
asyncio (the GUI thread never blocks), waits for its first stdout line
(``Convos demo listening on http://HOST:PORT``), reads the credentials banner that follows and
keeps both pipes drained for the life of the process so they never fill. No widgets here.

The server never outlives the app: it runs with ``--exit-on-stdin-eof`` and its stdin is a
pipe this process keeps open until :meth:`DemoServer.stop`. When the app ends in any way
(quit, crash, SIGKILL) the OS closes the pipe and the server shuts itself down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("convos.demo")

START_TIMEOUT_SECONDS = 30.0
BANNER_TIMEOUT_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = 10.0
EOF_GRACE_SECONDS = 3.0
STDERR_TAIL_LINES = 20

URL_LINE = re.compile(r"^Convos demo listening on (https?://\S+)\s*$")
ACCOUNT_LINE = re.compile(r"^\s*(?P<role>\w+)\s+(?P<email>\S+@\S+)\s+/\s+(?P<password>\S+)")
BANNER_END = re.compile(r"^\s*data dir:")


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """An account of the demo workspace that the login dialog can fill in."""

    email: str
    password: str


FALLBACK_CREDENTIALS = DemoCredentials("demo@convos.test", "demo")


class DemoServerError(RuntimeError):
    """The demo server could not start; the message carries the tail of its stderr."""


def parse_agent_credentials(banner: list[str]) -> DemoCredentials:
    """The first ``agent`` account of the banner lines (the fallback when there is none)."""
    for line in banner:
        match = ACCOUNT_LINE.match(line)
        if match and match["role"] == "agent":
            return DemoCredentials(match["email"], match["password"])
    return FALLBACK_CREDENTIALS


class DemoServer:
    """A running demo server: its ``url``, the demo agent's ``credentials`` and ``stop()``."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        url: str,
        credentials: DemoCredentials,
        data_dir: Path,
        drains: list[asyncio.Task[None]],
        owned_dir: Path | None,
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.data_dir = data_dir
        self._process = process
        self._drains = drains
        self._owned_dir = owned_dir

    @property
    def pid(self) -> int:
        """The server process's id."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """Whether the child process is still alive."""
        return self._process.returncode is None

    async def stop(self) -> None:
        """Terminate the server (kill it if it lingers), wait for it, clean up its temp dir."""
        await _terminate(self._process)
        for task in self._drains:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
        log.info("demo server stopped (exit code %s)", self._process.returncode)


async def _terminate(process: asyncio.subprocess.Process) -> None:
    """Close the server's stdin (it shuts down), then SIGTERM, then SIGKILL if it lingers."""
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), EOF_GRACE_SECONDS)
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("demo server ignored SIGTERM; killing it")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


async def _drain(stream: asyncio.StreamReader, name: str, tail: collections.deque[str]) -> None:
    """Read ``stream`` to its end, logging each line and keeping the last ones."""
    while line := await stream.readline():
        text = line.decode("utf-8", "replace").rstrip()
        tail.append(text)
        log.debug("demo %s: %s", name, text)


async def _read_banner(stdout: asyncio.StreamReader) -> list[str]:
    """The credential lines after the URL line, up to ``data dir:`` (or a short timeout)."""
    lines: list[str] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(BANNER_TIMEOUT_SECONDS):
            while raw := await stdout.readline():
                line = raw.decode("utf-8", "replace").rstrip()
                lines.append(line)
                if BANNER_END.match(line):
                    break
    return lines


def demo_command(data_dir: Path) -> list[str]:
    """The command line of the demo server on a free loopback port."""
    return [
        sys.executable,
        "-m",
        "convos_server",
        "demo",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--exit-on-stdin-eof",
    ]


async def start_demo_server(
    data_dir: Path | None, *, start_timeout: float = START_TIMEOUT_SECONDS
) -> DemoServer:
    """Start the demo server; ``data_dir`` ``None`` means a temporary one removed by ``stop``.

    Raises :class:`DemoServerError` when the process ends or stays silent for ``start_timeout``
    seconds before printing its URL.
    """
    owned_dir = None if data_dir is not None else Path(tempfile.mkdtemp(prefix="convos-demo-"))
    directory = data_dir if data_dir is not None else owned_dir
    assert directory is not None
    command = demo_command(directory)
    log.info("starting the demo server: %s", " ".join(command))
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,  # kept open until stop(): see the docstring
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    stderr_task = asyncio.create_task(_drain(process.stderr, "stderr", stderr_tail))
    try:
        first = await asyncio.wait_for(process.stdout.readline(), start_timeout)
        match = URL_LINE.match(first.decode("utf-8", "replace"))
        if match is None:
            problem = "exited" if not first else f"printed {first!r} instead of its address"
            raise DemoServerError(problem)
    except (TimeoutError, DemoServerError) as exc:
        reason = (
            f"gave no address within {start_timeout:g} s" if isinstance(exc, TimeoutError) else exc
        )
        await _terminate(process)
        with contextlib.suppress(asyncio.CancelledError):
            await stderr_task
        if owned_dir is not None:
            shutil.rmtree(owned_dir, ignore_errors=True)
        tail = "\n".join(stderr_tail) or "(nothing on stderr)"
        raise DemoServerError(f"The demo server {reason}.\n{tail}") from None
    banner = await _read_banner(process.stdout)
    stdout_task = asyncio.create_task(_drain(process.stdout, "stdout", collections.deque(maxlen=1)))
    url = match[1]
    log.info("demo server listening on %s", url)
    return DemoServer(
        process,
        url,
        parse_agent_credentials(banner),
        directory,
        [stdout_task, stderr_task],
        owned_dir,
    )

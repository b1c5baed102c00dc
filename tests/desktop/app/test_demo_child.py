"""The demo server started by the app never outlives it, even when the app is killed."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.desktop.app.processes import process_gone, wait_gone

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and /proc")

# A parent that starts the demo through embedded_demo, says the child's pid, and waits.
PARENT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from convos_desktop.embedded_demo import start_demo_server

    async def main():
        server = await start_demo_server(Path(sys.argv[1]))
        print(server.pid, flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def test_demo_server_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line.strip().isdigit(), f"the parent printed {line!r}"
        demo_pid = int(line)
        assert not process_gone(demo_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert wait_gone(demo_pid, 8), "the demo server outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()


def test_without_the_flag_the_server_ignores_stdin(tmp_path: Path) -> None:
    """The flag is what makes the difference: a plain demo keeps running after stdin closes."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convos_server",
            "demo",
            "--port",
            "0",
            "--no-simulator",
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdin is not None
        assert server.stdout.readline().startswith("Convos demo listening on")
        server.stdin.close()
        assert not wait_gone(server.pid, 2)
    finally:
        server.terminate()
        server.wait(15)
        if server.stdout is not None:
            server.stdout.close()

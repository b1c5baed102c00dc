"""SIGTERM and SIGINT quit the real app cleanly: exit code 0, the demo server gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.desktop.app.processes import wait_gone

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and /proc")

ROOT = Path(__file__).resolve().parents[3]
READY = "workspace open on"
# The demo writes its 90-day archive during its start-up, before it serves: seconds on a
# loaded machine. The signal goes once it is in (and the workspace open), so the test
# measures the quit, not that start-up write.
ARCHIVE_IN = "demo archive:"


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class LogReader:
    """Collects the app's stderr lines on a thread; ``wait_for`` a line containing text."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._process = process
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self._process.poll() is not None:
                break
            time.sleep(0.1)
        return any(text in line for line in self.lines)

    def text(self) -> str:
        self._thread.join(5)
        return "\n".join(self.lines)


@pytest.mark.parametrize("quit_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_quit_signal_quits_the_demo_app_cleanly(tmp_path: Path, quit_signal: int) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    app = subprocess.Popen(
        [sys.executable, "-m", "convos_desktop", "--demo", "--lang", "en", "--verbose"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    log = LogReader(app)
    try:
        assert log.wait_for(READY, 60), log.text()
        assert log.wait_for(ARCHIVE_IN, 60), log.text()  # the demo server's log, relayed
        demo_pids = children_of(app.pid)
        assert demo_pids, "the demo server is not a child of the app"
        app.send_signal(quit_signal)
        assert app.wait(20) == 0, log.text()
        for pid in demo_pids:
            assert wait_gone(pid, 3), "the demo server outlived the app"
        text = log.text()
        assert "reported leaving (unavailable)" in text, text  # the whole log on failure
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.text()
        assert app.stderr is not None
        app.stderr.close()

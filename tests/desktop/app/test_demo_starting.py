"""Issue 10 (item 8): ``--demo`` shows a window at once while its server starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.desktop.app.test_quit_signals import ROOT, LogReader

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SHOWN = "demo: starting window shown"
LISTENING = "demo server listening on"
READY = "workspace open on"


def test_the_demo_shows_its_starting_window_before_the_server_answers(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    started = time.monotonic()
    app = subprocess.Popen(
        [sys.executable, "-m", "convos_desktop", "--demo", "--lang", "it"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    log = LogReader(app)
    try:
        assert log.wait_for(SHOWN, 30), log.text()
        shown_after = time.monotonic() - started
        assert log.wait_for(READY, 60), log.text()
        lines = log.lines
        first = next(i for i, line in enumerate(lines) if SHOWN in line)
        listening = next(i for i, line in enumerate(lines) if LISTENING in line)
        assert first < listening  # the window came first, the server after
        assert shown_after < 15  # the interpreter's start only (a loaded CI machine is slow)
        app.send_signal(signal.SIGTERM)
        assert app.wait(10) == 0, log.text()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.text()
        assert app.stderr is not None
        app.stderr.close()

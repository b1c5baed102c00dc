"""Qt's raster fills stay on the GUI thread: the app sets QT_NO_GUI_THREADPOOL before its
QApplication, so painting starts no pool of threads to wait for (issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from convos_desktop.platform.raster_threads import NO_GUI_THREADPOOL, serial_raster_fills
from tests.desktop.app.test_gtk_theme import environment_when_built

ROOT = Path(__file__).resolve().parents[3]


def test_the_variable_is_set_and_a_users_value_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NO_GUI_THREADPOOL, raising=False)
    serial_raster_fills()
    assert os.environ[NO_GUI_THREADPOOL] == "1"
    monkeypatch.setenv(NO_GUI_THREADPOOL, "yes")
    serial_raster_fills()
    assert os.environ[NO_GUI_THREADPOOL] == "yes"


def test_the_app_sets_it_before_building_its_qt_application(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built_in = environment_when_built(monkeypatch, NO_GUI_THREADPOOL)
    assert built_in.get(NO_GUI_THREADPOOL) == "1"
    assert os.environ[NO_GUI_THREADPOOL] == "1"  # Qt reads it at its first big fill: kept


# A window painted with fills of many lines (a tall scroll bar, a table's background), then
# the names of the process's threads: Qt's GUI pool names its threads "Thread (pooled)".
PROBE = """
from pathlib import Path
from PySide6.QtWidgets import QTableWidget
from convos_desktop.app import qt_application
app = qt_application(["convos-desktop"])
table = QTableWidget(400, 8)
table.resize(1280, 800)
table.show()
for _ in range(5):
    table.viewport().repaint()
    table.verticalScrollBar().setValue(table.verticalScrollBar().value() + 10)
    app.processEvents()
names = [p.read_text().strip() for p in Path("/proc/self/task").glob("*/comm")]
print(sum(name == "Thread (pooled)" for name in names))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads the thread names from /proc")
def test_painting_starts_no_pool_threads() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.pop(NO_GUI_THREADPOOL, None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "0"

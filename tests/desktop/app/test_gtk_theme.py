"""Qt's GTK platform theme is loaded without GTK's OpenGL (GDK_GL=disable while the
QApplication is built), and the variable does not outlive that."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtCore import QLibraryInfo

from convos_desktop import app as app_module
from convos_desktop.platform.gtk_theme import GDK_GL, gtk_without_gl

XVFB_RUN = "xvfb-run"
ROOT = Path(__file__).resolve().parents[3]
GTK_THEME_PLUGIN = (
    Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platformthemes" / "libqgtk3.so"
)


def test_gdk_gl_is_disabled_inside_and_gone_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GDK_GL, raising=False)
    with gtk_without_gl():
        assert os.environ[GDK_GL] == "disable"
    assert GDK_GL not in os.environ


def test_gdk_gl_is_gone_after_a_failure_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GDK_GL, raising=False)
    with pytest.raises(RuntimeError), gtk_without_gl():
        raise RuntimeError("the platform plugin could not load")
    assert GDK_GL not in os.environ


def test_a_gdk_gl_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GDK_GL, "always")
    with gtk_without_gl():
        assert os.environ[GDK_GL] == "always"
    assert os.environ[GDK_GL] == "always"


class RecordingApplication:
    """Stands for ``QApplication`` in ``app.qt_application``: records the environment when
    built."""

    built_with: ClassVar[list[dict[str, str]]] = []

    def __init__(self, _argv: list[str]) -> None:
        RecordingApplication.built_with.append(dict(os.environ))

    @staticmethod
    def instance() -> None:
        return None


def environment_when_built(monkeypatch: pytest.MonkeyPatch, unset: str) -> dict[str, str]:
    """The environment ``app.qt_application`` builds its QApplication in (``unset`` removed
    from it first)."""
    monkeypatch.delenv(unset, raising=False)
    monkeypatch.setattr(app_module, "QApplication", RecordingApplication)
    RecordingApplication.built_with.clear()
    built = app_module.qt_application(["convos-desktop"])
    assert isinstance(built, RecordingApplication)
    [environment] = RecordingApplication.built_with
    return environment


def test_the_app_builds_its_qt_application_without_gtks_gl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert environment_when_built(monkeypatch, GDK_GL).get(GDK_GL) == "disable"
    assert GDK_GL not in os.environ


PROBE = """
import os
from convos_desktop.app import qt_application
qt_application(["convos-desktop"])
maps = open("/proc/self/maps").read()
print("gtk" if "libgtk-3" in maps else "no-gtk", "dri" if "_dri.so" in maps else "no-dri",
      os.environ.get("GDK_GL", "unset"))
"""


@pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("xvfb-run") is None or not GTK_THEME_PLUGIN.is_file(),
    reason="needs Linux, xvfb-run and Qt's gtk3 platform theme plugin",
)
def test_a_gnome_desktop_loads_the_gtk_theme_without_an_opengl_driver() -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="xcb",
        XDG_CURRENT_DESKTOP="GNOME",
        PYTHONPATH=str(ROOT),
    )
    env.pop(GDK_GL, None)
    env.pop("QT_QPA_PLATFORMTHEME", None)
    done = subprocess.run(
        [XVFB_RUN, "-a", "-s", "-screen 0 1280x800x24 -nolisten tcp", sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    words = done.stdout.split()
    if "no-gtk" in words:
        pytest.skip("GTK 3 is not installed: Qt fell back to its own theme")
    assert words == ["gtk", "no-dri", "unset"], done.stdout + done.stderr[-2000:]

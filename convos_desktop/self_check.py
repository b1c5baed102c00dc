"""``convos-desktop --self-check``: prove an install (or a PyInstaller bundle) is complete.

Loads every resource the app needs at run time, exits 0 when all are there and 1 otherwise,
printing one line per check. No window, no network, no server: it runs offscreen in CI on the
built bundle. Checks: the resources folder, the icons (SVG through Qt's SVG plugin, PNG), the
notification sound (a valid WAV, the OS's sound library loadable), the Italian
catalogues (a known string comes out Italian), every module of the app, the emoji data (the
picker's catalogue, with its Italian names) and the local cache (created and migrated in a
temporary folder).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon, QImage
from PySide6.QtWidgets import QApplication

from convos_desktop import __version__, resources
from convos_desktop.ui.i18n import catalogues, install_translators

log = logging.getLogger("convos.selfcheck")

Check = Callable[[], str]


def check_resources() -> str:
    """The resources folder is found."""
    return str(resources.resources_root())


def check_icons() -> str:
    """Every icon renders from its SVG and its 32 px PNG."""
    for name in resources.ICON_NAMES:
        svg = QImage(str(resources.icon_path(name)))
        png = QImage(str(resources.icon_path(f"{name}-32", "png")))
        if svg.isNull() or png.isNull():
            raise RuntimeError(f"icon {name} does not load (SVG plugin missing?)")
        if QIcon(str(resources.icon_path(name))).isNull():
            raise RuntimeError(f"icon {name} is null")
    return f"{len(resources.ICON_NAMES)} icons"


def check_sound() -> str:
    """The notification sound is a WAV its backend reads, and what this OS plays it through
    loads (libpulse-simple on Linux, winsound on Windows, QtMultimedia elsewhere)."""
    from convos_desktop.platform.sound_output import read_wav
    from convos_desktop.ui.shell.sound import check_output_library

    clip = read_wav(resources.sound_path())
    seconds = len(clip.frames) / (clip.channels * clip.sample_width * clip.rate)
    return f"{seconds:.2f} s, {check_output_library()}"


def check_charts() -> str:
    """QtCharts loads (the Performance screen imports it when it is first shown)."""
    from PySide6.QtCharts import QChart, QLineSeries

    chart = QChart()
    chart.addSeries(QLineSeries())
    return f"{len(chart.series())} series"


def check_translations(app: QCoreApplication) -> str:
    """The Italian catalogues install and translate a known string."""
    found = catalogues("it", resources.translations_dir())
    if not found:
        raise RuntimeError(f"no Italian catalogues in {resources.translations_dir()}")
    install_translators(app, "it", resources.translations_dir())
    quit_label = QCoreApplication.translate("Tray", "Quit")
    if quit_label == "Quit":
        raise RuntimeError("the Italian catalogue did not translate 'Quit'")
    return f"{len(found)} catalogues, Quit -> {quit_label}"


def check_emoji() -> str:
    """The emoji picker's catalogue builds (the package's data and its Italian names)."""
    from convos_desktop.ui.chat.emoji_picker import EmojiCatalog

    catalog = EmojiCatalog()
    if len(catalog.grid_entries) < 1000:
        raise RuntimeError(f"only {len(catalog.grid_entries)} emoji")
    return f"{len(catalog.grid_entries)} emoji"


def check_modules() -> str:
    """Every module of the app imports (a lazy import the bundle missed shows up here)."""
    import convos_desktop

    names = [
        info.name
        for info in pkgutil.walk_packages(convos_desktop.__path__, "convos_desktop.")
        if not info.name.endswith("__main__")
    ]
    for name in names:
        importlib.import_module(name)
    if len(names) < 40:
        raise RuntimeError(f"only {len(names)} modules found: the package is incomplete")
    return f"{len(names)} modules"


def check_cache(folder: Path) -> str:
    """A local cache is created and migrated, then closed."""
    from convos_desktop.core.store import Store

    path = folder / "cache.sqlite3"
    store = Store(path)
    store.close()
    return f"{path.stat().st_size} bytes"


def run_checks(checks: dict[str, Check]) -> bool:
    """Run each check, print ``ok``/``FAILED`` with its detail; whether all passed."""
    passed = True
    for name, check in checks.items():
        try:
            detail = check()
        except Exception as exc:  # every failure is reported, then the exit code says it
            passed = False
            print(f"FAILED {name}: {exc}", flush=True)
        else:
            print(f"ok     {name}: {detail}", flush=True)
    return passed


def self_check() -> int:
    """The ``--self-check`` command: 0 when the install is complete, else 1."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    print(f"Convos Desktop {__version__} self-check", flush=True)
    with tempfile.TemporaryDirectory(prefix="convos-selfcheck-") as folder:
        passed = run_checks(
            {
                "resources": check_resources,
                "icons": check_icons,
                "sound": check_sound,
                "charts": check_charts,
                "translations": lambda: check_translations(app),
                "emoji": check_emoji,
                "modules": check_modules,
                "cache": lambda: check_cache(Path(folder)),
            }
        )
    print("self-check passed" if passed else "self-check FAILED", flush=True)
    return 0 if passed else 1

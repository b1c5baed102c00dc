"""core must not import QtWidgets or QtGui: checked in a fresh interpreter per module."""

import pkgutil
import subprocess
import sys

import pytest

import convos_desktop.core
from tests.e2e.conftest import AGENT_EMAIL, PASSWORD, server, workspace

__all__ = ["server", "workspace"]  # the real server's fixtures

CORE_MODULES = sorted(
    f"convos_desktop.core.{m.name}" for m in pkgutil.iter_modules(convos_desktop.core.__path__)
)


def test_core_has_the_designed_modules():
    expected = {"api", "drafts", "events", "media", "outbox", "presence", "session", "store"}
    expected |= {"sync", "types"}
    assert {m.rsplit(".", 1)[1] for m in CORE_MODULES} >= expected


def python_says(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (which starts with no module imported)."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def modules_loaded_after(code: str, prefix: str | tuple[str, ...]) -> str:
    """The modules named ``prefix...`` (or any of the prefixes) a fresh interpreter has
    loaded once it ran ``code``."""
    named = f"sorted(m for m in sys.modules if m.startswith({prefix!r}))"
    return python_says(f"{code}import sys\nprint(','.join({named}))\n")


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_widgets(module):
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "gui = ('PySide6.QtWidgets', 'PySide6.QtGui')\n"
        "bad = sorted(m for m in sys.modules if m.startswith(gui))\n"
        "print(','.join(bad))\n"
    )
    bad = python_says(code)
    assert bad == "", f"{module} pulls in {bad}"


def test_main_window_leaves_the_emoji_tables_until_the_picker_opens():
    # The emoji package's tables are 6.6 MiB of resident memory the inbox does not need.
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "print('emoji' in sys.modules)\n"
    )
    assert python_says(code) == "False"


def test_the_app_imports_no_heavy_package_before_it_is_used():
    # Resident memory at import (benchmarks/RESULTS.md, issue 16): keyring ~4 MiB (imported on
    # the executor by the first token call), Pillow ~3 MiB (by the first file handled),
    # httpx's CLI (click, rich, pygments) ~9 MiB (never), the server only for --demo.
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "heavy = ('keyring', 'PIL', 'rich', 'click', 'pygments', 'convos_server', 'wave')\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    assert python_says(code) == ""


def test_pyside_learns_a_module_uses_it_without_keeping_its_lines() -> None:
    code = """
import linecache, sys, tempfile, pathlib
import convos_desktop
folder = tempfile.mkdtemp()
pathlib.Path(folder, "uses_qt.py").write_text("from PySide6.QtCore import QObject\\n")
pathlib.Path(folder, "plain.py").write_text("VALUE = 1\\n")
sys.path.insert(0, folder)
import uses_qt, plain
import shibokensupport.feature as feature
selected = feature.pyside_feature_dict  # 0: uses PySide6 (features apply), -1: does not
print(selected["uses_qt"], selected["plain"],
      any(name.endswith(("uses_qt.py", "plain.py")) for name in linecache.cache))
"""
    assert python_says(code) == "0 -1 False"


def test_the_app_imports_the_other_screens_only_when_one_is_built():
    # The screens the inbox does not show (new ticket, history, management, labels) are
    # imported by their builders: ~1.2 MiB resident at import (issue 16).
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "screens = 'convos_desktop.ui.screens.'\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(screens))))\n"
    )
    assert python_says(code) == ""


def test_the_app_imports_qt_svg_only_when_the_tray_draws_its_icon():
    # QtSvg (libQt6Svg and its binding, ~0.4 MiB resident) only draws the tray's icon: not
    # mapped by a window without a tray (issue 16).
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "print('PySide6.QtSvg' in sys.modules)\n"
    )
    assert python_says(code) == "False"


def test_the_app_imports_its_sign_in_demo_help_and_self_check_windows_when_used():
    # The login dialog (a session resumed from the keyring never shows it), the demo's
    # starting window, the shortcut sheet (F1) and the self-check are imported where they
    # are used: ~180 KiB of Python at import (issue 16).
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "lazy = ('login_dialog', 'demo_splash', 'shortcut_sheet', 'self_check')\n"
        "print(','.join(sorted(m for m in sys.modules if m.rsplit('.', 1)[-1] in lazy)))\n"
    )
    assert python_says(code) == ""


def test_the_app_imports_its_settings_about_and_emoji_picker_when_first_opened():
    # The settings and About dialogs (the app menu) and the emoji picker with its keyword
    # table (the composer's button, a reaction's "more") are imported when first opened:
    # ~0.1-0.2 MiB of Python at import (issue 16, branch mem16j).
    code = (
        "import sys\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "lazy = ('settings_dialog', 'about_dialog', 'emoji_picker', 'emoji_keywords')\n"
        "print(','.join(sorted(m for m in sys.modules if m.rsplit('.', 1)[-1] in lazy)))\n"
    )
    assert python_says(code) == ""


def test_the_app_logs_to_its_rotating_file_without_logging_handlers_or_pickle():
    # ``logging.handlers`` imports ``pickle`` for its socket handler: ~0.6 MiB resident at
    # launch that the app's log file does not need (``logs.RotatingLogFile``; issue 16,
    # branch mem16m).
    code = (
        "import sys, tempfile, pathlib\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "from convos_desktop.logs import setup_logging\n"
        "assert setup_logging(False, pathlib.Path(tempfile.mkdtemp()))\n"
        "print(','.join(sorted(m for m in ('logging.handlers', 'pickle') if m in sys.modules)))\n"
    )
    assert python_says(code) == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="other systems ask platformdirs")
def test_the_app_names_its_folders_without_platformdirs_on_linux():
    # ``core.folders`` follows platformdirs' XDG rules for the three folders the app uses:
    # importing platformdirs costs ~0.3 MiB resident (issue 16, branch mem16o).
    code = (
        "import os, tempfile, pathlib\n"
        "os.environ['XDG_DATA_HOME'] = tempfile.mkdtemp()\n"
        "import convos_desktop.app, convos_desktop.ui.shell.main_window\n"
        "from convos_desktop.logs import log_folder, setup_logging\n"
        "from convos_desktop.core.session import ProfileList\n"
        "from convos_desktop.core.store import default_cache_path\n"
        "assert setup_logging(False, pathlib.Path(tempfile.mkdtemp()))\n"
        "log_folder(), ProfileList(), default_cache_path('key')\n"
    )
    assert modules_loaded_after(code, "platformdirs") == ""


async def test_the_app_syncs_and_stays_live_without_httpcore_anyio_or_certifi(workspace):
    # core.transport speaks HTTP/1.1 on the loop's own sockets: httpcore and anyio (with its
    # asyncio backend) cost 2.5 MiB resident at the memory figure, and an http:// server
    # needs no SSL context (certifi). Bootstrap, the live stream and a message over it, in a
    # fresh interpreter against the real server (issue 16, branch mem16p).
    code = f"""
import asyncio, pathlib, tempfile
from convos_desktop.core.api import ApiClient
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import ConnectionState

async def main():
    api = ApiClient({workspace.server.url!r})
    await api.login({AGENT_EMAIL!r}, {PASSWORD!r}, "imports")
    store = Store(pathlib.Path(tempfile.mkdtemp()) / "cache.sqlite3")
    sync = Sync(store, api)
    changes = []
    sync.messages_changed.connect(changes.append)
    sync.start()
    while sync.connection_state is not ConnectionState.CONNECTED:
        await asyncio.sleep(0.05)
    customer = {{"contact": {{"external_id": "wa-1", "name": "Mario"}}, "text": "Buongiorno"}}
    response = await api.http.post(
        "/channels/{workspace.inbox_id}/messages",
        headers={{"X-Api-Key": {workspace.api_key!r}}},
        json=customer,
    )
    assert response.status_code < 300, response.text
    while not changes:
        await asyncio.sleep(0.05)
    await sync.stop()
    await api.aclose()
    store.close()

asyncio.run(main())
"""
    assert modules_loaded_after(code, ("httpcore", "anyio", "sniffio", "certifi")) == ""

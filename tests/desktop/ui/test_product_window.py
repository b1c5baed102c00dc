"""The product parts in the real window (real server): the header's gear opens Settings and
About, the shortcuts work, the tray menu carries them, saved settings apply at once, a named
ticket opens; screenshots at 1280x800 and 1920x1080 in English and Italian (tmp_path)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtGui import QKeySequence, QPainter
from PySide6.QtWidgets import QApplication

from convos_desktop import preferences as prefs
from convos_desktop.core.types import ConnectionState
from convos_desktop.ui.i18n import TRANSLATIONS_DIR, catalogues
from convos_desktop.ui.shell.tray import Tray
from tests.desktop.app.conftest import RecordingTrayIcon
from tests.desktop.ui.conftest import open_ui
from tests.e2e.conftest import Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


def install_italian(app: QApplication) -> list[QTranslator]:
    translators = []
    for path in catalogues("it", TRANSLATIONS_DIR):
        translator = QTranslator(app)
        assert translator.load(str(path))
        app.installTranslator(translator)
        translators.append(translator)
    return translators


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONVOS_SHOTS_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_settings_and_about_from_the_window(workspace: Workspace, tmp_path, qapp) -> None:
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    ui = await open_ui(tmp_path, workspace.server.url, token)
    window = ui.window
    try:
        tray = Tray(RecordingTrayIcon(), window)
        window.attach_tray(tray)
        texts = [a.text() for a in tray.menu.actions()]
        assert "Settings…" in texts
        assert "About Convos Desktop" in texts
        assert window.app_menu.button.isVisible()
        assert window.app_menu.settings_action.shortcut() != QKeySequence()

        window.app_menu.settings_action.trigger()
        dialog = window.app_menu.settings_dialog
        assert dialog is not None
        dialog.sound.setChecked(False)
        dialog.accept()
        assert not window.header.sound_enabled  # applied at once to the header's bell

        window.app_menu.about_action.trigger()
        assert window.app_menu.about_dialog is not None
        window.app_menu.about_dialog.reject()

        await wait_until(
            lambda: window._context.sync.connection_state is ConnectionState.CONNECTED,
            what="connected",
        )
        assert tray.connected

        folder = shots_folder(tmp_path)
        for language in ("en", "it"):
            translators = install_italian(qapp) if language == "it" else []
            for width, height in ((1280, 800), (1920, 1080)):
                window.resize(width, height)
                settings = window.app_menu.open_settings()
                about = window.app_menu.open_about()
                await asyncio.sleep(0.05)  # let the loop paint (no nested processEvents in a task)
                picture = window.grab()
                painter = QPainter(picture)
                for dialog_widget, x in ((settings, 40), (about, width - about.width() - 40)):
                    painter.drawPixmap(x, 80, dialog_widget.grab())
                painter.end()
                assert picture.save(str(folder / f"product_{language}_{width}x{height}.png"))
                settings.reject()
                about.reject()
                await asyncio.sleep(0.05)  # let the loop paint (no nested processEvents in a task)
            if language == "it":
                assert QCoreApplication.translate("SettingsDialog", "Settings") == "Impostazioni"
            for translator in translators:
                qapp.removeTranslator(translator)
        assert prefs.read_bool(ui.context.settings, prefs.SOUND_KEY, True) is False
    finally:
        await ui.close()

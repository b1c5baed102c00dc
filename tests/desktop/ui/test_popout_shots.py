"""Pop-out windows as the agent sees them (issue 15), without a server: the main window with
the notice in place of a popped-out conversation, and the pop-out itself with a long contact
name held by a colleague, at 1280x800 and 1920x1080, in English and Italian
(``CONVOS_SHOTS_DIR`` or tmp_path). The command palette offers "Open in a new window"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from convos_desktop.core.types import Direction, MessagesChanged, Screen
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.popout.manager import POPOUTS_KEY
from convos_desktop.ui.shell.main_window import MainWindow
from tests.desktop.ui.conftest import make_message
from tests.desktop.ui.test_product_window import install_italian, shots_folder
from tests.desktop.ui.workday import (
    LONG_CONTACT,
    LONG_QUOTE,
    OTHER,
    close_window,
    populate,
    window_context,
)
from tests.fakes import FakeClock

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.mark.parametrize("language", ["en", "it"])
async def test_popout_and_notice_shots(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: str
) -> None:
    translators = install_italian(qapp) if language == "it" else []
    context = window_context(tmp_path, FakeClock())
    window = MainWindow(context)
    folder = shots_folder(tmp_path)
    try:
        window.show()
        populate(context, window)  # ticket 1: a long name, held by a colleague
        titles = [c.title for c in window.commands.registry.actions()]
        expected = "Open in a new window" if language == "en" else "Apri in una nuova finestra"
        assert expected in titles
        window.workspace.header.popout_action.trigger()
        popout = window.popouts.window(1)
        assert popout is not None
        assert popout.pane.header.title.full_text() == LONG_CONTACT
        assert LONG_CONTACT in window.workspace.elsewhere.text.text()
        context.sync.messages_changed.emit(  # as sync tells every window of new messages
            MessagesChanged(
                1,
                upserted=(
                    make_message(1, id=9001, body=LONG_QUOTE.body),
                    make_message(
                        1,
                        id=9002,
                        body="Controllo subito con il magazzino e le faccio sapere.",
                        direction=Direction.OUT,
                        sender_name=OTHER.name,
                        minutes=3,
                    ),
                ),
            )
        )
        assert popout.pane.messages.rowCount() >= 2
        for width, height in ((1280, 800), (1920, 1080)):
            window.resize(width, height)
            popout.resize(width * 3 // 5, height * 4 // 5)
            await asyncio.sleep(0.1)
            assert window.width() == width
            assert popout.pane.header.row.width() <= popout.pane.header.width()
            size = f"{width}x{height}"
            assert window.grab().save(str(folder / f"popout_main_{language}_{size}.png"))
            assert popout.grab().save(str(folder / f"popout_window_{language}_{size}.png"))
        popout.resize(520, 600)  # a narrow pop-out: the "⋯" menu takes the less-used actions
        await asyncio.sleep(0.1)
        assert popout.pane.header.row.width() <= popout.pane.header.width()
        assert popout.grab().save(str(folder / f"popout_narrow_{language}.png"))
        # presence: on another screen the pop-out keeps the agent on a conversation screen,
        # unless it is minimised
        window.navigate(NavTarget.PERFORMANCE)
        inputs = context.presence.machine
        assert inputs.inputs.screen is Screen.CONVERSATIONS
        popout.showMinimized()
        assert inputs.inputs.screen is Screen.OTHER
        popout.showNormal()
        assert inputs.inputs.screen is Screen.CONVERSATIONS
        window.navigate(NavTarget.ALL)
        popout.activateWindow()
        await asyncio.sleep(0.05)
        QTest.keyClick(popout.pane.composer.edit, Qt.Key.Key_Escape)  # Esc does not close it
        assert popout.isVisible()
        QTest.keyClick(popout.pane.composer.edit, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
        assert not popout.isVisible()  # Ctrl+W closed it: back into the main window
        assert window.workspace.right.currentWidget() is window.workspace.pane
        await asyncio.sleep(0.2)  # the window is deleted
        # the login's signals no longer reach the deleted window (no lambda left behind)
        context.directory.contact_changed.emit(1)
        context.directory.changed.emit()
        context.thumbnails.ready.emit(1)
        assert window.popouts.windows() == []
        # a damaged or stale list in the settings opens nothing
        context.settings.setValue(POPOUTS_KEY, "{not json")
        assert window.popouts.restore() == []
        context.settings.setValue(POPOUTS_KEY, '[{"ticket": 999}, {"ticket": "x"}, 7]')
        assert window.popouts.saved() == [(999, None)]
        assert window.popouts.restore() == []  # not in the cache: forgotten
        assert window.popouts.saved() == []
    finally:
        await window.popouts.shutdown()
        await context.live.stop()  # its heartbeat task would keep quiet() waiting
        await close_window(context, window)
        for translator in translators:
            qapp.removeTranslator(translator)

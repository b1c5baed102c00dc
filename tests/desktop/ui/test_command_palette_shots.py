"""Screenshots of the command palette, the message search and the cheat sheet at 1280x800,
Italian and English, over the main window (written to tmp_path; also copied to the folder
named by ``CONVOS_SHOTS`` when set, to look at them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QTranslator
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.i18n import install_translators
from tests.desktop.ui.conftest import open_ui
from tests.desktop.ui.test_command_palette_e2e import shown_rows
from tests.desktop.ui.test_screens_a_shots import resize, save
from tests.e2e.conftest import Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints",
        "This plugin does not support raise",
        "This plugin does not support grabbing the keyboard",
    ),
]


class _Composite(QWidget):
    """Only a carrier for ``save``: grabs the window with ``popup`` painted where it shows."""

    def __init__(self, window: QWidget, popup: QWidget) -> None:
        super().__init__()
        self._window, self._popup = window, popup

    def grab(self) -> QPixmap:  # type: ignore[override]
        shot = self._window.grab()
        painter = QPainter(shot)
        origin = self._window.mapToGlobal(QPoint(0, 0))
        painter.drawPixmap(self._popup.pos() - origin, self._popup.grab())
        painter.end()
        return shot


@pytest.mark.parametrize("language", ["it", "en"])
async def test_palette_search_and_sheet_shots(
    workspace: Workspace, tmp_path: Path, language: str
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if language == "it":
        install_translators(app, "it")
    for n, name in enumerate(("Mario", "Maria Antonietta Castelnuovo-Bevilacqua", "Marco")):
        await workspace.customer_says(
            f"Buongiorno, vorrei sapere dove si trova il mio ordine n. 47{n}: il rimborso?",
            f"wa-{n}",
            handoff=True,
        )
        del name
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    ui = await open_ui(tmp_path, workspace.server.url, token)
    window = ui.window
    commands = window.commands
    try:
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 3, what="tickets listed")
        await resize(window, 1280, 800)
        await wait_until(lambda: len(ui.context.store.tickets()) == 3, what="tickets")
        palette = commands.open_palette()
        await wait_until(lambda: palette.model.rowCount() > 20, what="palette filled")
        await asyncio.sleep(0.2)
        save(_Composite(window, palette), tmp_path, f"palette_{language}_1280")
        QTest.keyClicks(palette.edit, "ma")
        await asyncio.sleep(0.2)
        save(_Composite(window, palette), tmp_path, f"palette_typed_{language}_1280")
        palette.close()
        search = commands.open_search()
        search.server_button.setChecked(True)
        search.edit.setText("rimborso")
        search.search()
        await wait_until(lambda: len(shown_rows(ui)) == 3, what="results")
        await asyncio.sleep(0.2)
        save(search, tmp_path, f"search_{language}")
        search.close()
        sheet = commands.open_sheet()
        await asyncio.sleep(0.2)
        save(sheet, tmp_path, f"shortcuts_{language}")
        sheet.close()
    finally:
        await ui.close()
        for translator in app.findChildren(QTranslator):
            QCoreApplication.removeTranslator(translator)
            translator.setParent(None)

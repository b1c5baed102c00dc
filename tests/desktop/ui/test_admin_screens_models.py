"""The models of the Scorciatoie, Caselle di posta and library screens (qtmodeltester), the
Italian catalogue of those screens, and their screenshots (1280x800 and 1920x1080, Italian and
English, long names) against a real server. Screenshots go to ``CONVOS_SHOTS_DIR`` when set,
else to the test's tmp_path."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QCoreApplication, QTranslator

from convos_desktop.core.types import Canned, FileInfo, Inbox
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.chat.attachments import FileFilterModel, FileListModel
from convos_desktop.ui.i18n import install_translators
from convos_desktop.ui.screens.inboxes_screen import InboxListModel, delete_refusal
from convos_desktop.ui.screens.shortcuts_screen import (
    CannedListModel,
    CannedSearchModel,
    shortcut_problem,
)
from tests.desktop.ui.test_admin_screens_e2e import start_as
from tests.e2e.conftest import ADMIN_EMAIL, Workspace, create_agent, update_agent, wait_until

REPLIES = [
    Canned(1, "saluto", "Buongiorno {contact_name}", "it", None),
    Canned(2, "hello", "Good morning {contact_name}", "en", 7),
    Canned(3, "orari", "Siamo aperti dal lunedì al venerdì", None, 7),
]


def test_canned_models(qapp, qtmodeltester):
    model = CannedListModel()
    model.set_records(REPLIES)
    qtmodeltester.check(model)
    proxy = CannedSearchModel()
    proxy.setSourceModel(model)
    proxy.set_search("/LUNEDÌ")
    qtmodeltester.check(proxy)
    assert proxy.rowCount() == 1
    proxy.set_search("good hello")
    assert proxy.rowCount() == 1
    assert "condivisa" not in str(model.index(0).data())  # English without translators
    assert model.row_of(3) == 2


def test_inbox_and_file_models(qapp, qtmodeltester):
    inboxes = InboxListModel()
    inboxes.set_records([Inbox(1, "Vendite", "whatsapp", None, "manual", None, "", False)])
    qtmodeltester.check(inboxes)
    assert "inactive" in inboxes.index(0).data()
    files = FileListModel()
    files.set_files(
        [
            FileInfo(1, "logo.png", "image", "image/png", 10, "", 8, 8, True, "/f/1"),
            FileInfo(2, "listino.pdf", "document", "application/pdf", 10, "", None, None, True, ""),
        ]
    )
    qtmodeltester.check(files)
    proxy = FileFilterModel()
    proxy.setSourceModel(files)
    proxy.set_kind("document")
    qtmodeltester.check(proxy)
    assert proxy.rowCount() == 1


def test_shortcut_rules_are_said_before_the_server_is_asked():
    assert shortcut_problem("due parole")
    assert shortcut_problem("/")
    assert shortcut_problem("x" * 65)
    assert shortcut_problem("/saluto") == ""


@pytest.fixture
def italian(qapp):
    install_translators(qapp, "it")
    yield
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.setParent(None)
    install_translators(qapp, "en")


def test_refusals_speak_italian(italian):
    from convos_desktop.core.api import ConflictError

    refusal = ConflictError(409, "inbox_has_open_tickets", "x", {"open_tickets": 2})
    assert delete_refusal(refusal).startswith("Questa casella ha ancora 2 ticket aperti")
    assert shortcut_problem("due parole") == "Il codice è una sola parola, senza spazi."


LONG = "Assistenza clienti premium per ordini internazionali e resi"


async def _seed(workspace: Workspace, folder: Path) -> None:
    admin = workspace.admin
    team = await admin.create_team("Team supporto post-vendita Europa meridionale")
    for name in ("Maria Giovanna Lombardi-Santangelo", "Francesco Di Bartolomeo"):
        agent = await create_agent(admin, name, f"{name.split()[0].lower()}@x.test", "pw123456")
        await update_agent(admin, agent.id, {"team_ids": [team.id]})
    await admin.create_inbox(
        {
            "name": LONG,
            "channel": "email",
            "team_id": team.id,
            "assignment": "least_busy",
            "max_open_per_agent": 12,
            "business_hours": "Lun-Ven 8:30-19:00, Sab 9:00-13:00 (esclusi i festivi nazionali)",
        }
    )
    await admin.create_canned(
        "benvenuto_clienti_premium",
        "Buongiorno {contact_name}, sono {agent_name} del servizio clienti premium. "
        "Ho preso in carico la sua richiesta e le rispondo entro pochi minuti.",
        language="it",
        shared=True,
    )
    await admin.create_canned("thanks", "Thank you {contact_name}!", language="en")
    for name, size in (("logo-aziendale-versione-2026-alta-risoluzione.png", (64, 40)),):
        path = folder / name
        Image.new("RGB", size, (30, 90, 200)).save(path)
        await admin.upload_file(name, path.read_bytes(), library=True)


@pytest.mark.e2e
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
@pytest.mark.parametrize("language", ["en", "it"])
async def test_screenshots(workspace: Workspace, tmp_path, qapp, language) -> None:
    shots = Path(os.environ.get("CONVOS_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a test's folder, once)
    await _seed(workspace, tmp_path)
    if language == "it":
        install_translators(qapp, "it")
    ui = await start_as(workspace, tmp_path / "ui", ADMIN_EMAIL)
    window = ui.window
    try:
        await wait_until(lambda: len(window.library.files()) == 1, what="library")
        await wait_until(lambda: window.inboxes.model.rowCount() == 2, what="inboxes")
        window.navigate(NavTarget.INBOXES)
        window.inboxes.select(next(i.id for i in window.inboxes.model.records() if i.name == LONG))
        await wait_until(lambda: window.inboxes.team_combo.count() > 2, what="teams")
        window.inboxes.select(next(i.id for i in window.inboxes.model.records() if i.name == LONG))
        window.shortcuts.select(window.shortcuts.model.records()[0].id)
        for width, height in ((1280, 800), (1920, 1080)):
            window.resize(width, height)
            screens = ((NavTarget.SHORTCUTS, "shortcuts"), (NavTarget.INBOXES, "inboxes"))
            for target, name in screens:
                window.navigate(target)
                window.inboxes.tabs.setCurrentIndex(0)
                await asyncio.sleep(0.2)
                assert window.grab().save(str(shots / f"{name}_{language}_{width}.png"))
            window.inboxes.tabs.setCurrentIndex(1)
            await asyncio.sleep(0.3)
            await ui.context.thumbnails.wait_idle()
            assert window.grab().save(str(shots / f"library_{language}_{width}.png"))
        dialog = window.workspace.composer.show_attachments_dialog()
        dialog.tabs.setCurrentIndex(1)
        await wait_until(lambda: dialog.library_model.rowCount() == 1, what="library in dialog")
        await asyncio.sleep(0.3)
        await ui.context.thumbnails.wait_idle()
        assert dialog.grab().save(str(shots / f"attachments_library_{language}.png"))
        dialog.reject()
        if language == "it":
            assert window.shortcuts.new_button.text() == "Nuova risposta rapida"
            assert window.inboxes.tabs.tabText(1) == "Libreria file"
    finally:
        await ui.close()
        if language == "it":
            for translator in qapp.findChildren(QTranslator):
                QCoreApplication.removeTranslator(translator)
                translator.setParent(None)
            install_translators(qapp, "en")

"""Screenshots of the inbox tree and New ticket at 1280x800 and 1920x1080, Italian and
English, with long names, against a real server (written to tmp_path; also copied to the
folder named by ``CONVOS_SHOTS`` when set, to look at them)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication, QWidget

from convos_desktop.core.types import Screen, Status
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.i18n import install_translators
from tests.desktop.ui.conftest import open_ui
from tests.e2e.conftest import Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

LONG_INBOX = "WhatsApp Assistenza Clienti Premium Nord-Ovest e Isole"
LONG_NAME = "Maria Antonietta Castelnuovo-Bevilacqua della Valle"


def save(widget, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    target = os.environ.get("CONVOS_SHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
    return path


async def resize(window: QWidget, width: int, height: int) -> None:
    window.resize(width, height)
    await wait_until(lambda: window.width() == width, what="resized")
    await asyncio.sleep(0.3)  # let the posted layout requests run before the grab


@pytest.mark.parametrize("language", ["it", "en"])
async def test_tree_and_new_ticket_shots(
    workspace: Workspace, tmp_path: Path, language: str
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_translators(app, language)  # the app's locale too: en_GB dates in English
    long_inbox = await workspace.admin.create_inbox(
        {"name": LONG_INBOX, "channel": "whatsapp", "team_id": workspace.team_id}
    )
    await workspace.admin.create_inbox(
        {"name": "Email", "channel": "email", "team_id": workspace.team_id}
    )
    for n in range(4):
        await workspace.customer_says(f"Buongiorno, richiesta {n}", f"wa-{n}", handoff=True)
    closed = await workspace.customer_says("Grazie, tutto risolto", "wa-long", handoff=True)
    agent = await workspace.agent_api()
    await agent.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    await agent.assign(closed["ticket_id"])
    await agent.close_ticket(closed["ticket_id"])
    contact_id = closed["message"]["sender_id"]
    await workspace.admin.update_contact(
        contact_id, {"name": LONG_NAME, "phone": "+39 347 123 4567", "email": "maria@example.com"}
    )
    await agent.aclose()
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    ui = await open_ui(tmp_path, workspace.server.url, token)
    window = ui.window
    try:
        model = window.navigation
        await wait_until(lambda: model.index_of(NavTarget.ALL, long_inbox["id"]).isValid())
        for target in (NavTarget.MINE, NavTarget.UNASSIGNED, NavTarget.ALL):
            window.nav_view.expand(model.index_of(target))
        window.navigate(NavTarget.UNASSIGNED, workspace.inbox_id)
        await wait_until(lambda: window.tickets.rowCount() == 4, what="tickets")
        for width, height in ((1280, 800), (1920, 1080)):
            await resize(window, width, height)
            save(window, tmp_path, f"tree_{language}_{width}")

        window.navigate(NavTarget.NEW_TICKET)
        screen = window.new_ticket
        await wait_until(lambda: screen.picker.model.rowCount() > 0, what="contacts")
        for width, height in ((1280, 800), (1920, 1080)):
            await resize(window, width, height)
            save(window, tmp_path, f"new_ticket_search_{language}_{width}")
        screen.picker.search.setText("Maria")
        screen.picker.new_button.click()
        screen.picker.form.phone.setText("12")
        screen.picker.form.create_button.click()
        await asyncio.sleep(0.3)
        save(window, tmp_path, f"new_ticket_form_{language}_{window.width()}")
        screen.picker.show_search()
        contact = await ui.context.api.contact(contact_id)
        screen.choose_contact(contact)
        await wait_until(screen.banner.isVisible, what="closed ticket banner")
        screen.composer.edit.setPlainText(
            "Buongiorno, la contatto per il suo ordine n. 4711: " + "testo lungo " * 20
        )
        for width, height in ((1280, 800), (1920, 1080)):
            await resize(window, width, height)
            save(window, tmp_path, f"new_ticket_closed_{language}_{width}")
    finally:
        await ui.close()
        for translator in app.findChildren(QTranslator):
            QCoreApplication.removeTranslator(translator)
            translator.setParent(None)

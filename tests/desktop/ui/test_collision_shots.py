"""Screenshots of the collision line and Menzioni at 1280x800, Italian and English, against a
real server: the admin views the conversation and types a note naming Anna, Anna looks
(written to tmp_path; copied to ``CONVOS_SHOTS`` when set, to look at them)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication

from convos_desktop.core.types import Screen, Status
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.i18n import install_translators
from tests.desktop.ui.conftest import open_ui
from tests.desktop.ui.test_screens_a_shots import resize, save
from tests.e2e.conftest import Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.mark.parametrize("language", ["it", "en"])
async def test_collision_line_and_mentions_shots(
    workspace: Workspace, tmp_path: Path, language: str
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if language == "it":
        install_translators(app, "it")
    answer = await workspace.customer_says("Buongiorno, il pacco non è arrivato", handoff=True)
    conversation = answer["conversation_id"]
    api = await workspace.agent_api()
    await api.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    await api.assign(answer["ticket_id"])
    token = api.token
    await api.aclose()
    assert token is not None
    admin = workspace.admin
    await admin.send_message_json(
        conversation, client_id="shot-note", body="@Anna il cliente ha chiamato", kind="note"
    )
    ui = await open_ui(tmp_path, workspace.server.url, token)
    window = ui.window
    try:
        window.navigate(NavTarget.MINE)
        await wait_until(lambda: window.tickets.rowCount() == 1, what="the ticket")
        window.workspace.select_ticket(answer["ticket_id"])
        await wait_until(lambda: window.workspace.current_ticket is not None, what="opened")
        async with httpx.AsyncClient(base_url=workspace.server.url + "/api/v1") as http:
            headers = admin.auth_headers()
            url = f"/conversations/{conversation}"
            await wait_until(lambda: bool(ui.context.live._viewing), what="Anna views")
            (await http.put(f"{url}/viewing", headers=headers, json={})).raise_for_status()
            typing = await http.put(f"{url}/typing", headers=headers, json={"kind": "note"})
            typing.raise_for_status()
        header = window.workspace.header
        await wait_until(lambda: "…" in header.live.text(), what="the collision line")
        await resize(window, 1280, 800)
        save(window, tmp_path, f"collision_{language}_1280")
        window.navigate(NavTarget.MENTIONS)
        await wait_until(lambda: window.mentions.model.rowCount() == 1, what="the mention")
        save(window, tmp_path, f"mentions_{language}_1280")
    finally:
        await ui.close()
        for translator in app.findChildren(QTranslator):
            QCoreApplication.removeTranslator(translator)
            translator.setParent(None)

"""Snooze and labels in the real window against the real server: the Snoozed view and its
count, label chips on the rows, the label filter, snoozing from the header until the customer
replies and the ticket coming back when they do; screenshots at 1280x800 in English and
Italian (``CONVOS_SHOTS_DIR`` or tmp_path)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication

from convos_desktop.app import build_context, open_window
from convos_desktop.core.api import ApiClient
from convos_desktop.core.session import Profile, Session
from convos_desktop.core.types import ConnectionState, Screen, Status
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.ticket_list import TicketRole
from tests.desktop.ui.conftest import RunningUi
from tests.desktop.ui.test_product_window import install_italian, shots_folder
from tests.e2e.conftest import AGENT_EMAIL, Workspace, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.qt_log_ignore("This plugin does not support")]


async def customer(ws: Workspace, external_id: str, name: str, text: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=ws.server.url + "/api/v1") as client:
        response = await client.post(
            f"/channels/{ws.inbox_id}/messages",
            headers={"X-Api-Key": ws.api_key},
            json={
                "contact": {"external_id": external_id, "name": name},
                "text": text,
                "handoff": True,
            },
        )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def open_ui(folder: Path, url: str, token: str, language: str) -> RunningUi:
    api = ApiClient(url, token)
    session = Session(Profile("test", url, AGENT_EMAIL), api, await api.me())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    context = build_context(session, folder / "cache.sqlite3", settings)
    return RunningUi(context, open_window(context, language))


def rows(ui: RunningUi) -> list[int]:
    model = ui.window.workspace.tickets
    return [model.data(model.index(r), TicketRole.TICKET_ID) for r in range(model.rowCount())]


async def test_snooze_and_labels_in_the_window(workspace: Workspace, tmp_path, qapp: QApplication):
    vip = await workspace.admin.create_label("VIP", "#d9534f")
    refund = await workspace.admin.create_label("Rimborso", "#f0ad4e")
    t1 = int((await customer(workspace, "wa-1", "Giulia Conti", "Il pacco è rotto"))["ticket_id"])
    t2 = int((await customer(workspace, "wa-2", "Luca Ferri", "Fattura sbagliata"))["ticket_id"])
    t3 = int((await customer(workspace, "wa-3", "Sara Galli", "Cambio indirizzo"))["ticket_id"])
    api = await workspace.agent_api()
    await api.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    for ticket_id in (t1, t2, t3):
        await api.assign(ticket_id)
    await api.set_ticket_label(t1, vip.id, True)
    await api.set_ticket_label(t1, refund.id, True)
    await api.set_ticket_label(t3, refund.id, True)
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    await api.snooze(t2, tomorrow)
    token = api.token
    await api.aclose()
    assert token is not None
    folder = shots_folder(tmp_path)
    for language in ("en", "it"):
        translators = install_italian(qapp) if language == "it" else []
        (tmp_path / language).mkdir()
        ui = await open_ui(tmp_path / language, workspace.server.url, token, language)
        try:
            await check_window(ui, workspace, language, folder, (t1, t2, t3), vip.id)
            if language == "it":
                assert QCoreApplication.translate("Navigation", "Snoozed") == "Posticipati"
        finally:
            await ui.close()
            for translator in translators:
                qapp.removeTranslator(translator)


async def check_window(
    ui: RunningUi,
    workspace: Workspace,
    language: str,
    folder: Path,
    tickets: tuple[int, int, int],
    vip_id: int,
) -> None:
    """The views, chips and filter; shots; in English also the live snooze and wake-up."""
    t1, t2, t3 = tickets
    window = ui.window
    window.resize(1280, 800)
    await wait_until(
        lambda: ui.context.sync.connection_state is ConnectionState.CONNECTED,
        what="connected",
    )
    window.navigate(NavTarget.MINE)
    await wait_until(lambda: sorted(rows(ui)) == sorted([t1, t3]), what="Mine")
    model = window.workspace.tickets
    labels = model.data(model.index(rows(ui).index(t1)), TicketRole.LABELS)
    assert [label.name for label in labels] == ["Rimborso", "VIP"]
    assert window.workspace.label_filter.isVisible()
    window.workspace.label_filter.choose(vip_id)
    assert rows(ui) == [t1]
    window.workspace.label_filter.choose(None)
    assert window.workspace.select_ticket(t1)
    header = window.workspace.header
    menu = header.snooze_menu
    menu.popup(header.mapToGlobal(header.rect().bottomLeft()))
    await asyncio.sleep(0.05)  # let the loop paint (no nested processEvents in a task)
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(window.width() - menu.width() - 40, 120, menu.grab())
    painter.end()
    assert picture.save(str(folder / f"snooze_menu_{language}_1280x800.png"))
    menu.hide()
    window.navigate(NavTarget.SNOOZED)
    await wait_until(lambda: rows(ui) == [t2], what="Snoozed")
    assert window.workspace.select_ticket(t2)
    await asyncio.sleep(0.05)
    expected = "Snoozed until" if language == "en" else "Posticipato fino a"
    assert expected in header.subtitle.text()
    assert window.grab().save(str(folder / f"snoozed_view_{language}_1280x800.png"))
    if language == "it":
        return
    # live: snooze t1 from the header until the customer replies; their reply wakes it
    window.navigate(NavTarget.MINE)
    await wait_until(lambda: t1 in rows(ui), what="Mine again")
    assert window.workspace.select_ticket(t1)
    header.snoozeRequested.emit(None)
    await wait_until(lambda: t1 not in rows(ui), what="t1 left Mine")
    await wait_until(lambda: ui.context.sync.counts.snoozed == 2, what="2 snoozed")
    await customer(workspace, "wa-1", "Giulia Conti", "Ci siete?")
    await wait_until(lambda: t1 in rows(ui), what="t1 back in Mine")

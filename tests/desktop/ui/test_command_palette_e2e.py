"""Command palette, cheat sheet and message search in the real app against a real server.

Keyboard only: Ctrl+K, typing, arrows, Enter, Esc; F1 and ``?`` (not while typing);
Ctrl+Shift+K. Two clients where visibility matters: the admin's client finds a message of an
inbox the agent cannot see, the agent's app never does (neither in the workspace search nor
offline); a result opens its conversation scrolled to a message older than the first page.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

from convos_desktop.models.commands import CommandRole
from convos_desktop.models.message_search import SearchRole
from tests.desktop.ui.conftest import RunningUi, open_ui
from tests.e2e.conftest import Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    # the offscreen platform cannot raise windows or grab the keyboard (popups): harmless
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints",
        "This plugin does not support raise",
        "This plugin does not support grabbing the keyboard",
    ),
]


async def start(workspace: Workspace, folder: Path) -> RunningUi:
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    ui = await open_ui(folder, workspace.server.url, token)
    ui.window.show()
    ui.window.activateWindow()
    return ui


def palette_rows(ui: RunningUi) -> list[tuple[str, str, str]]:
    model = ui.window.commands.palette.model
    return [
        (
            str(model.index(r, 0).data()),
            str(model.index(r, 0).data(CommandRole.KIND)),
            str(model.index(r, 0).data(CommandRole.SHORTCUT)),
        )
        for r in range(model.rowCount())
    ]


async def test_palette_and_cheat_sheet_by_keyboard(workspace: Workspace, tmp_path) -> None:
    await workspace.customer_says("Il pacco non è arrivato", "wa-palette", handoff=True)
    ui = await start(workspace, tmp_path)
    window = ui.window
    commands = window.commands
    try:
        await wait_until(lambda: len(ui.context.store.tickets()) == 1, what="ticket cached")
        QTest.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        palette = commands.palette
        assert palette.isVisible()
        await wait_until(
            lambda: any(kind == "ticket" for _t, kind, _s in palette_rows(ui)),
            what="tickets read into the palette",
        )
        rows = palette_rows(ui)
        titles = {title for title, _kind, _shortcut in rows}
        # Actions of other parts of the app, collected, with their shortcuts.
        assert ("Search messages", "action", "Ctrl+Shift+K") in rows
        assert ("Settings", "action", "Ctrl+,") in rows
        assert {"About Convos Desktop", "Keyboard shortcuts", "Mine", "Performance"} <= titles
        assert "Command palette" not in titles
        QTest.keyClicks(palette.edit, "mario")
        assert palette_rows(ui)[0][:2] == ("Mario Rossi", "ticket")
        QTest.keyClick(palette.edit, Qt.Key.Key_Return)
        assert not palette.isVisible()
        ticket = ui.context.store.tickets()[0]
        await wait_until(
            lambda: (
                window.workspace.current_ticket is not None
                and window.workspace.current_ticket.id == ticket.id
            ),
            what="the ticket opened from the palette",
        )
        # An action added later by any feature shows up, shortcut included, and runs.
        late = QAction("Late feature", window)
        late.setShortcut(QKeySequence("Ctrl+Alt+L"))
        fired: list[bool] = []
        late.triggered.connect(lambda: fired.append(True))
        window.addAction(late)
        commands.open_palette()
        QTest.keyClicks(palette.edit, "ltftr")  # fuzzy
        assert palette_rows(ui)[0] == ("Late feature", "action", "Ctrl+Alt+L")
        QTest.keyClick(palette.edit, Qt.Key.Key_Return)
        assert fired == [True]
        # Arrows move, Esc closes without running anything.
        commands.open_palette()
        QTest.keyClicks(palette.edit, "settings")
        QTest.keyClick(palette.edit, Qt.Key.Key_Down)
        QTest.keyClick(palette.edit, Qt.Key.Key_Up)
        assert palette.list.currentIndex().row() == 0
        QTest.keyClick(palette.edit, Qt.Key.Key_Escape)
        assert not palette.isVisible()
        assert window.app_menu.settings_dialog is None
        # The cheat sheet: F1; "?" only outside text fields.
        window.activateWindow()
        window.workspace.composer.edit.setFocus()
        QTest.keyClick(window.workspace.composer.edit, "?")
        assert commands.sheet is None or not commands.sheet.isVisible()
        window.workspace.ticket_view.setFocus()
        QTest.keyClick(window.workspace.ticket_view, "?")
        assert commands.sheet is not None
        assert commands.sheet.isVisible()
        commands.sheet.close()
        QTest.keyClick(window, Qt.Key.Key_F1)
        assert commands.sheet.isVisible()
        sheet_rows = commands.sheet.rows()
        assert ("Search messages", "Ctrl+Shift+K") in sheet_rows
        assert ("Late feature", "Ctrl+Alt+L") in sheet_rows
        assert ("Command palette", "Ctrl+K") in sheet_rows
        commands.sheet.close()
    finally:
        await ui.close()


async def _hidden_inbox_message(workspace: Workspace, text: str) -> None:
    """A message in an inbox of another team (the agent cannot see it)."""
    team = await workspace.admin.create_team("Vendite")
    inbox = await workspace.admin.create_inbox(
        {"name": "Vendite", "channel": "email", "team_id": team.id}
    )
    async with httpx.AsyncClient(base_url=workspace.server.url + "/api/v1") as client:
        response = await client.post(
            f"/channels/{inbox['id']}/messages",
            headers={"X-Api-Key": inbox["api_key"]},
            json={"contact": {"external_id": "hidden-1", "name": "Segreto"}, "text": text},
        )
        response.raise_for_status()


def shown_rows(ui: RunningUi) -> list[str]:
    model = ui.window.commands.search.model
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


async def test_search_workspace_and_offline_then_open_scrolled(
    workspace: Workspace, tmp_path
) -> None:
    await _hidden_inbox_message(workspace, "Rimborso riservato al team vendite")
    first = await workspace.customer_says("Vorrei un rimborso per l'ordine 7", handoff=True)
    for n in range(70):  # the message searched for is older than the first page
        await workspace.customer_says(f"Altro messaggio {n}")
    admin_page = await workspace.admin.search_messages("rimborso")
    assert len(admin_page.items) == 2  # the admin's client sees both inboxes
    ui = await start(workspace, tmp_path)
    window = ui.window
    search = window.commands.search
    try:
        await wait_until(lambda: len(ui.context.store.tickets()) == 1, what="ticket cached")
        ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        QTest.keyClick(window, Qt.Key.Key_K, ctrl_shift)
        assert search.isVisible()
        search.server_button.setChecked(True)
        QTest.keyClicks(search.edit, "RIMBORSO")
        await wait_until(lambda: shown_rows(ui) != [], what="workspace results")
        await asyncio.sleep(0.3)
        assert shown_rows(ui) == ["Vorrei un rimborso per l'ordine 7"]  # not the hidden inbox
        index = search.model.index(0, 0)
        assert index.data(SearchRole.RANGES) == [(10, 8)]
        assert "Mario Rossi" in index.data(SearchRole.WHERE)
        QTest.keyClick(search.edit, Qt.Key.Key_Return)  # opens the selected result
        assert not search.isVisible()
        chat = window.workspace.chat
        thread = window.workspace.messages
        await wait_until(
            lambda: not window.commands.revealer.pending and chat.currentIndex().isValid(),
            what="conversation scrolled to the message",
        )
        current = thread.message_at(chat.currentIndex().row())
        assert current is not None
        assert current.id == first["message"]["id"]
        assert chat.visualRect(chat.currentIndex()).intersects(QRect(chat.viewport().rect()))
        assert thread.rowCount() > 50  # older pages were loaded to reach it
        # Offline: the cache now holds the conversation; the server goes away.
        workspace.server.stop()
        search.present()
        search.local_button.setChecked(True)
        await wait_until(lambda: shown_rows(ui) != [], what="cached results")
        assert shown_rows(ui) == ["Vorrei un rimborso per l'ordine 7"]
        search.edit.setText("messaggio 6")
        search.search()
        await wait_until(lambda: len(shown_rows(ui)) >= 1, what="prefix search offline")
        assert "Altro messaggio 6" in shown_rows(ui)
    finally:
        await ui.close()

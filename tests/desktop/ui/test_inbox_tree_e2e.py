"""The inbox tree against a real server: each view expands into the agent's inboxes with live
counts that match the server's after a burst of hand-offs, assignments and closes across
inboxes; an inbox narrows the ticket list; keyboard use; expansion and selection restored."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from convos_desktop.core.types import Screen, Status, View
from convos_desktop.models.navigation import NavLocation, NavRole, NavTarget
from convos_desktop.ui.shell.main_window import MainWindow
from tests.desktop.ui.conftest import RunningUi, open_ui
from tests.e2e.conftest import Workspace, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

VIEWS = (NavTarget.MINE, NavTarget.UNASSIGNED, NavTarget.ALL)


async def start(workspace: Workspace, folder: Any) -> RunningUi:
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    return await open_ui(folder, workspace.server.url, token)


async def handoff(
    http: httpx.AsyncClient, inbox_id: int, key: str, external_id: str
) -> dict[str, Any]:
    response = await http.post(
        f"/channels/{inbox_id}/messages",
        headers={"X-Api-Key": key},
        json={
            "contact": {"external_id": external_id, "name": f"Cliente {external_id}"},
            "text": "Vorrei parlare con un operatore",
            "handoff": True,
        },
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def tree_counts(window: MainWindow) -> dict[str, dict[str, int]]:
    """The tree's counts in the shape of the bootstrap's ``inbox_counts`` (zero rows left out)."""
    model = window.navigation
    counts: dict[str, dict[str, int]] = {}
    for inbox_id in model.inbox_ids(View.ALL):
        row = {
            target.value: int(model.index_of(target, inbox_id).data(NavRole.COUNT))
            for target in VIEWS
        }
        if row["all"]:
            counts[str(inbox_id)] = row
    return counts


async def test_tree_counts_follow_a_burst_across_inboxes(workspace: Workspace, tmp_path) -> None:
    second = await workspace.admin.create_inbox(
        {"name": "Telegram Assistenza", "channel": "telegram", "team_id": workspace.team_id}
    )
    other_team = await workspace.admin.create_team("Vendite")
    hidden = await workspace.admin.create_inbox(
        {"name": "Altro team", "channel": "email", "team_id": other_team.id}
    )
    ui = await start(workspace, tmp_path)
    window = ui.window
    agent = await workspace.agent_api()
    try:
        model = window.navigation
        await wait_until(
            lambda: len(model.inbox_ids(View.ALL)) == 2, what="the agent's two inboxes"
        )
        assert hidden["id"] not in model.inbox_ids(View.ALL)  # not in Anna's team
        assert [model.index_of(NavTarget.MINE, i).data() for i in model.inbox_ids(View.MINE)] == [
            "Telegram Assistenza",
            "WhatsApp",
        ]

        inboxes = [
            (workspace.inbox_id, workspace.api_key),
            (second["id"], second["api_key"]),
            (hidden["id"], hidden["api_key"]),
        ]
        async with httpx.AsyncClient(base_url=workspace.server.url + "/api/v1") as http:
            made = await asyncio.gather(
                *(handoff(http, *inboxes[n % 3], f"burst-{n}") for n in range(30))
            )
        await agent.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
        visible = [m["ticket_id"] for n, m in enumerate(made) if n % 3 != 2]
        await asyncio.gather(*(agent.assign(ticket_id) for ticket_id in visible[:9]))
        await asyncio.gather(*(agent.close_ticket(ticket_id) for ticket_id in visible[:3]))
        await asyncio.gather(*(agent.close_ticket(ticket_id) for ticket_id in visible[15:17]))

        server = (await agent.bootstrap_json())["inbox_counts"]
        assert sum(row["all"] for row in server.values()) == 15
        await wait_until(lambda: tree_counts(window) == server, what="tree counts = server's")
        totals = {t: model.index_of(t).data(NavRole.COUNT) for t in VIEWS}
        assert totals == {NavTarget.MINE: 6, NavTarget.UNASSIGNED: 9, NavTarget.ALL: 15}

        window.navigate(NavTarget.UNASSIGNED, second["id"])
        assert window.current_location == NavLocation(NavTarget.UNASSIGNED, second["id"])
        listed = window.tickets
        assert listed.rowCount() == server[str(second["id"])]["unassigned"]
        assert all(
            listed.ticket_at(row).inbox_id == second["id"]  # type: ignore[union-attr]
            for row in range(listed.rowCount())
        )
        assert "Telegram Assistenza" in window.workspace.list_title.text()
        assert ui.context.presence.machine.inputs.screen is Screen.CONVERSATIONS

        more = await workspace.customer_says("Ancora io", "late-1", handoff=True)
        await wait_until(
            lambda: (
                model.index_of(NavTarget.UNASSIGNED, workspace.inbox_id).data(NavRole.COUNT)
                == server[str(workspace.inbox_id)]["unassigned"] + 1
            ),
            what="live count of the other inbox",
        )
        assert listed.row_of(more["ticket_id"]) == -1  # another inbox: not in this list
    finally:
        await agent.aclose()
        await ui.close()


async def test_keyboard_expansion_and_selection_survive_a_restart(
    workspace: Workspace, tmp_path
) -> None:
    ui = await start(workspace, tmp_path)
    try:
        window = ui.window
        view = window.nav_view
        model = window.navigation
        await wait_until(lambda: model.inbox_ids(View.ALL) == [workspace.inbox_id])
        window.navigate(NavTarget.ALL)
        all_index = model.index_of(NavTarget.ALL)
        assert not view.isExpanded(all_index)
        view.setFocus()
        QTest.keyClick(view, Qt.Key.Key_Right)
        assert view.isExpanded(all_index)
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert window.current_location == NavLocation(NavTarget.ALL, workspace.inbox_id)
        QTest.keyClick(view, Qt.Key.Key_Up)
        QTest.keyClick(view, Qt.Key.Key_Up)
        assert window.current_location == NavLocation(NavTarget.UNASSIGNED)
        QTest.keyClick(view, Qt.Key.Key_Right)
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert window.current_location == NavLocation(NavTarget.UNASSIGNED, workspace.inbox_id)
        QTest.keyClick(view, Qt.Key.Key_Left)  # to the parent
        QTest.keyClick(view, Qt.Key.Key_Left)  # collapse it
        assert not view.isExpanded(model.index_of(NavTarget.UNASSIGNED))
        QTest.keyClick(view, Qt.Key.Key_Down)
        QTest.keyClick(view, Qt.Key.Key_Down)
        assert window.current_location == NavLocation(NavTarget.ALL, workspace.inbox_id)
    finally:
        await ui.close()

    ui = await start(workspace, tmp_path)
    try:
        window = ui.window
        model = window.navigation
        assert window.current_location == NavLocation(NavTarget.ALL, workspace.inbox_id)
        assert window.nav_view.isExpanded(model.index_of(NavTarget.ALL))
        assert not window.nav_view.isExpanded(model.index_of(NavTarget.UNASSIGNED))
        assert window.tickets.inbox_id == workspace.inbox_id
    finally:
        await ui.close()

"""Pop-out windows against the real server (issue 15): two conversations in windows of their
own beside the main window; a reply sent from one reaches the server and the main window's
models; the draft typed in a pop-out is the one the main window shows; closing brings the
conversation back; presence and ``core.live`` count the pop-outs; the open windows come back
after a restart and close at logout."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from convos_desktop.core.types import ConnectionState, Screen
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.ticket_list import TicketRole
from convos_desktop.ui.popout.manager import POPOUTS_KEY
from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.workspace.ticket_actions import TicketAction
from tests.desktop.ui.conftest import open_ui
from tests.desktop.ui.test_snooze_labels_window_e2e import customer
from tests.e2e.conftest import Workspace, take_ticket, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.qt_log_ignore("This plugin does not support")]


def row_data(window: MainWindow, ticket_id: int, role: TicketRole) -> object:
    model = window.tickets
    return model.data(model.index(model.row_of(ticket_id)), role)


async def test_two_popouts_send_share_drafts_close_back_and_come_back(
    workspace: Workspace, tmp_path
) -> None:
    first = await customer(workspace, "wa-1", "Giulia Conti", "Il pacco è rotto")
    second = await customer(workspace, "wa-2", "Luca Ferri", "Fattura sbagliata")
    t1, t2 = int(first["ticket_id"]), int(second["ticket_id"])
    c1, c2 = int(first["conversation_id"]), int(second["conversation_id"])
    api = await workspace.agent_api()
    await take_ticket(api, t1)
    await api.assign(t2)
    token = api.token
    await api.aclose()
    assert token is not None
    ui = await open_ui(tmp_path, workspace.server.url, token)
    window, context = ui.window, ui.context
    space, popouts = window.workspace, window.popouts
    try:
        await wait_until(lambda: context.sync.connection_state is ConnectionState.CONNECTED)
        window.navigate(NavTarget.MINE)
        await wait_until(lambda: window.tickets.row_of(t2) >= 0, what="both in Mine")
        assert space.select_ticket(t1)
        space.header.popout_action.trigger()  # the header's "Open in a new window"
        assert popouts.is_open(t1)
        assert space.right.currentWidget() is space.elsewhere  # not shown twice
        space.ticket_view.doubleClicked.emit(window.tickets.index(window.tickets.row_of(t2)))
        assert popouts.is_open(t2)
        again = popouts.window(t1)
        window.pop_out(space.current_ticket or again.ticket)  # asked again: the same window
        assert popouts.window(t1) is again
        assert len(popouts.windows()) == 2
        one, two = popouts.window(t1), popouts.window(t2)
        assert one is not None
        assert two is not None
        assert one.windowTitle().startswith("Giulia Conti")
        assert not one.pane.header.popout_button.isVisible()  # no pop-out of a pop-out

        # presence: another screen in the main window, the pop-outs keep the agent here
        window.navigate(NavTarget.PERFORMANCE)
        assert context.presence.machine.inputs.screen is Screen.CONVERSATIONS
        assert {c1, c2} <= context.live.viewed()
        one.showMinimized()
        window.show_notified_ticket(t1)  # a click on a notification about a popped-out one
        assert not one.isMinimized()  # its window comes forward ...
        assert window.current_target in {NavTarget.PERFORMANCE}  # ... the main one stays put

        async def anna_views(conversation_id: int) -> bool:  # asked as the admin: a colleague
            answer = await workspace.admin.request(
                "PUT", f"/conversations/{conversation_id}/viewing", json={"viewing": True}
            )
            return workspace.agent_id in {v["agent_id"] for v in answer["viewers"]}

        await wait_until(lambda: anna_views(c1), what="the server: Anna views the first")
        await wait_until(lambda: anna_views(c2), what="the server: and the second")
        await wait_until(lambda: one.pane.header.live.isVisibleTo(one), what="collision line")
        assert "viewing" in one.pane.header.live.text()

        # Esc does not close a pop-out; its Ctrl+W action does
        QTest.keyClick(one, Qt.Key.Key_Escape)
        assert one.isVisible()
        assert one.close_action.shortcut().toString() == "Ctrl+W"

        # the draft typed in a pop-out is the conversation's draft
        one.pane.composer.edit.setPlainText("Bozza dalla finestra")
        assert context.drafts.get(one.pane.conversation_id or 0) is not None
        assert row_data(window, t1, TicketRole.HAS_DRAFT)

        # a reply from the other pop-out reaches the server and the main window's list
        two.pane.composer.edit.setPlainText("Risposta dalla finestra")
        two.pane.composer.send()

        async def on_server() -> bool:
            page = await workspace.admin.messages_json(c2, limit=20)
            return any(m["body"] == "Risposta dalla finestra" for m in page["items"])

        await wait_until(on_server, what="the reply on the server")
        await wait_until(
            lambda: "Risposta dalla finestra" in str(row_data(window, t2, TicketRole.PREVIEW)),
            what="the main window's list",
        )

        # closing brings the conversation back into the main window, with its draft
        one.close_action.trigger()
        assert not popouts.is_open(t1)
        assert window.current_target is NavTarget.ALL or window.current_target.ticket_view
        assert space.current_ticket is not None
        assert space.current_ticket.id == t1
        assert space.right.currentWidget() is space.pane
        assert space.composer.edit.toPlainText() == "Bozza dalla finestra"
        two.resize(700, 560)
        await asyncio.sleep(0.05)
    finally:
        await ui.close()  # the logout: the pop-out of t2 closes, remembered
    assert popouts.windows() == []  # closed at logout
    assert str(t2) in str(context.settings.value(POPOUTS_KEY))

    ui = await open_ui(tmp_path, workspace.server.url, token)  # the next start
    window = ui.window
    try:
        restored = window.popouts.window(t2)
        assert restored is not None
        assert restored.isVisible()
        assert window.popouts.windows() == [restored]
        assert restored.size().width() == 700
        # a ticket finalized in its pop-out turns read-only there, as in the main window
        header = restored.pane.header
        await wait_until(lambda: header.buttons[TicketAction.CLOSE].isEnabled(), what="online")

        async def online_on_server() -> bool:  # the new run's first heartbeat has arrived
            agents = await workspace.admin.request("GET", "/agents")
            items = agents["items"] if isinstance(agents, dict) else agents
            return any(a["id"] == workspace.agent_id and a["status"] == "online" for a in items)

        await wait_until(online_on_server, what="online on the server")
        header.buttons[TicketAction.CLOSE].click()
        await wait_until(
            lambda: header.visible_actions() == [TicketAction.REOPEN],
            what=f"closed ({header.reason.text()})",
        )
        assert "closed" in restored.pane.composer._reply_reason  # reactivate to reply
        restored.close_action.trigger()
        await wait_until(lambda: window.workspace.current_ticket is not None)
        assert window.workspace.current_ticket.id == t2  # type: ignore[union-attr]
        messages = window.workspace.messages
        await wait_until(
            lambda: any(
                (m := messages.message_at(r)) is not None and m.body == "Risposta dalla finestra"
                for r in range(messages.rowCount())
            ),
            what="the reply in the main window's thread",
        )
    finally:
        await ui.close()

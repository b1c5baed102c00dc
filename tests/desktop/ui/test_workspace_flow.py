"""The agent's day without surprises, against a real server: the shown ticket never changes
under the agent (Assign to me follows it to La tua posta, Finalize opens the row below and
says so), Finalize can be undone, and closed tickets stay reachable from the contact dock."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.workspace.ticket_actions import TicketAction
from tests.desktop.ui.conftest import RunningUi, open_ui
from tests.e2e.conftest import Workspace, take_ticket, wait_until

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


async def start(workspace: Workspace, folder: Path) -> RunningUi:
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    return await open_ui(folder, workspace.server.url, token)


async def three_tickets(workspace: Workspace, *, mine: bool) -> list[int]:
    """Three tickets of three customers, newest first (the list's order)."""
    ids = []
    for index in range(3):
        sent = await workspace.customer_says(f"Cliente {index}", f"wa-{index}", handoff=True)
        ids.append(sent["ticket_id"])
    if mine:
        api = await workspace.agent_api()
        try:
            for ticket_id in ids:
                await take_ticket(api, ticket_id)
        finally:
            await api.aclose()
    return ids[::-1]


async def test_assign_to_me_stays_on_the_ticket_now_in_la_tua_posta(
    workspace: Workspace, tmp_path
) -> None:
    _newest, middle, _oldest = await three_tickets(workspace, mine=False)
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    try:
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 3, what="three tickets")
        assert space.select_ticket(middle)
        opened: list[int] = []
        space.ticketOpened.connect(opened.append)
        await wait_until(lambda: space.header.buttons[TicketAction.ASSIGN].isEnabled())
        space.header.buttons[TicketAction.ASSIGN].click()
        await wait_until(lambda: window.current_target is NavTarget.MINE, what="La tua posta")
        await wait_until(lambda: window.tickets.row_of(middle) == 0, what="listed in Mine")
        current = space.current_ticket
        assert current is not None
        assert current.id == middle
        assert space.ticket_view.currentIndex().row() == window.tickets.row_of(middle)
        assert opened == []  # no other ticket was shown on the way
    finally:
        await ui.close()


async def test_finalize_opens_the_row_below_says_so_and_undo_brings_it_back(
    workspace: Workspace, tmp_path
) -> None:
    _newest, middle, oldest = await three_tickets(workspace, mine=True)
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    try:
        window.navigate(NavTarget.MINE)
        await wait_until(lambda: window.tickets.rowCount() == 3, what="three tickets")
        assert space.select_ticket(middle)
        await wait_until(lambda: space.header.buttons[TicketAction.CLOSE].isEnabled())
        space.header.buttons[TicketAction.CLOSE].click()
        await wait_until(lambda: window.tickets.row_of(middle) < 0, what="finalized")
        shown = space.current_ticket
        assert shown is not None
        assert shown.id == oldest  # the row below
        assert space.ticket_view.currentIndex().row() == window.tickets.row_of(oldest)
        toast = space.undo_toast
        assert toast.isVisible()
        assert f"#{middle} finalized" in toast.message.text()
        assert "Now showing Mario Rossi" in toast.message.text()
        assert toast.undo_button.text().startswith("Undo (")

        toast.undo_button.click()
        await wait_until(lambda: window.tickets.row_of(middle) >= 0, what="reactivated")
        await wait_until(
            lambda: space.current_ticket is not None and space.current_ticket.id == middle,
            what="the reactivated ticket shown",
        )
        back = space.current_ticket
        assert back is not None
        assert back.is_open
        assert back.assignee_id == workspace.agent_id
        assert space.ticket_view.currentIndex().row() == window.tickets.row_of(middle)
        assert not toast.isVisible()

        # the last row: the one above opens
        assert space.select_ticket(oldest)
        space.header.buttons[TicketAction.CLOSE].click()
        await wait_until(lambda: window.tickets.row_of(oldest) < 0, what="last row finalized")
        shown = space.current_ticket
        assert shown is not None
        assert shown.id == window.tickets.ticket_at(window.tickets.rowCount() - 1).id
    finally:
        await ui.close()


async def test_undo_of_an_unassigned_ticket_puts_it_back_unassigned(
    workspace: Workspace, tmp_path
) -> None:
    newest, middle, _oldest = await three_tickets(workspace, mine=False)
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    try:
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 3, what="three tickets")
        assert space.select_ticket(newest)
        await wait_until(lambda: space.header.buttons[TicketAction.CLOSE].isEnabled())
        space.header.buttons[TicketAction.CLOSE].click()
        await wait_until(lambda: window.tickets.row_of(newest) < 0, what="finalized")
        assert space.current_ticket is not None
        assert space.current_ticket.id == middle
        assert space.undo_toast.isVisible()
        window.activateWindow()
        await wait_until(window.isActiveWindow, what="the window active")
        QTest.keyClick(window, Qt.Key.Key_R, CTRL_SHIFT)  # Ctrl+Shift+R while the bar shows
        await wait_until(lambda: window.tickets.row_of(newest) >= 0, what="back in Unassigned")
        await wait_until(
            lambda: (
                space.current_ticket is not None
                and space.current_ticket.id == newest
                and space.current_ticket.assignee_id is None
            ),
            what="shown, unassigned again",
        )
    finally:
        await ui.close()


async def test_a_closed_ticket_is_reachable_from_the_contact_dock(
    workspace: Workspace, tmp_path
) -> None:
    first = await workspace.customer_says("Primo problema", "wa-7", handoff=True)
    api = await workspace.agent_api()
    try:
        await take_ticket(api, first["ticket_id"])
        await api.close_ticket(first["ticket_id"])
    finally:
        await api.aclose()
    second = await workspace.customer_says("Secondo problema", "wa-7", handoff=True)
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    panel = window.contact_dock.tickets_panel
    try:
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 1, what="the open ticket")
        assert space.select_ticket(second["ticket_id"])
        await wait_until(lambda: panel.model.rowCount() == 2, what="both tickets in the dock")
        assert panel.current_ticket() is not None
        assert panel.current_ticket().id == second["ticket_id"]  # the shown one is selected
        closed_row = panel.model.row_of(first["ticket_id"])
        panel.view.setCurrentIndex(panel.model.index(closed_row))
        assert "Closed" in panel.model.index(closed_row).data()
        # one open ticket per contact: Reactivate says why not
        assert not panel.reactivate_button.isEnabled()
        assert f"#{second['ticket_id']}" in panel.reason.text()

        panel.open_button.click()
        shown = space.current_ticket
        assert shown is not None
        assert shown.id == first["ticket_id"]
        assert space.header.visible_actions() == [TicketAction.REOPEN]
        reopen = space.header.action_state(TicketAction.REOPEN)
        assert reopen is not None
        assert not reopen.enabled  # the header agrees with the dock: #second is open
        assert f"#{second['ticket_id']}" in reopen.reason
        assert not space.ticket_view.currentIndex().isValid()  # not in this list

        # Finalize the open one elsewhere: the closed one can be reactivated from the header
        api = await workspace.agent_api()
        try:
            await api.close_ticket(second["ticket_id"])
        finally:
            await api.aclose()
        await wait_until(
            lambda: panel.model.open_ticket() is None, what="the dock sees the other closed"
        )
        await wait_until(lambda: space.header.buttons[TicketAction.REOPEN].isEnabled())
        window.activateWindow()
        await wait_until(window.isActiveWindow, what="the window active")
        QTest.keyClick(window, Qt.Key.Key_R, CTRL_SHIFT)  # Reactivate from the keyboard
        await wait_until(
            lambda: space.current_ticket is not None and space.current_ticket.is_open,
            what="reactivated",
        )
        # reactivated while Non assegnato is listed: the window follows it to La tua posta
        await wait_until(lambda: window.current_target is NavTarget.MINE, what="in Mine")
        await wait_until(lambda: window.tickets.row_of(first["ticket_id"]) == 0, what="listed")
        assert space.ticket_view.currentIndex().row() == 0
    finally:
        await ui.close()


async def test_a_contact_edit_onto_another_contacts_phone_names_that_contact(
    workspace: Workspace, tmp_path
) -> None:
    other = await workspace.admin.create_contact("Giulia Esistente", phone="+39 347 999 0001")
    sent = await workspace.customer_says("Buongiorno", "wa-8", handoff=True)
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    dock = window.contact_dock
    try:
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 1, what="the open ticket")
        assert space.select_ticket(sent["ticket_id"])
        await wait_until(lambda: dock.contact() is not None, what="the contact shown")
        dock.start_editing()
        dock.phone_edit.setText("+39 3479990001")
        dock.save()
        await wait_until(lambda: not dock.is_saving(), what="the answer")
        assert dock.is_editing()
        text = dock.error_label.text()
        assert "Not saved: Giulia Esistente already has this phone number" in text, text
        assert dock.phone_edit.hasFocus() or not window.isActiveWindow()
        assert dock.phone_edit.selectedText() == "+39 3479990001"
        contact = await workspace.admin.contact(sent["message"]["sender_id"])
        assert contact.phone != other.phone  # nothing saved
    finally:
        await ui.close()

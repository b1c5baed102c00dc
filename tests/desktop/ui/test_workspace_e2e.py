"""The workspace against a real server subprocess: take, reply, quote, react, note, attach,
sticker rules, live customer messages, finalize/reactivate, Unavailable, drafts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from convos_desktop.core.media import FileKind
from convos_desktop.core.types import Direction, Status
from convos_desktop.models.navigation import NavRole, NavTarget
from convos_desktop.models.ticket_list import TicketRole
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.workspace.ticket_actions import TicketAction
from tests.desktop.ui.conftest import RunningUi, open_ui
from tests.e2e.conftest import Workspace, take_ticket, wait_until

pytestmark = [
    pytest.mark.e2e,
    # the offscreen platform cannot size top-level windows and says so: harmless
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def sticker_file(folder: Path, name: str, size: tuple[int, int] = (512, 512)) -> Path:
    image = Image.new("RGBA", size, (255, 0, 0, 0))
    path = folder / name
    image.save(path, format="PNG")
    return path


async def server_messages(workspace: Workspace, conversation_id: int) -> list[dict]:
    page = await workspace.admin.messages_json(conversation_id, limit=100)
    return page["items"]


async def start(workspace: Workspace, folder: Path) -> RunningUi:
    api = await workspace.agent_api()
    token = api.token
    await api.aclose()
    assert token is not None
    return await open_ui(folder, workspace.server.url, token)


async def test_take_reply_react_note_attach_and_close(workspace: Workspace, tmp_path) -> None:
    ui = await start(workspace, tmp_path)
    window = ui.window
    try:
        sent = await workspace.customer_says("Buongiorno, il mio ordine?", handoff=True)
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 1, what="ticket in Unassigned")
        unassigned = window.navigation.index_of(NavTarget.UNASSIGNED)
        await wait_until(lambda: unassigned.data(NavRole.COUNT) == 1, what="live count")

        space = window.workspace
        space.ticket_view.setCurrentIndex(window.tickets.index(0))
        ticket = space.current_ticket
        assert ticket is not None
        assert ticket.id == sent["ticket_id"]
        await wait_until(lambda: space.messages.rowCount() >= 1, what="history")
        await wait_until(lambda: space.header.buttons[TicketAction.ASSIGN].isEnabled())

        space.header.buttons[TicketAction.ASSIGN].click()
        # taken: the window follows it to La tua posta, the same ticket selected
        await wait_until(lambda: window.current_target is NavTarget.MINE, what="in Mine")
        assert window.tickets.row_of(ticket.id) == 0
        assert space.current_ticket is not None
        assert space.current_ticket.id == ticket.id

        conversation = ticket.conversation_id
        composer = space.composer
        composer.edit.setPlainText("Controllo subito, un attimo")
        composer.send()
        customer = space.messages.message_at(0)
        assert customer is not None
        assert customer.direction is Direction.IN
        space.pane._on_reply(customer)
        composer.edit.setPlainText("Ecco la risposta al suo messaggio")
        composer.send()
        composer.set_note_mode(True)
        composer.edit.setPlainText("Nota: cliente VIP")
        composer.send()
        composer.set_note_mode(False)
        document = tmp_path / "fattura.txt"
        document.write_text("Fattura n. 1\n")
        composer.add_attachments(
            [PendingAttachment("fattura.txt", FileKind.DOCUMENT, 13, path=document)]
        )
        composer.edit.setPlainText("In allegato la fattura")
        composer.send()
        good = sticker_file(tmp_path, "ok.png")
        composer.add_attachments(
            [PendingAttachment("ok.png", FileKind.STICKER, good.stat().st_size, path=good)]
        )
        composer.send()
        space.reactions.toggle(customer, "👍")

        async def all_there() -> bool:
            items = await server_messages(workspace, conversation)
            bodies = {m["body"]: m for m in items}
            reacted = any(r["emoji"] == "👍" for m in items for r in m["reactions"])
            return (
                reacted
                and {
                    "Controllo subito, un attimo",
                    "Ecco la risposta al suo messaggio",
                    "Nota: cliente VIP",
                    "In allegato la fattura",
                }
                <= set(bodies)
                and any(f["kind"] == "sticker" for m in items for f in m["files"])
            )

        await wait_until(all_there, what="every send on the server")
        items = {m["body"]: m for m in await server_messages(workspace, conversation)}
        assert items["Ecco la risposta al suo messaggio"]["reply_to"] == customer.id
        assert items["Nota: cliente VIP"]["direction"] == "note"
        assert items["In allegato la fattura"]["files"][0]["name"] == "fattura.txt"

        bad = sticker_file(tmp_path, "big.png", size=(300, 300))
        composer.add_attachments(
            [PendingAttachment("big.png", FileKind.STICKER, bad.stat().st_size, path=bad)]
        )
        composer.send()
        await wait_until(
            lambda: "sticker" in space.header.reason.text().lower(), what="sticker refusal"
        )

        await workspace.customer_says("Grazie mille!")
        await wait_until(
            lambda: any(
                (m := space.messages.message_at(r)) is not None and m.body == "Grazie mille!"
                for r in range(space.messages.rowCount())
            ),
            what="customer message in the open thread",
        )

        space.header.buttons[TicketAction.CLOSE].click()
        await wait_until(
            lambda: space.header.visible_actions() == [TicketAction.REOPEN], what="finalized"
        )
        assert window.tickets.row_of(ticket.id) == -1
        space.header.buttons[TicketAction.REOPEN].click()
        await wait_until(lambda: window.tickets.row_of(ticket.id) == 0, what="reactivated")
        assert TicketAction.CLOSE in space.header.visible_actions()
    finally:
        await ui.close()


async def test_unavailable_disables_actions_and_drafts_survive(
    workspace: Workspace, tmp_path
) -> None:
    first = await workspace.customer_says("Primo cliente", "wa-1", handoff=True)
    second = await workspace.customer_says("Secondo cliente", "wa-2", handoff=True)
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    try:
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.rowCount() == 2, what="two tickets")
        assert space.select_ticket(first["ticket_id"])
        window.header.status_combo.setCurrentIndex(2)
        window.header.statusChosen.emit(Status.UNAVAILABLE)
        assert not space.header.buttons[TicketAction.ASSIGN].isEnabled()
        assert "Unavailable" in space.header.reason.text()
        assert "Unavailable" in space.header.buttons[TicketAction.ASSIGN].toolTip()
        assert not space.composer.send_button.isEnabled()
        await wait_until(lambda: space.messages.rowCount() >= 1, what="history")
        customer = space.messages.message_at(0)
        assert customer is not None
        menu = space.chat.build_context_menu(customer)
        react = next(a for a in menu.actions() if a.text() == "React")
        assert not react.isEnabled()  # reacting follows the online rule too

        window.navigate(NavTarget.SHORTCUTS)  # another screen: Unavailable whatever was chosen
        window.header.statusChosen.emit(Status.ONLINE)
        assert window.workspace.header.buttons[TicketAction.ASSIGN].isEnabled() is False
        window.navigate(NavTarget.UNASSIGNED)
        assert space.header.buttons[TicketAction.ASSIGN].isEnabled()

        space.composer.edit.setPlainText("Bozza per il primo")
        assert space.select_ticket(second["ticket_id"])
        assert space.composer.edit.toPlainText() == ""
        assert space.select_ticket(first["ticket_id"])
        assert space.composer.edit.toPlainText() == "Bozza per il primo"
        row = window.tickets.row_of(first["ticket_id"])
        assert window.tickets.index(row).data(TicketRole.HAS_DRAFT) is True
        space.splitter.setSizes([190, 800])  # small: the offscreen screen is small
        await asyncio.sleep(0.1)  # let the layout settle before reading what will be saved
        saved_list_width = space.splitter.sizes()[0]
    finally:
        await ui.close()
    await workspace.customer_says("Ci sono novità?", "wa-2")  # while the app is closed

    ui = await start(workspace, tmp_path)
    try:
        window, space = ui.window, ui.window.workspace
        window.navigate(NavTarget.UNASSIGNED)
        await wait_until(lambda: window.tickets.row_of(first["ticket_id"]) >= 0)
        await wait_until(lambda: window.tickets.row_of(second["ticket_id"]) >= 0)
        unread = lambda ticket_id: window.tickets.index(  # noqa: E731
            window.tickets.row_of(ticket_id)
        ).data(TicketRole.UNREAD)
        assert unread(first["ticket_id"]) is False  # read before the restart
        await wait_until(lambda: unread(second["ticket_id"]) is True, what="new message unread")
        assert space.select_ticket(first["ticket_id"])
        assert space.composer.edit.toPlainText() == "Bozza per il primo"
        assert space.splitter.sizes()[0] == saved_list_width
        assert window.current_target is NavTarget.UNASSIGNED
    finally:
        await ui.close()


async def test_an_admin_takes_over_a_ticket_an_agent_holds(workspace: Workspace, tmp_path) -> None:
    sent = await workspace.customer_says("Mi serve aiuto", handoff=True)
    ticket_id = sent["ticket_id"]
    agent_api = await workspace.agent_api()
    await take_ticket(agent_api, ticket_id)
    await agent_api.aclose()
    assert workspace.admin.token is not None
    ui = await open_ui(tmp_path, workspace.server.url, workspace.admin.token)
    window, space = ui.window, ui.window.workspace
    try:
        window.navigate(NavTarget.ALL)
        await wait_until(lambda: window.tickets.row_of(ticket_id) >= 0, what="ticket in All")
        assert space.select_ticket(ticket_id)
        take_over = space.header.buttons[TicketAction.ASSIGN]
        await wait_until(take_over.isEnabled, what="take-over offered")
        assert "Take the ticket over from Anna" in take_over.toolTip()
        take_over.click()
        admin_id = ui.context.directory.me_id
        await wait_until(
            lambda: (
                space.current_ticket is not None and space.current_ticket.assignee_id == admin_id
            ),
            what="assigned to the admin",
        )
        assert (await workspace.admin.ticket(ticket_id)).ticket.assignee_id == admin_id
    finally:
        await ui.close()


async def test_finalize_right_after_a_reply_waits_for_it(workspace: Workspace, tmp_path) -> None:
    sent = await workspace.customer_says("Posso cambiare taglia?", handoff=True)
    ticket_id = sent["ticket_id"]
    agent_api = await workspace.agent_api()
    await take_ticket(agent_api, ticket_id)
    await agent_api.aclose()
    ui = await start(workspace, tmp_path)
    window, space = ui.window, ui.window.workspace
    reply = "Certo, gliela cambio subito. Buona giornata!"
    try:
        window.navigate(NavTarget.MINE)
        await wait_until(lambda: window.tickets.row_of(ticket_id) >= 0, what="ticket in Mine")
        assert space.select_ticket(ticket_id)
        space.composer.edit.setPlainText(reply)
        await wait_until(space.composer.send_button.isEnabled, what="reply allowed")
        await wait_until(space.header.buttons[TicketAction.CLOSE].isEnabled, what="finalize")
        space.composer.send()
        space.header.buttons[TicketAction.CLOSE].click()  # before the reply has gone out

        await wait_until(
            lambda: space.header.visible_actions() == [TicketAction.REOPEN], what="finalized"
        )
        bodies = [m["body"] for m in await server_messages(workspace, sent["conversation_id"])]
        assert reply in bodies
        assert ui.context.outbox.items() == []  # delivered, not kept as a failed send
    finally:
        await ui.close()

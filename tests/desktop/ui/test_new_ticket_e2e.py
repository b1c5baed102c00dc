"""Nuovo Ticket against a real server: paged contact search, a contact's open ticket (named
with its assignee, opened on request), a closed one reactivated, inline contacts with
validation and "use the existing one", a first message with a quick reply and a file that
starts an agent conversation and opens in Mine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from convos_desktop.core.media import FileKind
from convos_desktop.core.types import Screen, Status
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.chat.composer import BLOCKED_COLOR
from convos_desktop.ui.screens.new_ticket import NewTicketScreen
from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.theme import CHAT
from tests.desktop.ui.conftest import RunningUi, open_ui
from tests.e2e.conftest import Workspace, wait_until

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


async def choose(screen: NewTicketScreen, query: str, name: str) -> None:
    """Search ``query`` and choose the result called ``name``."""
    picker = screen.picker
    if screen.contact is not None:
        screen.change_contact()
    picker.search.setText(query)
    await wait_until(
        lambda: any(
            (c := picker.model.contact_at(r)) is not None and c.name == name
            for r in range(picker.model.rowCount())
        ),
        what=f"{name} found",
    )
    row = next(
        r
        for r in range(picker.model.rowCount())
        if (c := picker.model.contact_at(r)) is not None and c.name == name
    )
    picker.results.setCurrentIndex(picker.model.index(row))
    picker.search.returnPressed.emit()
    assert screen.contact is not None
    assert screen.contact.name == name


async def open_new_ticket(window: MainWindow) -> NewTicketScreen:
    window.navigate(NavTarget.NEW_TICKET)
    screen = window.new_ticket
    assert window.stack.currentWidget() is screen
    await wait_until(
        lambda: screen.composer.reason_label.text() == "Choose a contact first.",
        what=f"online, waiting for a contact: {screen.composer.reason_label.text()!r}",
    )
    assert reason_color(screen) == CHAT.muted.name()  # a step still to take: not an error's red
    return screen


def reason_color(screen: NewTicketScreen) -> str:
    label = screen.composer.reason_label
    return label.palette().color(label.foregroundRole()).name()


async def test_open_then_closed_ticket_of_a_contact(workspace: Workspace, tmp_path) -> None:
    sent = await workspace.customer_says("Buongiorno", "wa-39333", handoff=True)
    ticket_id = sent["ticket_id"]
    ui = await start(workspace, tmp_path)
    window = ui.window
    agent = await workspace.agent_api()
    try:
        screen = await open_new_ticket(window)
        assert ui.context.presence.machine.inputs.screen is Screen.CONVERSATIONS
        await choose(screen, "mario", "Mario Rossi")
        banner = screen.banner
        await wait_until(banner.isVisible, what="open ticket said")
        assert "already has an open ticket" in banner.text.text()
        assert "not assigned yet" in banner.text.text()
        assert not screen.composer.send_button.isEnabled()
        assert screen.composer.reason_label.text() == "The contact already has an open ticket."
        assert reason_color(screen) == BLOCKED_COLOR  # a rule says no: red
        banner.action.click()
        assert window.current_target is NavTarget.UNASSIGNED
        await wait_until(
            lambda: (
                window.workspace.current_ticket is not None
                and window.workspace.current_ticket.id == ticket_id
            ),
            what="the open ticket shown",
        )

        await agent.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
        await agent.assign(ticket_id)
        await agent.close_ticket(ticket_id)
        await wait_until(lambda: window.tickets.row_of(ticket_id) == -1, what="closed")

        screen = await open_new_ticket(window)
        await choose(screen, "39333", "Mario Rossi")  # found by external id / phone digits
        await wait_until(
            lambda: banner.isVisible() and "was closed" in banner.text.text(),
            what="closed ticket offered",
        )
        assert banner.action.text() == "Reactivate"
        assert screen.composer.reason_label.text() == ""  # a new one may be started too
        banner.action.click()
        await wait_until(
            lambda: (
                window.current_target is NavTarget.MINE
                and window.workspace.current_ticket is not None
                and window.workspace.current_ticket.id == ticket_id
                and window.workspace.current_ticket.is_open
            ),
            what="reactivated ticket open in Mine",
        )
        assert window.workspace.right.currentIndex() == 1  # the thread, not the placeholder
        detail = await agent.ticket(ticket_id)
        assert (detail.ticket.status, detail.ticket.reopen_count) == ("open", 1)
    finally:
        await agent.aclose()
        await ui.close()


async def test_new_contact_first_message_with_file_opens_in_mine(
    workspace: Workspace, tmp_path
) -> None:
    await workspace.admin.create_canned(
        "saluto", "Buongiorno {contact_name}, sono {agent_name}.", shared=True
    )
    for n in range(30):
        await workspace.admin.create_contact(f"Cliente Paging {n:02d}", phone=f"+39 02 5550{n:03d}")
    ui = await start(workspace, tmp_path)
    window = ui.window
    try:
        screen = await open_new_ticket(window)
        picker = screen.picker
        picker.search.setText("Paging")
        await wait_until(lambda: picker.model.rowCount() == 25, what="first page")
        assert picker.model.has_more
        picker.results.scrollToBottom()
        picker.model.fetchMore(picker.model.index(0).parent())
        await wait_until(lambda: picker.model.rowCount() == 30, what="second page")
        assert not picker.model.has_more

        picker.search.setText("Giulia")
        picker.new_button.click()
        form = picker.form
        assert form.isVisible()
        assert not picker.search_page.isVisible()
        assert form.name.text() == "Giulia"
        form.name.setText("Giulia Verdi-Castelnuovo di Sopra")
        form.phone.setText("12")
        form.create_button.click()
        assert "6 to 15 digits" in form.errors["phone"].text()
        form.phone.setText("+39 347 111 2233")
        form.email.setText("giulia@example")
        form.create_button.click()
        assert "not an e-mail" in form.errors["email"].text()
        form.email.setText("giulia@example.com")
        form.create_button.click()
        await wait_until(lambda: screen.contact is not None, what="contact created")
        assert screen.contact is not None
        giulia = screen.contact

        screen.change_contact()
        picker.new_button.click()
        form.name.setText("Giulia di nuovo")
        form.phone.setText("+39-347-1112233")
        form.create_button.click()
        await wait_until(form.use_existing.isVisible, what="duplicate found")
        assert (
            "Giulia Verdi-Castelnuovo di Sopra already has this phone" in form.errors["form"].text()
        )
        form.use_existing.click()
        await wait_until(lambda: screen.contact == giulia, what="existing contact used")
        await wait_until(lambda: screen.composer.reason_label.text() == "", what="may start")
        assert screen.composer.send_button.text() == "Start ticket"
        assert not screen.composer.note_button.isVisible()

        composer = screen.composer
        reply = next(c for c in ui.context.directory.canned() if c.shortcut == "saluto")
        composer._insert_reply(reply)
        assert composer.edit.toPlainText() == (
            "Buongiorno Giulia Verdi-Castelnuovo di Sopra, sono Anna."
        )
        composer.edit.insertPlainText(" 🙂")
        document = tmp_path / "preventivo.txt"
        document.write_text("Preventivo n. 7\n")
        composer.add_attachments(
            [PendingAttachment("preventivo.txt", FileKind.DOCUMENT, 16, path=document)]
        )
        composer.send()

        await wait_until(
            lambda: (
                window.current_target is NavTarget.MINE
                and window.workspace.current_ticket is not None
                and window.workspace.current_ticket.contact_id == giulia.id
            ),
            what="new ticket open in Mine",
        )
        ticket = window.workspace.current_ticket
        assert ticket is not None
        assert ticket.assignee_id == ui.context.directory.me_id
        await wait_until(
            lambda: any(
                (m := window.workspace.messages.message_at(r)) is not None
                and m.body.endswith("sono Anna. 🙂")
                for r in range(window.workspace.messages.rowCount())
            ),
            what="first message in the thread",
        )
        conversation = await workspace.admin.conversation(ticket.conversation_id)
        assert conversation.origin == "agent"
        page = await workspace.admin.messages_json(ticket.conversation_id)
        first = next(m for m in page["items"] if m["direction"] == "out")
        assert [f["name"] for f in first["files"]] == ["preventivo.txt"]
        assert screen.contact is None  # ready for the next one
        assert composer.edit.toPlainText() == ""
        await asyncio.sleep(0)
    finally:
        await ui.close()


async def test_started_ticket_opens_when_its_event_comes_after_the_answer(
    workspace: Workspace, tmp_path
) -> None:
    contact = await workspace.admin.create_contact("Ugo Tardivo", email="ugo@example.com")
    ui = await start(workspace, tmp_path)
    window = ui.window
    agent = await workspace.agent_api()
    try:
        await open_new_ticket(window)
        await ui.context.sync.stream.stop()  # the ticket's events wait until it is back
        await agent.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
        ticket, _message = await agent.create_ticket(contact.id, workspace.inbox_id, "Salve!")
        window.new_ticket.ticketStarted.emit(ticket.id)
        assert window.current_target is NavTarget.MINE
        assert window.tickets.row_of(ticket.id) == -1  # not listed yet: nothing to select
        ui.context.sync.stream.start()
        await wait_until(
            lambda: (
                window.workspace.current_ticket is not None
                and window.workspace.current_ticket.id == ticket.id
            ),
            what="the started ticket selected once listed",
        )
        assert window.workspace.right.currentIndex() == 1
    finally:
        await agent.aclose()
        await ui.close()


async def test_a_deactivated_inbox_is_said_in_words(workspace: Workspace, tmp_path) -> None:
    await workspace.admin.create_contact("Ugo Fermo", email="ugo.fermo@example.com")
    ui = await start(workspace, tmp_path)
    window = ui.window
    try:
        screen = await open_new_ticket(window)
        await choose(screen, "Fermo", "Ugo Fermo")
        screen.inbox.setCurrentIndex(screen.inbox.findData(workspace.inbox_id))
        await wait_until(lambda: screen.composer.reason_label.text() == "", what="may start")
        await workspace.admin.update_inbox(workspace.inbox_id, {"active": False})
        screen.composer.edit.setPlainText("Buongiorno")
        screen.composer.send()
        await wait_until(lambda: "deactivated" in screen.status.text(), what="refusal said")
        assert "choose another inbox" in screen.status.text()
        assert screen.composer.edit.toPlainText() == "Buongiorno"  # given back
        assert screen.contact is not None
    finally:
        await ui.close()

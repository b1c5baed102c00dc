"""Conversazioni against a real server: every origin listed, filters, a read-only thread."""

from __future__ import annotations

import pytest

from convos_desktop.models.conversation_history import ConversationColumn, origin_text
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.paged_table import ROW_ID_ROLE
from tests.desktop.ui.conftest import open_ui
from tests.e2e.conftest import Workspace, take_ticket, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


async def seeded_ui(workspace: Workspace, folder):
    """Two bot hand-offs (Anna replies in the first), a named mass campaign to two contacts."""
    api = await workspace.agent_api()
    try:
        first = await workspace.customer_says("Il pacco non arriva", "wa-1", handoff=True)
        await workspace.customer_says("Orari?", "wa-2", handoff=True)
        await take_ticket(api, first["ticket_id"])
        await api.send_message_json(
            first["conversation_id"], client_id="c-1", body="Controllo subito"
        )
        contacts = [
            (
                await workspace.admin.create_contact(
                    name, email=f"{name.split()[0].lower()}@example.com"
                )
            ).id
            for name in ("Ugo Neri", "Vera Bassi")
        ]
        await workspace.admin.request(
            "POST",
            "/campaigns",
            json={
                "kind": "mass",
                "inbox_id": workspace.inbox_id,
                "contact_ids": contacts,
                "text": "Saldi d'inverno: -30%",
                "name": "Saldi invernali",
            },
        )
        token = api.token
        assert token is not None
        ui = await open_ui(folder, workspace.server.url, token)
    finally:
        await api.aclose()
    return ui, first


async def test_every_origin_listed_filtered_and_read(workspace: Workspace, tmp_path):
    ui, first = await seeded_ui(workspace, tmp_path)
    window = ui.window
    screen = window.conversations
    try:
        window.navigate(NavTarget.CONVERSATIONS)
        await wait_until(lambda: screen.model.total == 4, what="every conversation counted")
        await screen.wait_idle()
        assert screen.count_label.text() == "4 conversations"
        header = screen.table.horizontalHeader()  # the order of the list leads
        assert header.logicalIndex(0) == ConversationColumn.LAST_ACTIVITY
        assert header.sortIndicatorSection() == ConversationColumn.LAST_ACTIVITY

        screen.origin_combo.setCurrentIndex(screen.origin_combo.findData("campaign_mass"))
        await wait_until(lambda: screen.model.total == 2, what="the campaign's conversations")
        await screen.wait_idle()
        origins = {screen.model.index(r, ConversationColumn.ORIGIN).data() for r in range(2)}
        assert origins == {origin_text("campaign_mass", "Saldi invernali")}
        assert "Saldi invernali" in origins.pop()

        screen.origin_combo.setCurrentIndex(screen.origin_combo.findData("chatbot"))
        await wait_until(lambda: screen.model.total == 2)
        await screen.wait_idle()
        row = next(
            r
            for r in range(2)
            if screen.model.index(r, 0).data(ROW_ID_ROLE) == first["conversation_id"]
        )
        screen.table.setCurrentIndex(screen.model.index(row, 0))
        await wait_until(lambda: screen.thread_model.rowCount() >= 3, what="the thread")
        thread = screen.thread_model
        bodies = [thread.message_at(r).body for r in range(thread.rowCount())]
        assert "Il pacco non arriva" in bodies
        assert "Controllo subito" in bodies
        assert screen.open_ticket_button.isVisibleTo(screen)
        menu = screen.chat.build_context_menu(screen.thread_model.message_at(0))
        assert [a.text() for a in menu.actions()] == ["Copy text"]  # read only: no reply

        screen.open_ticket()
        await wait_until(lambda: window.current_target == NavTarget.ALL)
        await wait_until(
            lambda: (
                window.workspace.current_ticket is not None
                and window.workspace.current_ticket.id == first["ticket_id"]
            )
        )
    finally:
        await ui.close()


async def test_the_conversation_model_pages_and_names(qtmodeltester, directory):
    from convos_desktop.core.types import (
        Conversation,
        ConversationQuery,
        CountedPage,
    )
    from convos_desktop.models.conversation_history import ConversationHistoryModel
    from convos_desktop.ui.tasks import TaskRunner
    from tests.desktop.ui.conftest import BASE_TIME, make_contact, make_message

    conversations = [
        Conversation(n, n, 1, "campaign_transactional", BASE_TIME, BASE_TIME, None, "Ordini",
                     make_message(n, body="Il tuo ordine\n è partito"))
        for n in range(1, 4)
    ]  # fmt: skip

    async def fetch(query: ConversationQuery, cursor: str | None, limit: int):
        start = int(cursor or 0)
        items = tuple(conversations[start : start + limit])
        more = start + limit < len(conversations)
        contacts = tuple(make_contact(c.contact_id, f"Cliente {c.contact_id}") for c in items)
        return CountedPage(
            items, contacts, str(start + limit) if more else None, None if cursor else 3
        )

    tasks = TaskRunner()
    model = ConversationHistoryModel(fetch, tasks.run, directory, page_size=2)
    model.set_query(ConversationQuery())
    await tasks.wait_idle()
    model.fetchMore()
    await tasks.wait_idle()
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    assert model.index(0, ConversationColumn.CONTACT).data() == "Cliente 1"
    assert model.index(0, ConversationColumn.LAST_MESSAGE).data() == "Il tuo ordine è partito"
    assert model.index(0, ConversationColumn.ORIGIN).data() == origin_text(
        "campaign_transactional", "Ordini"
    )

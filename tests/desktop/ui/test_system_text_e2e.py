"""No Italian screen shows an English sentence written by the server: a real server writes a
conversation with every kind of system line and activity, the chat view and the contact dock
show them in Italian (and in English, in the client's own words), with today's agent names."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QDate, QLocale, QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from convos_desktop.core.api import ApiClient
from convos_desktop.core.types import Activity, Contact, Direction, Message, Screen, Status
from convos_desktop.models.directory import Directory
from convos_desktop.models.thread import ThreadModel
from convos_desktop.ui.chat.chat_view import ChatView
from convos_desktop.ui.chat.message_delegate import MessageDelegate
from convos_desktop.ui.contacts.contact_dock import ContactDock
from convos_desktop.ui.i18n import install_translators
from convos_desktop.ui.system_text import SystemWording
from tests.desktop.ui.conftest import ListHistory
from tests.e2e.conftest import PASSWORD, create_agent, update_agent

BRUNO_EMAIL = "bruno@example.com"
CUSTOM = {"tier": "gold", "x_code": "7", "vip": "true", "customer_since": "2021-03-15"}
# The offscreen platform cannot size a floating dock's window (harmless).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def views_freed_on_the_gui_thread():
    yield
    gc.collect()


@dataclass
class Story:
    """What the server wrote, as the client receives it."""

    messages: list[Message]
    activities: list[Activity]
    contact: Contact
    admin: ApiClient
    bruno_id: int


async def every_kind(workspace) -> Story:
    """Hand-off, take, unassign, admin assigns to Bruno, Bruno closes, Anna reactivates, Anna
    edits the contact: every kind of system line and activity, written by the real server."""
    admin = workspace.admin
    bruno = await create_agent(admin, "Bruno Esposito", BRUNO_EMAIL, PASSWORD)
    await update_agent(admin, bruno.id, {"team_ids": [workspace.team_id]})
    anna = await workspace.agent_api()
    bruno_api = ApiClient(workspace.server.url)
    await bruno_api.login(BRUNO_EMAIL, PASSWORD)
    try:
        for api in (anna, bruno_api, admin):
            await api.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
        sent = await workspace.customer_says("Buongiorno, il mio ordine?", handoff=True)
        ticket_id = sent["ticket_id"]
        await anna.assign(ticket_id)
        await anna.unassign(ticket_id)
        await admin.assign(ticket_id, bruno.id)
        await bruno_api.close_ticket(ticket_id)
        await anna.reopen_ticket(ticket_id)
        contact_id = sent["message"]["sender_id"]
        contact = await anna.update_contact(
            contact_id, {"email": "mario@example.it", "custom": CUSTOM}
        )
        page = await anna.messages(sent["conversation_id"], limit=100)
        activities = await anna.contact_activities(contact_id)
    finally:
        await anna.aclose()
        await bruno_api.aclose()
    return Story(list(page.items), activities, contact, admin, bruno.id)


def shown_chat_texts(view: ChatView, model: ThreadModel, delegate: MessageDelegate) -> list[str]:
    """The text each system row paints (from its layout) and its display/accessible texts."""
    texts = []
    option = QStyleOptionViewItem()
    option.font = view.font()
    for row in range(model.rowCount()):
        index = model.index(row)
        message = model.message_at(row)
        if message is None or message.direction is not Direction.SYSTEM:
            continue
        option.rect = QRect(0, 0, view.viewport().width(), 0)
        layout = delegate.row_layout(option, index)
        assert layout is not None
        assert layout.text_layout is not None
        texts.append(layout.text_layout.text())
        texts.append(index.data(Qt.ItemDataRole.DisplayRole))
        texts.append(index.data(Qt.ItemDataRole.AccessibleTextRole))
    return texts


def shown_field_values(dock: ContactDock) -> dict[str, str]:
    form = dock.summary_form
    return {
        form.itemAt(row, form.ItemRole.LabelRole).widget().text(): form.itemAt(
            row, form.ItemRole.FieldRole
        )
        .widget()
        .text()
        for row in range(form.rowCount())
    }


def shown_feed_texts(dock: ContactDock) -> list[str]:
    model = dock.activity_model
    return [model.index(r).data().split("\n")[0] for r in range(model.rowCount())]


def show_both(qtbot, story: Story, directory: Directory, size: QSize):
    wording = SystemWording(directory)
    model = ThreadModel(ListHistory(story.messages), shown_text=wording.message_text)
    delegate = MessageDelegate(wording=wording)
    view = ChatView(model, delegate)
    qtbot.addWidget(view)
    view.resize(size)
    view.show()
    model.open(story.messages[0].conversation_id, story.messages, has_older=False)
    dock = ContactDock(wording=wording)
    qtbot.addWidget(dock)
    dock.resize(340, size.height())
    dock.set_contact(story.contact, (), story.activities)
    dock.show()
    return view, model, delegate, dock


async def test_italian_screens_show_no_english_sentence_of_the_server(
    qtbot, workspace, tmp_path: Path
) -> None:
    story = await every_kind(workspace)
    server_english = {m.body for m in story.messages if m.direction is Direction.SYSTEM}
    server_english |= {a.text for a in story.activities}
    kinds = {m.system.kind for m in story.messages if m.system is not None}
    kinds |= {a.kind for a in story.activities}
    assert kinds == {
        "ticket.opened",
        "ticket.assigned",
        "ticket.unassigned",
        "ticket.closed",
        "ticket.reopened",
        "contact.edited",
    }
    directory = Directory()
    directory.set_agents(await story.admin.agents())
    app = QApplication.instance()
    assert isinstance(app, QCoreApplication)
    install_translators(app, "it")

    view, model, delegate, dock = show_both(qtbot, story, directory, QSize(900, 700))
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() >= 0)
    chat = shown_chat_texts(view, model, delegate)
    feed = shown_feed_texts(dock)
    view.grab().save(str(tmp_path / "chat_it.png"))
    dock.grab().save(str(tmp_path / "dock_it.png"))

    assert not (set(chat) | set(feed)) & server_english
    assert not [text for text in chat + feed if "Ticket assigned" in text or " by " in text]
    assert "Anna ha preso in carico il ticket" in chat
    assert "Ticket rimesso in Non assegnato da Anna" in chat
    assert "Ticket assegnato a Bruno Esposito da admin@example.com" in chat
    assert "Ticket finalizzato da Bruno Esposito" in chat
    assert "Ticket riattivato da Anna" in chat
    assert feed[0] == "Profilo modificato da Anna: email e campi personalizzati"
    assert feed[-1] == "Ticket aperto: passato dal bot"
    labels = [
        dock.summary_form.itemAt(row, dock.summary_form.ItemRole.LabelRole).widget().text()
        for row in range(dock.summary_form.rowCount())
    ]
    assert "Livello" in labels  # a known key, in Italian
    assert "x_code" in labels  # an unknown key, as it is
    values = shown_field_values(dock)
    assert values["vip"] == "Sì"  # a yes/no value in Italian
    assert values["Cliente dal"] == QLocale().toString(QDate(2021, 3, 15), QLocale.ShortFormat)
    assert values["Cliente dal"] != "2021-03-15"
    assert (values["x_code"], values["Livello"]) == ("7", "gold")  # other values as they are

    # A renamed agent shows the new name at the next paint, in the chat and in the feed.
    await update_agent(story.admin, story.bruno_id, {"name": "Bruno Russo"})
    directory.set_agents(await story.admin.agents())
    chat = shown_chat_texts(view, model, delegate)
    assert "Ticket finalizzato da Bruno Russo" in chat
    assert not [text for text in chat if "Bruno Esposito" in text]

"""Issue 10 (item 8): the small things an agent sees during a shift."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from convos_desktop.core.types import Inbox, View
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.ticket_list import TicketRole
from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.workspace.workspace import LIST_MIN_WIDTH
from tests.desktop.ui.conftest import make_message
from tests.desktop.ui.workday import close_window, populate, quiet, tickets_changed, window_context
from tests.fakes import FakeClock

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    context = window_context(tmp_path, FakeClock())
    main = MainWindow(context)
    main.show()
    populate(context, main)
    await quiet()
    yield main
    await close_window(context, main)


async def test_the_open_ticket_never_shows_the_unread_dot(window: MainWindow) -> None:
    space = window.workspace
    ticket = space.current_ticket
    assert ticket is not None
    row = window.tickets.row_of(ticket.id)
    assert not window.tickets.index(row).data(TicketRole.UNREAD)
    newer = dataclasses.replace(
        ticket, last_message=make_message(ticket.conversation_id, id=99_999, body="Ci siete?")
    )
    space.ticket_view.parentWidget()  # the list is on screen
    tickets_changed(window._context, [newer])
    row = window.tickets.row_of(ticket.id)
    assert not window.tickets.index(row).data(TicketRole.UNREAD)
    other = window.tickets.index(window.tickets.row_of(2))
    assert other.data(TicketRole.UNREAD)  # the others keep theirs


async def test_a_closed_contact_card_comes_back_from_the_header(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    dock, toggle = window.contact_dock, window.contact_toggle
    assert dock.isVisible()
    assert toggle.isChecked()
    assert toggle.shortcut().toString() == "Ctrl+Shift+I"
    dock.close()  # the dock's own close button
    assert not toggle.isChecked()
    window.navigate(NavTarget.CONVERSATIONS)
    window.navigate(NavTarget.ALL)
    assert not dock.isVisible()  # the agent's choice holds across screens
    toggle.trigger()  # the header button (or Ctrl+Shift+I)
    assert dock.isVisible()
    window.navigate(NavTarget.CONVERSATIONS)
    assert not dock.isVisible()
    assert not toggle.isEnabled()  # no card on a screen without a conversation
    window.navigate(NavTarget.MINE)
    assert dock.isVisible()
    buttons = [w for w in window.findChildren(QToolButton) if w.defaultAction() is toggle]
    assert buttons
    assert buttons[0].isVisible()
    assert window.grab().save(str(tmp_path / "toggle.png"))


async def test_an_empty_list_says_why_in_its_views_words_under_its_title(
    window: MainWindow,
) -> None:
    space = window.workspace
    window.navigate(NavTarget.SNOOZED)
    await quiet()
    assert window.tickets.rowCount() == 0
    assert space.empty_list.isVisible()
    assert space.empty_list.text() == "No snoozed tickets."
    title = space.list_title.mapTo(window, space.list_title.rect().topLeft())
    panel = space.list_title.parentWidget().mapTo(
        window, space.list_title.parentWidget().rect().topLeft()
    )
    assert title.y() - panel.y() < 10  # the title stays on top; the message takes the room
    assert space.empty_list.height() > space.height() // 2
    space.set_view(View.SNOOZED, "Posticipati", inbox_id=1)
    assert space.empty_list.text() == "No snoozed tickets in WhatsApp Vendite Nord-Est."
    long_name = "Assistenza Clienti Premium Lombardia, Piemonte e Valle d'Aosta"
    window._context.directory.set_inboxes([Inbox(1, long_name, "whatsapp", 1, "manual", None)])
    space.set_view(View.SNOOZED, "Posticipati")
    space.set_view(View.SNOOZED, "Posticipati", inbox_id=1)
    assert long_name in space.empty_list.text()
    assert space.empty_list.minimumSizeHint().width() <= LIST_MIN_WIDTH  # wraps, never widens
    space.set_view(View.ALL, "Tutto")
    assert not space.empty_list.isVisible()


async def test_no_mentions_keeps_the_title_and_hint_on_top(window: MainWindow) -> None:
    window.navigate(NavTarget.MENTIONS)
    await quiet()
    screen = window.mentions
    assert screen is not None
    assert screen.empty.isVisible()
    assert screen.hint.geometry().bottom() < 100  # right under the title, not spread down
    assert screen.empty.height() > screen.height() // 2

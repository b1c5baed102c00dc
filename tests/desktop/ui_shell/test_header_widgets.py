"""The header's presence selector and connection line, and the chat header's ticket actions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from convos_desktop.core.types import Agent, ConnectionState, Status, Ticket
from convos_desktop.ui.chat import chat_header as chat_header_module
from convos_desktop.ui.chat.chat_header import ChatHeader
from convos_desktop.ui.shell.header_bar import HeaderBar
from convos_desktop.ui.workspace.ticket_actions import TicketAction

OPENED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ME_ID = 1
ME = Agent(ME_ID, "Anna Rossi", "anna@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)
ADMIN = dataclasses.replace(ME, role="admin")
OTHER_ID = 2
LONG_NAME = "Maria Antonietta Bartolomei-Castiglioni della Gherardesca di Montalcino"


def ticket(status: str = "open", assignee_id: int | None = None) -> Ticket:
    return Ticket(7, 3, 1, 5, status, assignee_id, OPENED, None, None, None, None, 0, OPENED)


@pytest.fixture
def header(qtbot, tmp_path: Path) -> HeaderBar:
    widget = HeaderBar(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(widget)
    widget.set_agent_name("Giulia Demo")
    widget.resize(1280, widget.sizeHint().height())
    widget.show()
    return widget


def test_choosing_a_status_emits_it(qtbot, header):
    header.set_chosen(Status.ONLINE)
    with qtbot.waitSignal(header.statusChosen) as chosen:
        QTest.keyClick(header.status_combo, Qt.Key.Key_Down)  # the agent picks "Busy"
    assert chosen.args == [Status.BUSY]
    assert header.chosen_status() is Status.BUSY


def test_setting_the_chosen_status_from_the_server_does_not_echo(qtbot, header):
    with qtbot.assertNotEmitted(header.statusChosen):
        header.set_chosen(Status.UNAVAILABLE)
    assert header.status_combo.currentText() == "Unavailable"


def test_effective_status_differing_from_the_choice_is_shown_and_explained(header, shoot):
    header.set_chosen(Status.ONLINE)
    header.set_effective(Status.UNAVAILABLE)
    assert "Unavailable" in header.effective_label.text()
    assert "conversation screens" in header.effective_label.toolTip()
    shoot(header, "header_effective_unavailable")
    header.set_effective(Status.ONLINE)
    assert header.effective_label.text() == ""
    assert header.effective_label.toolTip() == ""


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (ConnectionState.CONNECTED, "Connected"),
        (ConnectionState.CONNECTING, "Connecting…"),
        (ConnectionState.RECONNECTING, "Reconnecting…"),
        (ConnectionState.OFFLINE, "Offline: showing cached data"),
    ],
)
def test_connection_states_are_named(header, state, text):
    header.set_connection(state)
    assert header.connection.text() == text


@pytest.fixture
def chat_header(qtbot) -> ChatHeader:
    widget = ChatHeader()
    qtbot.addWidget(widget)
    widget.set_status(Status.ONLINE)
    widget.resize(900, widget.sizeHint().height())
    widget.show()
    return widget


def test_actions_follow_the_ticket_and_emit(qtbot, chat_header, shoot):
    chat_header.set_ticket(ticket(), LONG_NAME, "WhatsApp · Unassigned", ME)
    assert set(chat_header.visible_actions()) == {
        TicketAction.ASSIGN,
        TicketAction.CLOSE,
        TicketAction.SNOOZE,
    }
    with qtbot.waitSignal(chat_header.actionRequested) as requested:
        chat_header.buttons[TicketAction.ASSIGN].click()
    assert requested.args == [TicketAction.ASSIGN, False]
    chat_header.set_ticket(ticket(assignee_id=ME_ID), LONG_NAME, "WhatsApp · Mine", ME)
    assert set(chat_header.visible_actions()) == {
        TicketAction.UNASSIGN,
        TicketAction.CLOSE,
        TicketAction.SNOOZE,
    }
    chat_header.set_ticket(ticket("closed", ME_ID), LONG_NAME, "WhatsApp · Closed", ME)
    assert chat_header.visible_actions() == [TicketAction.REOPEN]
    shoot(chat_header, "chat_header_closed")


def test_someone_elses_ticket_is_explained_to_an_agent(qtbot, chat_header):
    chat_header.set_ticket(ticket(assignee_id=OTHER_ID), "Anna", "WhatsApp", ME, "Marco")
    shown = chat_header.visible_actions()
    assert set(shown) == {
        TicketAction.ASSIGN,
        TicketAction.UNASSIGN,
        TicketAction.CLOSE,
        TicketAction.SNOOZE,
    }
    assert not any(chat_header.buttons[action].isEnabled() for action in shown)
    assert "Marco" in chat_header.buttons[TicketAction.ASSIGN].toolTip()
    assert "only an admin" in chat_header.reason.text()
    with qtbot.assertNotEmitted(chat_header.actionRequested):
        chat_header.buttons[TicketAction.ASSIGN].click()


def test_an_admin_takes_over_with_force(qtbot, chat_header):
    chat_header.set_ticket(ticket(assignee_id=OTHER_ID), "Anna", "WhatsApp", ADMIN, "Marco")
    button = chat_header.buttons[TicketAction.ASSIGN]
    assert button.isEnabled()
    assert "Take the ticket over from Marco" in button.toolTip()
    assert not chat_header.reason.isVisibleTo(chat_header)
    with qtbot.waitSignal(chat_header.actionRequested) as requested:
        button.click()
    assert requested.args == [TicketAction.ASSIGN, True]


def test_shortcuts_trigger_and_are_shown_in_tooltips(qtbot, chat_header):
    chat_header.set_ticket(ticket(assignee_id=ME_ID), "Anna", "WhatsApp", ME)
    chat_header.activateWindow()
    chat_header.buttons[TicketAction.CLOSE].setFocus()
    assert "Ctrl+Shift+F" in chat_header.buttons[TicketAction.CLOSE].toolTip()
    with qtbot.waitSignal(chat_header.actionRequested) as requested:
        QTest.keyClick(
            chat_header.buttons[TicketAction.CLOSE],
            Qt.Key.Key_F,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert requested.args == [TicketAction.CLOSE, False]


def test_unavailable_disables_with_the_reason_visible(chat_header, shoot):
    chat_header.set_ticket(ticket(), LONG_NAME, "WhatsApp · Unassigned", ME)
    chat_header.set_status(Status.UNAVAILABLE)
    assert chat_header.visible_actions()
    for action in chat_header.visible_actions():
        assert not chat_header.buttons[action].isEnabled()
        assert "Unavailable" in chat_header.buttons[action].toolTip()
    assert "Unavailable" in chat_header.reason.text()
    assert chat_header.reason.isVisibleTo(chat_header)
    shoot(chat_header, "chat_header_unavailable")


def test_long_names_are_elided_with_the_full_text_in_a_tooltip(chat_header):
    details = "WhatsApp  ·  #7  ·  Open  ·  " + LONG_NAME
    chat_header.set_ticket(ticket(), LONG_NAME, details, ME)
    chat_header.resize(500, chat_header.sizeHint().height())
    assert chat_header.title.is_elided()
    assert chat_header.title.toolTip() == LONG_NAME
    assert chat_header.subtitle.toolTip() == details
    assert chat_header.title.width() <= chat_header.width()
    chat_header.set_ticket(ticket(), "Anna", "WhatsApp", ME)
    assert chat_header.title.toolTip() == ""


def test_a_status_or_sibling_told_again_unchanged_keeps_the_actions_as_they_are(
    chat_header, monkeypatch
):
    """The pane and the contact dock tell both on every switch (issue 16): only a change
    recomputes and restyles the actions."""
    chat_header.set_ticket(ticket("closed"), LONG_NAME, "WhatsApp · Closed", ME)
    worded: list[object] = []
    real = chat_header_module.available_actions

    def counted(*args: object) -> object:
        worded.append(args)
        return real(*args)

    monkeypatch.setattr(chat_header_module, "available_actions", counted)
    chat_header.set_status(Status.ONLINE)
    chat_header.set_open_sibling(None)
    assert worded == []
    assert chat_header.action_state(TicketAction.REOPEN) is not None
    chat_header.set_open_sibling(9)  # another open ticket of the contact: no Reactivate
    chat_header.set_status(Status.BUSY)
    assert len(worded) == 2
    state = chat_header.action_state(TicketAction.REOPEN)
    assert state is None or not state.enabled

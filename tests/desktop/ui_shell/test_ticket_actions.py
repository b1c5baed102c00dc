"""The truth table of ``available_actions``: the same rules as the server's."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from convos_desktop.core.types import Agent, Status, Ticket
from convos_desktop.ui.workspace.ticket_actions import ActionState, TicketAction, available_actions

A, U, C, R = TicketAction.ASSIGN, TicketAction.UNASSIGN, TicketAction.CLOSE, TicketAction.REOPEN
S, W = TicketAction.SNOOZE, TicketAction.UNSNOOZE
ME = Agent(1, "Anna Rossi", "anna@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)
ADMIN = dataclasses.replace(ME, role="admin")
OTHER_ID = 2
UNAVAILABLE = "You are Unavailable: set yourself Online to act on tickets"


def ticket(status: str = "open", assignee_id: int | None = None) -> Ticket:
    opened = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    return Ticket(7, 3, 1, 5, status, assignee_id, opened, None, None, None, None, 0, opened)


def enabled(actions: dict[TicketAction, ActionState]) -> set[TicketAction]:
    return {action for action, state in actions.items() if state.enabled}


@pytest.mark.parametrize(
    ("me", "status", "assignee", "offered", "allowed"),
    [
        # unassigned: take it, or finalize it straight away
        (ME, "open", None, {A, C, S}, {A, C, S}),
        (ADMIN, "open", None, {A, C, S}, {A, C, S}),
        # mine: give it back, finalize or snooze
        (ME, "open", ME.id, {U, C, S}, {U, C, S}),
        # someone else's: an agent sees why not, an admin may take over
        (ME, "open", OTHER_ID, {A, U, C, S}, set()),
        (ADMIN, "open", OTHER_ID, {A, U, C, S}, {A, U, C, S}),
        # closed: only Reactivate, whoever held it
        (ME, "closed", None, {R}, {R}),
        (ME, "closed", OTHER_ID, {R}, {R}),
        (ADMIN, "closed", ME.id, {R}, {R}),
    ],
)
@pytest.mark.parametrize("my_status", [Status.ONLINE, Status.BUSY])
def test_working_agent(me, status, assignee, offered, allowed, my_status):
    actions = available_actions(ticket(status, assignee), me, my_status, "Marco Bianchi")
    assert set(actions) == offered
    assert enabled(actions) == allowed
    for action in offered - allowed:
        assert actions[action].reason, f"{action} is disabled without a reason"


@pytest.mark.parametrize("me", [ME, ADMIN])
@pytest.mark.parametrize(("status", "assignee"), [("open", None), ("open", 1), ("closed", None)])
def test_an_unavailable_agent_sees_everything_disabled_with_the_reason(me, status, assignee):
    actions = available_actions(ticket(status, assignee), me, Status.UNAVAILABLE)
    assert actions
    assert all(state == ActionState(False, UNAVAILABLE) for state in actions.values())


def test_reasons_name_the_holder_and_take_over_is_forced():
    held = ticket("open", OTHER_ID)
    agent_view = available_actions(held, ME, Status.ONLINE, "Marco Bianchi")
    assert agent_view[A].reason == "Assigned to Marco Bianchi: only an admin can take it over"
    assert not agent_view[A].force
    admin_view = available_actions(held, ADMIN, Status.ONLINE, "Marco Bianchi")
    assert admin_view[A] == ActionState(True, "Take the ticket over from Marco Bianchi", True)
    assert not admin_view[C].force
    anonymous = available_actions(held, ME, Status.ONLINE)
    assert "someone else" in anonymous[A].reason


def test_no_ticket_offers_nothing():
    assert available_actions(None, ME, Status.ONLINE) == {}


def test_a_closed_ticket_is_not_reactivated_while_its_contact_has_another_open():
    closed = ticket("closed", ME.id)
    blocked = available_actions(closed, ME, Status.ONLINE, open_sibling_id=9)
    assert blocked[R].enabled is False
    assert "#9" in blocked[R].reason
    assert available_actions(closed, ME, Status.ONLINE, open_sibling_id=None)[R].enabled


@pytest.mark.parametrize(("me", "assignee", "allowed"), [(ME, ME.id, True), (ME, OTHER_ID, False)])
def test_a_snoozed_ticket_offers_wake_up_instead_of_snooze(me, assignee, allowed):
    snoozed = dataclasses.replace(ticket("open", assignee), snoozed=True)
    actions = available_actions(snoozed, me, Status.ONLINE)
    assert S not in actions
    assert actions[W].enabled is allowed

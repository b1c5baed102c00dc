"""Notifications: only new Unassigned tickets ring; Mine messages tell while not active."""

from __future__ import annotations

import datetime as dt

import pytest

from convos_desktop.core.types import (
    Contact,
    Direction,
    Message,
    MessagesChanged,
    Ticket,
    TicketsChanged,
)
from convos_desktop.ui.shell.notifications import SEEN_IDS_LIMIT, Notifier, SeenIds, preview
from convos_desktop.ui.shell.tray import Tray
from tests.desktop.app.conftest import RecordingTrayIcon

ME = 1
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BEFORE = START - dt.timedelta(minutes=5)
AFTER = START + dt.timedelta(minutes=5)
CONTACT = Contact(7, "Giulia Verdi", None, None, None, {}, BEFORE, BEFORE)


def ticket(ticket_id: int, opened: dt.datetime, assignee: int | None = None) -> Ticket:
    return Ticket(
        ticket_id,
        ticket_id,
        1,
        CONTACT.id,
        "open",
        assignee,
        opened,
        None,
        None,
        None,
        None,
        0,
        opened,
    )


def message(message_id: int, ticket_id: int, at: dt.datetime, direction=Direction.IN) -> Message:
    return Message(
        message_id,
        ticket_id,
        ticket_id,
        None,
        direction,
        "contact",
        None,
        "Giulia",
        "Ciao!",
        None,
        None,
        (),
        (),
        at,
    )


class Harness:
    """A notifier with its questions answered by plain attributes."""

    def __init__(self) -> None:
        self.sound = True
        self.active = False
        self.beeps = 0
        self.tickets: dict[int, Ticket] = {}
        self.icon = RecordingTrayIcon()
        self.notifier = Notifier(
            me_id=lambda: ME,
            ticket=self.tickets.get,
            contact=lambda contact_id: CONTACT if contact_id == CONTACT.id else None,
            sound_enabled=lambda: self.sound,
            window_active=lambda: self.active,
            beep=self._beep,
            started_at=START,
        )
        self.notifier.tray = Tray(self.icon)

    def _beep(self) -> None:
        self.beeps += 1


@pytest.fixture
def harness(qapp) -> Harness:
    return Harness()


def test_the_initial_snapshot_never_rings(harness: Harness) -> None:
    harness.notifier.on_tickets_changed(TicketsChanged(upserted=(ticket(1, BEFORE),)))
    assert harness.beeps == 0
    assert harness.icon.messages == []


def test_a_new_unassigned_ticket_rings_once(harness: Harness) -> None:
    change = TicketsChanged(upserted=(ticket(2, AFTER),))
    harness.notifier.on_tickets_changed(change)
    harness.notifier.on_tickets_changed(change)  # an update of the same ticket
    assert harness.beeps == 1
    assert len(harness.icon.messages) == 1
    assert "Giulia Verdi" in harness.icon.messages[0][1]


def test_sound_off_still_tells(harness: Harness) -> None:
    harness.sound = False
    harness.notifier.on_tickets_changed(TicketsChanged(upserted=(ticket(3, AFTER),)))
    assert harness.beeps == 0
    assert len(harness.icon.messages) == 1


def test_a_ticket_taken_by_someone_is_not_unassigned(harness: Harness) -> None:
    harness.notifier.on_tickets_changed(TicketsChanged(upserted=(ticket(4, AFTER, 2),)))
    assert harness.beeps == 0


def test_a_customer_message_in_mine_tells_only_when_inactive(harness: Harness) -> None:
    harness.tickets[5] = ticket(5, BEFORE, ME)
    harness.active = True
    harness.notifier.on_messages_changed(MessagesChanged(5, (message(50, 5, AFTER),)))
    assert harness.icon.messages == []
    harness.active = False
    harness.notifier.on_messages_changed(MessagesChanged(5, (message(51, 5, AFTER),)))
    harness.notifier.on_messages_changed(MessagesChanged(5, (message(51, 5, AFTER),)))
    assert harness.icon.messages == [("Message from Giulia Verdi", "Ciao!")]


def test_old_outgoing_or_other_agents_messages_do_not_tell(harness: Harness) -> None:
    harness.tickets[6] = ticket(6, BEFORE, ME)
    harness.tickets[8] = ticket(8, BEFORE, 2)
    harness.notifier.on_messages_changed(MessagesChanged(6, (message(60, 6, BEFORE),)))
    harness.notifier.on_messages_changed(
        MessagesChanged(6, (message(61, 6, AFTER, Direction.OUT),))
    )
    harness.notifier.on_messages_changed(MessagesChanged(8, (message(80, 8, AFTER),)))
    assert harness.icon.messages == []


def test_preview_is_one_short_line() -> None:
    assert preview("a\n  b") == "a b"
    assert len(preview("x" * 500)) == 120


def test_seen_ids_forget_the_older_half_behind_a_floor() -> None:
    seen = SeenIds(limit=100)
    assert all(seen.add(item_id) for item_id in range(1, 1001))
    assert len(seen) <= 100
    assert not seen.add(5)  # below the floor: counts as seen
    assert not seen.add(1000)
    assert seen.add(1001)


def test_a_long_run_of_messages_is_remembered_in_bounded_memory(harness: Harness) -> None:
    harness.tickets[5] = ticket(5, BEFORE, ME)
    harness.active = True
    for message_id in range(1, 3 * SEEN_IDS_LIMIT):
        harness.notifier.on_messages_changed(MessagesChanged(5, (message(message_id, 5, AFTER),)))
    assert len(harness.notifier._seen_messages) <= SEEN_IDS_LIMIT
    harness.active = False
    harness.notifier.on_messages_changed(MessagesChanged(5, (message(7, 5, AFTER),)))  # a reaction
    assert harness.icon.messages == []
    harness.notifier.on_messages_changed(
        MessagesChanged(5, (message(3 * SEEN_IDS_LIMIT, 5, AFTER),))
    )
    assert len(harness.icon.messages) == 1

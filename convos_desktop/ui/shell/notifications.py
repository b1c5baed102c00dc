"""Notifications: a sound and a tray message for new work, decided from sync's changes.

- A ticket that arrives in **Unassigned**: a sound (when the header's toggle is on) and a
  tray message.
- A new customer message in a ticket of **Mine** while the window is not active: a tray
  message.
- A snoozed ticket that comes back (its time, or the customer wrote), to the agent who snoozed
  it or holds it: a sound and a tray message.
- A colleague's note that mentions the agent (``@name``): a sound and a tray message.

"New" means not seen before by this run *and* opened (or written) after the app started, so
the cached inbox and the first bootstrap never ring. The sound is the window's
``NotificationSound.play`` (``ui/shell/sound.py``: QSoundEffect, silent without an audio device).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject

from convos_desktop.core.mentions import Mention
from convos_desktop.core.store import ticket_in_view
from convos_desktop.core.types import (
    Contact,
    Direction,
    MessagesChanged,
    Ticket,
    TicketsChanged,
    TicketWoke,
    View,
)
from convos_desktop.ui.shell.tray import Tray

log = logging.getLogger("convos.notifications")

PREVIEW_CHARS = 120
SEEN_IDS_LIMIT = 4096  # ids remembered one by one; older ones are covered by the floor


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class SeenIds:
    """Ids already handled, in bounded memory (a run lasts a working day or more).

    Server ids grow with time, so past ``limit`` ids the older half is forgotten one by one
    and covered by a floor instead: every id up to it counts as seen.
    """

    def __init__(self, limit: int = SEEN_IDS_LIMIT) -> None:
        self._limit = limit
        self._ids: set[int] = set()
        self._floor = 0

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, item_id: int) -> bool:
        """Remember ``item_id``; whether it was not seen before."""
        if item_id <= self._floor or item_id in self._ids:
            return False
        self._ids.add(item_id)
        if len(self._ids) > self._limit:
            ordered = sorted(self._ids)
            kept = len(ordered) // 2
            self._floor = ordered[-kept - 1]
            self._ids = set(ordered[-kept:])
        return True


class Notifier(QObject):
    """Feed it sync's ``tickets_changed`` and ``messages_changed``; it rings and shows.

    Collaborators are passed in: ``me_id`` and ``contact`` look-ups, ``sound_enabled`` and
    ``window_active`` questions, the ``beep`` and the start time. ``tray`` is set when the
    system has one (no tray: only the sound).
    """

    def __init__(
        self,
        *,
        me_id: Callable[[], int | None],
        ticket: Callable[[int], Ticket | None],
        contact: Callable[[int], Contact | None],
        sound_enabled: Callable[[], bool],
        window_active: Callable[[], bool],
        beep: Callable[[], object],
        started_at: dt.datetime,
        agent_name: Callable[[int], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._me_id = me_id
        self._ticket = ticket
        self._contact = contact
        self._sound_enabled = sound_enabled
        self._window_active = window_active
        self._beep = beep
        self._started_at = started_at
        self._agent_name = agent_name or (lambda _agent_id: "")
        self._seen_unassigned = SeenIds()
        self._seen_messages = SeenIds()
        self.tray: Tray | None = None

    def _contact_name(self, ticket: Ticket) -> str:
        contact = self._contact(ticket.contact_id)
        return contact.name if contact is not None else self.tr("a customer")

    def on_tickets_changed(self, change: TicketsChanged) -> None:
        """Ring and tell for tickets that just arrived in Unassigned."""
        me_id = self._me_id()
        fresh = [
            ticket
            for ticket in change.upserted
            if ticket.opened_at >= self._started_at  # the cached inbox stops here, cheaply
            and ticket_in_view(ticket, View.UNASSIGNED, me_id)
            and self._seen_unassigned.add(ticket.id)
        ]
        if not fresh:
            return
        log.info("new unassigned tickets: %s", [t.id for t in fresh])
        if self._sound_enabled():
            self._beep()
        if self.tray is not None:
            if len(fresh) == 1:
                text = self.tr("%1 is waiting in Unassigned.").replace(
                    "%1", self._contact_name(fresh[0])
                )
            else:
                text = self.tr("%n new tickets are waiting in Unassigned.", "", len(fresh))
            one = fresh[0].id if len(fresh) == 1 else None
            self.tray.show_message(self.tr("New ticket"), text, one)

    def on_ticket_woke(self, woke: TicketWoke) -> None:
        """Tell the agent who snoozed a ticket (or holds it) that it is back."""
        me_id = self._me_id()
        ticket = woke.ticket
        if me_id is None or me_id not in (woke.snoozed_by, ticket.assignee_id):
            return
        if woke.reason == "agent" and woke.snoozed_by == me_id:
            return  # woken by hand: nothing to announce
        log.info("ticket %s woke (%s)", ticket.id, woke.reason)
        if self._sound_enabled():
            self._beep()
        if self.tray is not None:
            name = self._contact_name(ticket)
            if woke.reason == "reply":
                text = self.tr("%1 replied: the snoozed ticket is back.").replace("%1", name)
            else:
                text = self.tr("The ticket of %1 is back from snooze.").replace("%1", name)
            self.tray.show_message(self.tr("Ticket back"), text, ticket.id)

    def on_messages_changed(self, change: MessagesChanged) -> None:
        """Tell about new customer messages in Mine while the window is not active."""
        for message in change.upserted:
            if message.id <= 0 or not self._seen_messages.add(message.id):
                continue
            if message.direction is not Direction.IN or message.created_at < self._started_at:
                continue
            if self.tray is None or self._window_active():
                continue
            ticket = self._ticket(message.ticket_id) if message.ticket_id is not None else None
            if ticket is None or not ticket_in_view(ticket, View.MINE, self._me_id()):
                continue
            body = preview(message.body) or self.tr("(attachment)")
            title = self.tr("Message from %1").replace("%1", self._contact_name(ticket))
            self.tray.show_message(title, body, ticket.id)

    def on_mentioned(self, mention: Mention) -> None:
        """A colleague named the agent in a note: a sound and a tray message."""
        if mention.created_at < self._started_at:
            return  # loaded at start: the Mentions view shows it, no ringing
        if self._sound_enabled():
            self._beep()
        if self.tray is not None:
            name = self._agent_name(mention.by_agent_id) or self.tr("A colleague")
            title = self.tr("%1 mentioned you").replace("%1", name)
            self.tray.show_message(title, preview(mention.message.body), mention.ticket_id)

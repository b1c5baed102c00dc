"""Snoozing tickets: out of the views until a time or the customer's reply, then back.

A snoozed ticket keeps its status (open) and assignee; ``snoozed`` takes it out of the Mine and
Unassigned views and into the Snoozed one. The due time is a column, so the waker
(``run_waker``, a task of the server's lifespan) finds it again after a restart. Waking
(time, customer reply or an agent) clears the state and emits ``ticket.updated`` and
``ticket.woke``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.errors import forbidden, invalid
from convos_server.serialize import contact_json, load_ticket
from convos_server.services.events import EventBus
from convos_server.services.presence import require_working
from convos_server.services.ticket_events import publish_ticket
from convos_server.services.tickets import held_open_ticket, locked_ticket, visible_ticket
from convos_server.services.visibility import visibility_for

log = logging.getLogger("convos.snooze")

MAX_SNOOZE = dt.timedelta(days=366)
SNOOZE_FIELDS = ["snoozed", "snoozed_until", "snoozed_by"]
WAKE_REASONS = ("time", "reply", "agent")


async def snooze(
    session: AsyncSession,
    bus: EventBus,
    actor: m.Agent,
    ticket_id: int,
    until: dt.datetime | None,
) -> m.Ticket:
    """Snooze an open ticket until ``until`` (``None``: until the customer replies).

    Who may: the assignee, an admin, or anyone who sees it while unassigned (as closing).
    """
    ticket = await held_open_ticket(session, actor, ticket_id, "snooze")
    if until is not None:
        if until.tzinfo is None:
            raise invalid("The time needs a time zone", "until")
        now = m.utcnow()
        if until <= now:
            raise invalid("The time is in the past", "until")
        if until - now > MAX_SNOOZE:
            raise invalid("At most a year ahead", "until")
    ticket.snoozed = True
    ticket.snoozed_until = until
    ticket.snoozed_by = actor.id
    await session.flush()
    await publish_ticket(session, bus, ticket, "ticket.updated", SNOOZE_FIELDS)
    return ticket


async def wake(session: AsyncSession, bus: EventBus, ticket: m.Ticket, reason: str) -> None:
    """Clear a snoozed ticket's state and announce it (``ticket.updated`` and ``ticket.woke``).

    ``ticket.woke`` goes to the ticket's inbox like ``ticket.updated``; it carries who snoozed
    it (``snoozed_by``), so that agent's client can notify.
    """
    assert reason in WAKE_REASONS
    snoozed_by = ticket.snoozed_by
    ticket.snoozed = False
    ticket.snoozed_until = None
    ticket.snoozed_by = None
    await session.flush()
    await publish_ticket(session, bus, ticket, "ticket.updated", SNOOZE_FIELDS)
    contact = await session.get(m.Contact, ticket.contact_id)
    assert contact is not None
    data = {
        "ticket": await load_ticket(session, ticket),
        "contact": contact_json(contact),
        "reason": reason,
        "snoozed_by": snoozed_by,
    }
    await bus.publish(session, "ticket.woke", data, inbox_id=ticket.inbox_id)
    log.info("ticket %s woke (%s)", ticket.id, reason)


async def unsnooze(
    session: AsyncSession, bus: EventBus, actor: m.Agent, ticket_id: int
) -> m.Ticket:
    """Wake a snoozed ticket now (anyone who may snooze it); a no-op when it is not snoozed."""
    require_working(actor)
    visibility = await visibility_for(session, actor)
    ticket = await visible_ticket(session, visibility, ticket_id, for_update=True)
    if not ticket.snoozed:
        return ticket
    if ticket.assignee_id not in (None, actor.id) and actor.role != "admin":
        raise forbidden("Only the assignee or an admin may wake this ticket")
    await wake(session, bus, ticket, "agent")
    return ticket


async def wake_on_reply(session: AsyncSession, bus: EventBus, ticket_id: int | None) -> None:
    """A customer message arrived in the conversation of ``ticket_id``: wake it if snoozed."""
    if ticket_id is None:
        return
    ticket = await session.get(m.Ticket, ticket_id, with_for_update=True)
    if ticket is not None and ticket.snoozed:
        await wake(session, bus, ticket, "reply")


async def wake_due(db: Database, bus: EventBus) -> int:
    """Wake every ticket whose time has come; how many woke."""
    now = m.utcnow()
    async with db.sessionmaker() as session:
        due = list(
            await session.scalars(
                select(m.Ticket.id).where(m.Ticket.snoozed_until <= now, m.Ticket.snoozed)
            )
        )
    woke = 0
    for ticket_id in due:
        async with db.transaction() as session:
            ticket = await locked_ticket(session, ticket_id)
            # another process (or the customer) may have woken it since the SELECT
            if ticket is None or not ticket.snoozed or ticket.snoozed_until is None:
                continue
            if ticket.snoozed_until > m.utcnow():
                continue
            await wake(session, bus, ticket, "time")
            woke += 1
    if woke:
        bus.wake()
    return woke


_NEXT_DUE = (
    select(m.Ticket.snoozed_until)
    .where(m.Ticket.snoozed, m.Ticket.snoozed_until.is_not(None))
    .order_by(m.Ticket.snoozed_until)
    .limit(1)
)


async def next_due(db: Database) -> dt.datetime | None:
    """The earliest due time of a snoozed ticket (one row of an index: a short read, on a
    bare connection: no session around it)."""
    async with db.quick_read() as connection:
        value: dt.datetime | None = await connection.scalar(_NEXT_DUE)
        return value


async def run_waker(db: Database, bus: EventBus, check_s: float, nudge: asyncio.Event) -> None:
    """Forever: wake due tickets, then sleep until the next due time (at most ``check_s``).

    ``nudge`` is set by a new snooze, so a due time sooner than the sleep is not missed; other
    processes' snoozes are seen within ``check_s``. A look reads the next due time and wakes
    tickets only when it has come; on a SQLite file a look at which nothing was committed
    since the last one (``Database.data_version``) and that due time has not come is skipped
    (no snooze can have started or ended meanwhile).
    """
    looked_at: int | None = None  # the data version the last look started from
    due: dt.datetime | None = None
    while True:
        nudge.clear()
        try:
            version = db.data_version()
            if version is None or version != looked_at or _has_come(due):
                due = await next_due(db)
                if _has_come(due):
                    await wake_due(db, bus)
                    due = await next_due(db)
                looked_at = version
        except Exception:
            log.exception("waking snoozed tickets failed")
            due, looked_at = None, None
        pause = check_s
        if due is not None:
            pause = max(0.0, min(check_s, (due - m.utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(nudge.wait(), timeout=pause)


def _has_come(due: dt.datetime | None) -> bool:
    return due is not None and due <= m.utcnow()

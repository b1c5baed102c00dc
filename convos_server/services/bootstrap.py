"""``GET /bootstrap``: everything a client needs to start, and the event cursor to go on from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.serialize import (
    canned_json,
    contact_json,
    inbox_json,
    iso,
    load_agents,
    load_teams,
    load_tickets,
)
from convos_server.services.canned import visible_canned
from convos_server.services.labels import all_labels, label_json
from convos_server.services.visibility import visibility_for


async def bootstrap(session: AsyncSession, agent: m.Agent) -> dict[str, Any]:
    """The snapshot of docs/protocol.md "Bootstrap".

    ``event_seq`` is read first: events after it may already be in the snapshot (applying
    them again is harmless), but none before it can be missing.
    """
    event_seq = int(await session.scalar(select(func.coalesce(func.max(m.Event.id), 0))) or 0)
    visibility = await visibility_for(session, agent)
    me = await session.get(m.Agent, agent.id)
    assert me is not None
    agents = list(await session.scalars(select(m.Agent).order_by(m.Agent.id)))
    teams = list(await session.scalars(select(m.Team).order_by(m.Team.id)))
    inboxes = list(
        await session.scalars(
            select(m.Inbox).where(visibility.inbox_filter(m.Inbox.id)).order_by(m.Inbox.id)
        )
    )
    tickets = list(
        await session.scalars(
            select(m.Ticket)
            .where(m.Ticket.status == "open", visibility.inbox_filter(m.Ticket.inbox_id))
            .order_by(m.Ticket.last_message_at.desc(), m.Ticket.id.desc())
        )
    )
    contact_ids = {ticket.contact_id for ticket in tickets}
    contacts = (
        list(await session.scalars(select(m.Contact).where(m.Contact.id.in_(contact_ids))))
        if contact_ids
        else []
    )
    agents_data = await load_agents(session, agents)
    awake = [ticket for ticket in tickets if not ticket.snoozed]  # snoozed: out of the views
    return {
        "me": next(data for data in agents_data if data["id"] == me.id),
        "agents": agents_data,
        "teams": await load_teams(session, teams),
        "inboxes": [inbox_json(inbox) for inbox in inboxes],
        "labels": [label_json(label) for label in await all_labels(session)],
        "canned": [canned_json(canned) for canned in await visible_canned(session, agent)],
        "tickets": await load_tickets(session, tickets),
        "contacts": [contact_json(contact) for contact in contacts],
        "counts": {
            "mine": sum(1 for t in awake if t.assignee_id == agent.id),
            "unassigned": sum(1 for t in awake if t.assignee_id is None),
            "all": len(awake),
            "snoozed": len(tickets) - len(awake),
        },
        "inbox_counts": inbox_counts(awake, agent.id),
        "event_seq": event_seq,
        "server_time": iso(m.utcnow()),
    }


def inbox_counts(tickets: list[m.Ticket], agent_id: int) -> dict[str, dict[str, int]]:
    """Open tickets per view of each inbox that has any, keyed by the inbox id as a string."""
    counts: dict[str, dict[str, int]] = {}
    for ticket in tickets:
        row = counts.setdefault(str(ticket.inbox_id), {"mine": 0, "unassigned": 0, "all": 0})
        row["all"] += 1
        if ticket.assignee_id is None:
            row["unassigned"] += 1
        elif ticket.assignee_id == agent_id:
            row["mine"] += 1
    return counts

"""Inboxes (admin only): channel, responsible team, assignment mode, cap and API key.

The API key is shown once (create and rotate) and stored as SHA-256. ``inbox.changed``
events go to everyone: a client drops an inbox whose team it is not in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, invalid, not_found
from convos_server.serialize import inbox_json
from convos_server.services.assignment import MODES
from convos_server.services.auth import new_secret, secret_hash
from convos_server.services.events import EventBus

CHANNELS = ("whatsapp", "web", "email", "telegram", "sms")
BUSINESS_HOURS_MAX = 500


async def publish_inbox(session: AsyncSession, bus: EventBus, inbox: m.Inbox) -> None:
    """Emit ``inbox.changed`` (everyone; readers recompute visibility on it)."""
    await bus.publish(session, "inbox.changed", {"inbox": inbox_json(inbox)})


async def _check(
    session: AsyncSession,
    name: str | None,
    channel: str | None,
    team_id: int | None,
    assignment: str | None,
    max_open: int | None,
    business_hours: str | None = None,
) -> None:
    if business_hours is not None and len(business_hours) > BUSINESS_HOURS_MAX:
        raise invalid(
            f"Business hours are at most {BUSINESS_HOURS_MAX} characters", "business_hours"
        )
    if name is not None and not name.strip():
        raise invalid("The name must not be empty", "name")
    if channel is not None and channel not in CHANNELS:
        raise invalid(f"channel must be one of {', '.join(CHANNELS)}", "channel")
    if assignment is not None and assignment not in MODES:
        raise invalid(f"assignment must be one of {', '.join(MODES)}", "assignment")
    if max_open is not None and max_open < 1:
        raise invalid("max_open_per_agent must be at least 1", "max_open_per_agent")
    if team_id is not None and await session.get(m.Team, team_id) is None:
        raise invalid("No such team", "team_id")


async def create_inbox(
    session: AsyncSession,
    bus: EventBus,
    *,
    name: str,
    channel: str = "whatsapp",
    team_id: int | None = None,
    assignment: str = "manual",
    max_open_per_agent: int | None = None,
    business_hours: str = "",
    active: bool = True,
) -> tuple[m.Inbox, str]:
    """A new inbox and its API key (shown only now)."""
    await _check(session, name, channel, team_id, assignment, max_open_per_agent, business_hours)
    api_key = new_secret()
    inbox = m.Inbox(
        name=name.strip(),
        channel=channel,
        team_id=team_id,
        assignment=assignment,
        max_open_per_agent=max_open_per_agent,
        business_hours=business_hours.strip(),
        active=active,
        api_key_hash=secret_hash(api_key),
    )
    session.add(inbox)
    await session.flush()
    await publish_inbox(session, bus, inbox)
    return inbox, api_key


async def get_inbox(session: AsyncSession, inbox_id: int) -> m.Inbox:
    """An inbox; 404 when missing."""
    inbox = await session.get(m.Inbox, inbox_id)
    if inbox is None:
        raise not_found("inbox")
    return inbox


@dataclass(frozen=True, slots=True)
class InboxChanges:
    """A partial inbox update: only the fields named in ``given`` are applied."""

    given: frozenset[str]
    name: str | None = None
    channel: str | None = None
    team_id: int | None = None
    assignment: str | None = None
    max_open_per_agent: int | None = None
    business_hours: str | None = None
    active: bool | None = None


async def update_inbox(
    session: AsyncSession, bus: EventBus, inbox_id: int, changes: InboxChanges
) -> m.Inbox:
    """Apply ``changes``; ``team_id`` and ``max_open_per_agent`` may be set to null."""
    inbox = await get_inbox(session, inbox_id)
    await _check(
        session,
        changes.name,
        changes.channel,
        changes.team_id,
        changes.assignment,
        changes.max_open_per_agent,
        changes.business_hours,
    )
    for field in ("name", "channel", "assignment", "business_hours"):
        value = getattr(changes, field)
        if field in changes.given and value is not None:
            setattr(inbox, field, value.strip())
    for field in ("team_id", "max_open_per_agent"):
        if field in changes.given:
            setattr(inbox, field, getattr(changes, field))
    if "active" in changes.given and changes.active is not None:
        inbox.active = changes.active
    await session.flush()
    await publish_inbox(session, bus, inbox)
    return inbox


async def rotate_key(session: AsyncSession, inbox_id: int) -> tuple[m.Inbox, str]:
    """Replace the inbox's API key; the old one stops working at once."""
    inbox = await get_inbox(session, inbox_id)
    api_key = new_secret()
    inbox.api_key_hash = secret_hash(api_key)
    await session.flush()
    return inbox, api_key


async def delete_inbox(session: AsyncSession, bus: EventBus, inbox_id: int) -> None:
    """Delete an inbox that has no conversations.

    409 ``inbox_has_open_tickets`` (with ``open_tickets``) while tickets are open in it, else
    409 ``inbox_in_use`` while it keeps conversations: each message says what to do instead.
    """
    inbox = await get_inbox(session, inbox_id)
    open_tickets = await session.scalar(
        select(func.count())
        .select_from(m.Ticket)
        .where(m.Ticket.inbox_id == inbox.id, m.Ticket.status == "open")
    )
    if open_tickets:
        raise ApiError(
            409,
            "inbox_has_open_tickets",
            f"The inbox has {open_tickets} open tickets: close them first, "
            "or deactivate the inbox instead of deleting it",
            open_tickets=open_tickets,
        )
    used = await session.scalar(
        select(func.count()).select_from(m.Conversation).where(m.Conversation.inbox_id == inbox.id)
    )
    if used:
        raise ApiError(
            409,
            "inbox_in_use",
            "The inbox keeps the history of its conversations: deactivate it instead",
        )
    await session.delete(inbox)
    await session.flush()
    await bus.publish(session, "inbox.changed", {"deleted_id": inbox_id})

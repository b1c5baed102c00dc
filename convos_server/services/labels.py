"""Workspace labels: admins manage them, agents put them on the tickets they see.

A label change is a ``label.changed`` event for everyone (``deleted`` true when it is gone); a
ticket's labels changing is a ``ticket.updated`` with ``changed`` ``["label_ids"]``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, not_found
from convos_server.services.events import EventBus
from convos_server.services.ticket_events import publish_ticket
from convos_server.services.tickets import visible_ticket
from convos_server.services.visibility import visibility_for

COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"


def label_json(label: m.Label) -> dict[str, Any]:
    """A Label."""
    return {"id": label.id, "name": label.name, "color": label.color.lower()}


async def all_labels(session: AsyncSession) -> list[m.Label]:
    """Every label, by name."""
    return list(await session.scalars(select(m.Label).order_by(func.lower(m.Label.name))))


async def _require_free_name(session: AsyncSession, name: str, label_id: int | None) -> None:
    same = await session.scalar(
        select(m.Label.id).where(
            func.lower(m.Label.name) == name.lower(), m.Label.id != (label_id or 0)
        )
    )
    if same is not None:
        raise ApiError(409, "label_exists", "A label with this name exists", label_id=same)


async def _publish(
    session: AsyncSession, bus: EventBus, label: m.Label, *, deleted: bool = False
) -> None:
    await bus.publish(session, "label.changed", {"label": label_json(label), "deleted": deleted})


async def create_label(session: AsyncSession, bus: EventBus, name: str, color: str) -> m.Label:
    """A new label (names are unique regardless of case)."""
    name = name.strip()
    await _require_free_name(session, name, None)
    label = m.Label(name=name, color=color.lower())
    session.add(label)
    await session.flush()
    await _publish(session, bus, label)
    return label


async def _label(session: AsyncSession, label_id: int) -> m.Label:
    label = await session.get(m.Label, label_id)
    if label is None:
        raise not_found("label")
    return label


async def update_label(
    session: AsyncSession, bus: EventBus, label_id: int, name: str | None, color: str | None
) -> m.Label:
    """Rename or recolour a label."""
    label = await _label(session, label_id)
    if name is not None:
        await _require_free_name(session, name.strip(), label.id)
        label.name = name.strip()
    if color is not None:
        label.color = color.lower()
    await session.flush()
    await _publish(session, bus, label)
    return label


async def delete_label(session: AsyncSession, bus: EventBus, label_id: int) -> None:
    """Delete a label; it leaves every ticket (clients drop it on ``label.changed``)."""
    label = await _label(session, label_id)
    await session.execute(delete(m.TicketLabel).where(m.TicketLabel.label_id == label.id))
    await _publish(session, bus, label, deleted=True)
    await session.delete(label)
    await session.flush()


async def set_ticket_label(
    session: AsyncSession, bus: EventBus, actor: m.Agent, ticket_id: int, label_id: int, on: bool
) -> m.Ticket:
    """Put a label on a ticket the actor sees (``on``) or take it off; idempotent."""
    visibility = await visibility_for(session, actor)
    ticket = await visible_ticket(session, visibility, ticket_id, for_update=True)
    await _label(session, label_id)
    existing = await session.get(m.TicketLabel, (ticket.id, label_id))
    if on == (existing is not None):
        return ticket
    if on:
        session.add(m.TicketLabel(ticket_id=ticket.id, label_id=label_id))
    else:
        await session.delete(existing)
    await session.flush()
    await publish_ticket(session, bus, ticket, "ticket.updated", ["label_ids"])
    return ticket

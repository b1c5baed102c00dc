"""The kinds of system lines and contact activities, their parameters and English texts.

Every system message and every activity the server writes carries a ``kind`` and ``params``
(ids, never names, so a client words them in its own language with today's names) and an
English text written from the same values: the fallback for clients that do not know the
kind. docs/protocol.md lists the kinds; this module is their one definition on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TICKET_OPENED = "ticket.opened"
TICKET_ASSIGNED = "ticket.assigned"
TICKET_UNASSIGNED = "ticket.unassigned"
TICKET_CLOSED = "ticket.closed"
TICKET_REOPENED = "ticket.reopened"
CONTACT_EDITED = "contact.edited"

KINDS = (
    TICKET_OPENED,
    TICKET_ASSIGNED,
    TICKET_UNASSIGNED,
    TICKET_CLOSED,
    TICKET_REOPENED,
    CONTACT_EDITED,
)


@dataclass(frozen=True, slots=True)
class SystemText:
    """A kind with its parameters and the English sentence for clients that do not know it."""

    kind: str
    params: dict[str, Any]
    text: str


def ticket_opened(by_agent_id: int | None = None, by_name: str | None = None) -> SystemText:
    """Opened by an agent (New ticket) or, ``by_agent_id`` null, handed over by the bot."""
    text = f"Ticket opened by {by_name}" if by_name else "Ticket opened"
    return SystemText(TICKET_OPENED, {"by_agent_id": by_agent_id}, text)


def ticket_assigned(agent_id: int, name: str, by_agent_id: int | None) -> SystemText:
    """Assigned to ``agent_id`` by ``by_agent_id`` (null: by the inbox's assignment mode)."""
    params = {"agent_id": agent_id, "by_agent_id": by_agent_id}
    return SystemText(TICKET_ASSIGNED, params, f"Ticket assigned to {name}")


def ticket_unassigned(by_agent_id: int, by_name: str) -> SystemText:
    """Put back to Unassigned."""
    return SystemText(
        TICKET_UNASSIGNED, {"by_agent_id": by_agent_id}, f"Ticket unassigned by {by_name}"
    )


def ticket_closed(by_agent_id: int, by_name: str) -> SystemText:
    """Finalized."""
    return SystemText(TICKET_CLOSED, {"by_agent_id": by_agent_id}, f"Ticket closed by {by_name}")


def ticket_reopened(by_agent_id: int, by_name: str) -> SystemText:
    """Reactivated."""
    return SystemText(
        TICKET_REOPENED, {"by_agent_id": by_agent_id}, f"Ticket reopened by {by_name}"
    )


def contact_edited(by_agent_id: int, by_name: str, fields: Sequence[str]) -> SystemText:
    """The profile's ``fields`` (name, phone, email, custom) changed."""
    return SystemText(
        CONTACT_EDITED,
        {"by_agent_id": by_agent_id, "fields": list(fields)},
        f"Profile edited by {by_name}: {', '.join(fields)}",
    )

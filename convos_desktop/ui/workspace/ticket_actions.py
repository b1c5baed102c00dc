"""Which ticket actions an agent may take now, and why not: a pure function of the state.

The rules mirror the server's (``convos_server/services/tickets.py``) so the chat header never
offers a button the server would refuse:

- every action needs the agent working (effective ``online`` or ``busy``);
- a closed ticket offers only Reactivate;
- an open ticket offers Finalize always, Unassign when someone holds it, and Assign to me when
  the agent does not hold it;
- a ticket held by someone else: only an admin may take it over (assign with ``force``),
  unassign it or finalize it;
- Snooze (Wake up, when snoozed) follows Finalize's rights.

Reacting to a message follows the same online rule (:func:`reaction_block_reason`); the chat
view's context menu disables React with that reason.

The chat header shows the offered actions, disables those with a reason and puts the reason in
the tooltip and in a visible line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QCoreApplication

from convos_desktop.core.types import Agent, Status, Ticket


class TicketAction(StrEnum):
    """The four ticket actions (values as the chat header's signal carries them)."""

    ASSIGN = "assign"
    UNASSIGN = "unassign"
    CLOSE = "close"
    REOPEN = "reopen"
    SNOOZE = "snooze"  # opens the menu of times; the header asks with ``snoozeRequested``
    UNSNOOZE = "unsnooze"


SHORTCUTS = {
    TicketAction.ASSIGN: "Ctrl+Shift+A",
    TicketAction.UNASSIGN: "Ctrl+Shift+U",
    TicketAction.CLOSE: "Ctrl+Shift+F",
    TicketAction.REOPEN: "Ctrl+Shift+R",
    TicketAction.SNOOZE: "Ctrl+Shift+S",
    TicketAction.UNSNOOZE: "Ctrl+Shift+S",  # only one of the two is offered at a time
}

WORKING_STATUSES = frozenset({Status.ONLINE, Status.BUSY})


@dataclass(frozen=True, slots=True)
class ActionState:
    """An offered action: can it run now; ``reason`` says why not (or what a take-over does)."""

    enabled: bool
    reason: str = ""
    force: bool = False  # an admin taking a ticket someone else holds (assign with force)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TicketActions", text)


def available_actions(
    ticket: Ticket | None,
    me: Agent,
    my_status: Status,
    assignee_name: str = "",
    open_sibling_id: int | None = None,
) -> dict[TicketAction, ActionState]:
    """The actions to show for ``ticket`` (absent: hidden), each enabled or with its reason.

    ``my_status`` is the agent's effective status; ``assignee_name`` names the current
    assignee in the reasons (``""``: "someone else"); ``open_sibling_id`` is another open
    ticket of the same contact, if one is known (a closed ticket cannot be reactivated then).
    """
    if ticket is None:
        return {}
    if not ticket.is_open and open_sibling_id not in (None, ticket.id):
        reason = _tr("Ticket #%1 of this contact is open: only one may be open at a time")
        offered = {
            TicketAction.REOPEN: ActionState(False, reason.replace("%1", str(open_sibling_id)))
        }
    elif not ticket.is_open:
        offered = {TicketAction.REOPEN: ActionState(True)}
    else:
        offered = _open_ticket_actions(ticket, me, assignee_name)
    if my_status not in WORKING_STATUSES:
        unavailable = _tr("You are Unavailable: set yourself Online to act on tickets")
        return {action: ActionState(False, unavailable) for action in offered}
    return offered


def reaction_block_reason(my_status: Status) -> str:
    """Why the agent may not react to messages now (``""``: it may): the server's online rule."""
    if my_status in WORKING_STATUSES:
        return ""
    return _tr("You are Unavailable: set yourself Online to react")


def _open_ticket_actions(
    ticket: Ticket, me: Agent, assignee_name: str
) -> dict[TicketAction, ActionState]:
    is_admin = me.role == "admin"
    holder = ticket.assignee_id
    held_by_other = holder is not None and holder != me.id
    name = assignee_name or _tr("someone else")
    offered: dict[TicketAction, ActionState] = {}
    if holder != me.id:
        if not held_by_other:
            offered[TicketAction.ASSIGN] = ActionState(True)
        elif is_admin:
            reason = _tr("Take the ticket over from %1").replace("%1", name)
            offered[TicketAction.ASSIGN] = ActionState(True, reason, force=True)
        else:
            reason = _tr("Assigned to %1: only an admin can take it over").replace("%1", name)
            offered[TicketAction.ASSIGN] = ActionState(False, reason)
    if holder is not None:
        if held_by_other and not is_admin:
            reason = _tr("Only the assignee or an admin can unassign this ticket")
            offered[TicketAction.UNASSIGN] = ActionState(False, reason)
        else:
            offered[TicketAction.UNASSIGN] = ActionState(True)
    snooze = TicketAction.UNSNOOZE if ticket.snoozed else TicketAction.SNOOZE
    if held_by_other and not is_admin:
        reason = _tr("Only the assignee or an admin can finalize this ticket")
        offered[TicketAction.CLOSE] = ActionState(False, reason)
        reason = _tr("Only the assignee or an admin can snooze this ticket")
        offered[snooze] = ActionState(False, reason)
    else:
        offered[TicketAction.CLOSE] = ActionState(True)
        offered[snooze] = ActionState(True)
    return offered

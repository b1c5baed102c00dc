"""system lines and activities carry a kind and params

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

Adds ``messages.system_kind``/``system_params`` and ``activities.params``, renames the old
activity kinds (``ticket_assigned`` -> ``ticket.assigned``, ``profile_edited`` ->
``contact.edited``) and fills the parameters of what was written before:

- activities from their ``agent_id`` (the assignee of ``ticket.assigned``, the actor of the
  others) and, for profile edits, the field list at the end of their text;
- system messages from their English text ("Ticket closed by Anna") with the agent found by
  name; a line whose agent is not found (renamed since) keeps no kind and is shown as written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_ACTIVITY_KINDS = {
    "ticket_opened": "ticket.opened",
    "ticket_assigned": "ticket.assigned",
    "ticket_unassigned": "ticket.unassigned",
    "ticket_closed": "ticket.closed",
    "ticket_reopened": "ticket.reopened",
    "profile_edited": "contact.edited",
}
# The English sentences written before kinds existed: prefix -> (kind, parameter of the name).
OLD_SYSTEM_PREFIXES = (
    ("Ticket assigned to ", "ticket.assigned", "agent_id"),
    ("Ticket unassigned by ", "ticket.unassigned", "by_agent_id"),
    ("Ticket closed by ", "ticket.closed", "by_agent_id"),
    ("Ticket reopened by ", "ticket.reopened", "by_agent_id"),
)

activities = sa.table(
    "activities",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("text", sa.Text()),
    sa.column("agent_id", sa.Integer()),
    sa.column("params", sa.JSON()),
)
messages = sa.table(
    "messages",
    sa.column("id", sa.Integer()),
    sa.column("direction", sa.String()),
    sa.column("body", sa.Text()),
    sa.column("system_kind", sa.String()),
    sa.column("system_params", sa.JSON()),
)
agents = sa.table("agents", sa.column("id", sa.Integer()), sa.column("name", sa.String()))


def upgrade() -> None:
    op.add_column("messages", sa.Column("system_kind", sa.String(length=32), nullable=True))
    op.add_column("messages", sa.Column("system_params", sa.JSON(), nullable=True))
    op.add_column("activities", sa.Column("params", sa.JSON(), nullable=True))
    connection = op.get_bind()
    _backfill_activities(connection)
    _backfill_system_messages(connection)


def downgrade() -> None:
    for old, new in OLD_ACTIVITY_KINDS.items():
        op.execute(activities.update().where(activities.c.kind == new).values(kind=old))
    op.drop_column("activities", "params")
    op.drop_column("messages", "system_params")
    op.drop_column("messages", "system_kind")


def activity_params(kind: str, text: str, agent_id: int | None) -> dict[str, Any]:
    """The parameters of an activity written before kinds existed."""
    if kind == "ticket.assigned":
        return {"agent_id": agent_id, "by_agent_id": None}
    if kind == "contact.edited":
        _sentence, _colon, fields = text.partition(": ")
        return {"by_agent_id": agent_id, "fields": [f for f in fields.split(", ") if f]}
    return {"by_agent_id": agent_id}


def system_line(body: str, agent_ids: dict[str, int]) -> tuple[str, dict[str, Any]] | None:
    """The kind and parameters of an old English system line (``None``: not recognised)."""
    for prefix, kind, name_param in OLD_SYSTEM_PREFIXES:
        if body.startswith(prefix):
            agent_id = agent_ids.get(body[len(prefix) :])
            if agent_id is None:
                return None
            params: dict[str, Any] = {name_param: agent_id}
            if kind == "ticket.assigned":
                params["by_agent_id"] = None
            return kind, params
    return None


def _backfill_activities(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.select(activities.c.id, activities.c.kind, activities.c.text, activities.c.agent_id)
    ).all()
    for row_id, kind, text, agent_id in rows:
        new_kind = OLD_ACTIVITY_KINDS.get(kind, kind)
        params = activity_params(new_kind, text, agent_id)
        connection.execute(
            activities.update()
            .where(activities.c.id == row_id)
            .values(kind=new_kind, params=params)
        )


def _backfill_system_messages(connection: sa.Connection) -> None:
    agent_ids = {name: agent_id for agent_id, name in connection.execute(sa.select(agents))}
    rows = connection.execute(
        sa.select(messages.c.id, messages.c.body).where(messages.c.direction == "system")
    ).all()
    for row_id, body in rows:
        found = system_line(body, agent_ids)
        if found is not None:
            kind, params = found
            connection.execute(
                messages.update()
                .where(messages.c.id == row_id)
                .values(system_kind=kind, system_params=params)
            )

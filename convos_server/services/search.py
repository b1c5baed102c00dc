"""Text search for the ``q=`` filters: a case-insensitive substring match, taken literally.

Also the workspace-wide message search (``GET /search/messages``), limited to what the
agent's :class:`~convos_server.services.visibility.Visibility` sees.

``%`` and ``_`` in what the agent typed are escaped, so ``q=%`` finds the rows that contain
a percent sign instead of every row.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.services.paging import clamp_limit, decode_id_cursor
from convos_server.services.visibility import Visibility

ESCAPE = "\\"


def contains_pattern(q: str) -> str:
    """The LIKE pattern matching ``q`` (stripped) anywhere, its wildcards escaped."""
    text = q.strip()
    for special in (ESCAPE, "%", "_"):
        text = text.replace(special, ESCAPE + special)
    return f"%{text}%"


def contains(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], q: str
) -> ColumnElement[bool]:
    """``column`` contains ``q`` literally, ignoring case."""
    return column.ilike(contains_pattern(q), escape=ESCAPE)


async def search_messages(
    session: AsyncSession,
    visibility: Visibility,
    q: str,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[m.Message], str | None]:
    """Messages (not system lines) containing ``q`` in the conversations ``visibility`` sees,
    newest first, paged by message id; and the next cursor."""
    size = clamp_limit(limit)
    query = (
        select(m.Message)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .where(
            visibility.inbox_filter(m.Conversation.inbox_id),
            m.Message.direction != "system",
            contains(m.Message.body, q),
        )
    )
    if cursor:
        query = query.where(m.Message.id < decode_id_cursor(cursor))
    rows = list(await session.scalars(query.order_by(m.Message.id.desc()).limit(size + 1)))
    if len(rows) > size:
        rows = rows[:size]
        return rows, str(rows[-1].id)
    return rows, None

"""Text search for the ``q=`` filters: a case-insensitive substring match, taken literally.

Also the workspace-wide message search (``GET /search/messages``), limited to what the
agent's :class:`~convos_server.services.visibility.Visibility` sees.

``%`` and ``_`` in what the agent typed are escaped, so ``q=%`` finds the rows that contain
a percent sign instead of every row.

The match is served by trigram indexes (migration 0008) over message bodies (notes and
system lines included) and contacts' name, phone and email: SQLite FTS5 tables with the
``trigram`` tokenizer kept by triggers, PostgreSQL ``pg_trgm`` GIN indexes. The index only
narrows the candidates: every row is still tested with the same ``ILIKE`` as before, so what
matches is unchanged (on SQLite ASCII letters fold, accented ones do not; on PostgreSQL the
database's locale folds them).

:func:`text_match` first asks the index how many messages and contacts contain ``q``, up to
``NARROW_CAP``. Few: the lists read those candidates through the index and sort them. Many
(a common word): the lists walk their own order and test each row (``EXISTS`` over its
conversation's messages), which stops as soon as the page, or the capped count, is full.
Fewer than three characters give no trigram: those are always tested row by row in the
list's order, which the page size bounds when the text is common and costs a scan of the
rows the other filters keep when it is rare (as before the index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.services.paging import clamp_limit, decode_id_cursor
from convos_server.services.visibility import Visibility

ESCAPE = "\\"
# a trigram index finds nothing shorter
TRIGRAM = 3
# more candidates than this (messages, or contacts) and the lists test row by row instead
NARROW_CAP = 2_000
# the SQLite FTS5 tables of migration 0008 (rowid = the row's id)
MESSAGES_TEXT = "messages_text"
CONTACTS_TEXT = "contacts_text"


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


def fts_phrase(q: str) -> str:
    """An FTS5 query matching ``q`` (stripped) as one phrase: with the trigram tokenizer, a
    case-folded substring."""
    return '"' + q.strip().replace('"', '""') + '"'


def _fts_rowids(name: str, q: str) -> Select[Any]:
    """The rowids (the indexed rows' ids) an FTS5 table finds for ``q``."""
    fts = table(name, column("rowid"))
    return select(fts.c.rowid).where(literal_column(name).op("MATCH")(fts_phrase(q)))


def _contact_text(q: str) -> ColumnElement[bool]:
    return or_(
        contains(m.Contact.name, q), contains(m.Contact.phone, q), contains(m.Contact.email, q)
    )


@dataclass(frozen=True, slots=True)
class TextMatch:
    """How one ``q=`` is matched by the history lists (see the module docstring)."""

    q: str
    # the SQLite FTS5 tables can narrow the candidates (SQLite and q of 3+ characters)
    fts: bool
    # few candidates: read them through the index; else test each row in the list's order
    narrow: bool

    def contacts(self) -> Select[Any]:
        """The ids of the contacts whose name, phone or email contains ``q``."""
        query = select(m.Contact.id).where(_contact_text(self.q))
        if self.fts:
            query = query.where(m.Contact.id.in_(_fts_rowids(CONTACTS_TEXT, self.q)))
        return query

    def messages(self) -> ColumnElement[bool]:
        """A condition on ``messages``: its body contains ``q`` (narrowed by the index when
        the candidates are few)."""
        match = contains(m.Message.body, self.q)
        if self.fts and self.narrow:
            return m.Message.id.in_(_fts_rowids(MESSAGES_TEXT, self.q)) & match
        return match

    def condition(self, contact_id: Any, conversation_id: Any) -> ColumnElement[bool]:
        """A row (of tickets or conversations) matches: its contact, or a message of its
        conversation, contains ``q``."""
        if self.narrow:
            found = conversation_id.in_(select(m.Message.conversation_id).where(self.messages()))
        else:
            found = exists().where(
                m.Message.conversation_id == conversation_id, contains(m.Message.body, self.q)
            )
        return or_(contact_id.in_(self.contacts()), found)


async def _at_most(session: AsyncSession, query: Select[Any], cap: int) -> int:
    limited = query.limit(cap + 1).subquery()
    return int(await session.scalar(select(func.count()).select_from(limited)) or 0)


async def text_match(session: AsyncSession, q: str | None) -> TextMatch | None:
    """How ``q`` is best matched now (``None``: no text filter)."""
    text_q = (q or "").strip()
    if not text_q:
        return None
    if len(text_q) < TRIGRAM:
        return TextMatch(text_q, fts=False, narrow=False)
    fts = session.get_bind().dialect.name == "sqlite"
    if fts:
        messages = _fts_rowids(MESSAGES_TEXT, text_q)
        contacts = _fts_rowids(CONTACTS_TEXT, text_q)
    else:
        messages = select(m.Message.id).where(contains(m.Message.body, text_q))
        contacts = select(m.Contact.id).where(_contact_text(text_q))
    narrow = (
        await _at_most(session, messages, NARROW_CAP) <= NARROW_CAP
        and await _at_most(session, contacts, NARROW_CAP) <= NARROW_CAP
    )
    return TextMatch(text_q, fts=fts, narrow=narrow)


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
    match = await text_match(session, q)
    assert match is not None  # the route refuses an empty q
    query = (
        select(m.Message)
        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
        .where(
            visibility.inbox_filter(m.Conversation.inbox_id),
            m.Message.direction != "system",
            match.messages(),
        )
    )
    if cursor:
        query = query.where(m.Message.id < decode_id_cursor(cursor))
    rows = list(await session.scalars(query.order_by(m.Message.id.desc()).limit(size + 1)))
    if len(rows) > size:
        rows = rows[:size]
        return rows, str(rows[-1].id)
    return rows, None

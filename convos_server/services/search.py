"""Text search for the ``q=`` filters: a case-insensitive substring match, taken literally.

Also the workspace-wide message search (``GET /search/messages``), limited to what the
agent's :class:`~convos_server.services.visibility.Visibility` sees.

``%`` and ``_`` in what the agent typed are escaped, so ``q=%`` finds the rows that contain
a percent sign instead of every row.

The match is served by trigram indexes (migration 0008) over message bodies (notes and
system lines included) and contacts' name, phone and email: SQLite FTS5 tables with the
``trigram`` tokenizer kept by triggers, PostgreSQL ``pg_trgm`` GIN indexes. SQLite's index of
message bodies may be a few messages behind (migration 0012): the messages past its mark are
tested one by one beside it (``_messages_through_index``). The index only
narrows the candidates: every row is still tested with the same ``ILIKE`` as before, so what
matches is unchanged (on SQLite ASCII letters fold, accented ones do not; on PostgreSQL the
database's locale folds them).

:func:`text_match` first reads, through the index, the messages and the contacts that
contain ``q``, stopping after ``NARROW_CAP``. Few: the lists take those ids as they are
(``IN`` a list of ids, which neither database misjudges) and sort the few rows they select.
Many (a common word): the lists walk their own order and test each row (``EXISTS`` over its
conversation's messages), which stops as soon as the page, or the capped count, is full.
Fewer than three characters give no trigram: the same first read is then a scan of the
messages and contacts, bounded by the tables (one pass, no sort) and cut short at
``NARROW_CAP`` when the text is common; the lists then go on as above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    column,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.db.text_index import MESSAGES_INDEXED_UPTO
from convos_server.services.paging import clamp_limit, decode_id_cursor
from convos_server.services.visibility import Visibility

ESCAPE = "\\"
Ts = TypeVarTuple("Ts")
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
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    q: str,
    *,
    sqlite: bool = False,
) -> ColumnElement[bool]:
    """``column`` contains ``q`` literally, ignoring case.

    ``sqlite``: a plain ``LIKE``, which on SQLite ignores the case of ASCII letters only, as
    the ``lower(column) LIKE lower(pattern)`` that ``ILIKE`` becomes there does, without a
    lowered copy of every value tested (half the time of a per-row test).
    """
    if sqlite:
        return column.like(contains_pattern(q), escape=ESCAPE)
    return column.ilike(contains_pattern(q), escape=ESCAPE)


def fts_phrase(q: str) -> str:
    """An FTS5 query matching ``q`` (stripped) as one phrase: with the trigram tokenizer, a
    case-folded substring."""
    return '"' + q.strip().replace('"', '""') + '"'


def _contact_text(q: str, sqlite: bool) -> ColumnElement[bool]:
    return or_(
        *(contains(c, q, sqlite=sqlite) for c in (m.Contact.name, m.Contact.phone, m.Contact.email))
    )


def _through_index(query: Select[*Ts], name: str, row_id: Any, q: str) -> Select[*Ts]:
    """``query`` driven by an FTS5 table's matches (its rowid is ``row_id``): SQLite reads
    them as they come, so a ``LIMIT`` stops the index too."""
    fts = table(name, column("rowid"))
    return (
        query.select_from(fts)
        .join(row_id.table, row_id == fts.c.rowid)
        .where(literal_column(name).op("MATCH")(fts_phrase(q)))
    )


def _messages_through_index(query: Select[*Ts], q: str) -> CompoundSelect[*Ts]:
    """``query`` (over ``messages``) driven by ``messages_text``'s matches, and the messages
    the index does not hold yet (past its mark: fewer than a batch, found by the primary
    key) that ``query``'s own test finds."""
    behind = query.where(m.Message.id > literal_column(MESSAGES_INDEXED_UPTO))
    return union_all(_through_index(query, MESSAGES_TEXT, m.Message.id, q), behind)


@dataclass(frozen=True, slots=True)
class TextMatch:
    """How one ``q=`` is matched (see the module docstring): the candidates the index found
    when they are few (``None``: too many, or no trigram), else a test of each row."""

    q: str
    contact_ids: tuple[int, ...] | None
    message_ids: tuple[int, ...] | None
    conversation_ids: tuple[int, ...] | None
    # the database is SQLite (else PostgreSQL)
    sqlite: bool

    def messages(self) -> ColumnElement[bool]:
        """A condition on ``messages``: its body contains ``q`` (one of the ids found, which
        were tested so)."""
        if self.message_ids is None:
            return contains(m.Message.body, self.q, sqlite=self.sqlite)
        return m.Message.id.in_(self.message_ids)

    def condition(self, contact_id: Any, conversation_id: Any) -> ColumnElement[bool]:
        """A row (of tickets or conversations) matches: its contact, or a message of its
        conversation, contains ``q``."""
        if self.contact_ids is None:
            contacts = self._per_row(
                select(m.Contact.id).where(
                    m.Contact.id == contact_id, _contact_text(self.q, self.sqlite)
                )
            )
        else:
            contacts = contact_id.in_(self.contact_ids)
        if self.conversation_ids is None:
            messages = self._per_row(
                select(m.Message.id).where(
                    m.Message.conversation_id == conversation_id,
                    contains(m.Message.body, self.q, sqlite=self.sqlite),
                )
            )
        else:
            messages = conversation_id.in_(self.conversation_ids)
        return or_(contacts, messages)

    def _per_row(self, query: Select[Any]) -> ColumnElement[bool]:
        """``EXISTS (query)``, tested for each row of the list as its order reaches it: an
        ``IN`` of many ids would make the database collect and sort every matching row."""
        if not self.sqlite:
            # PostgreSQL would turn the EXISTS into one hashed scan of the whole table (every
            # message, for a common word); OFFSET 0 keeps it a test of this row's own rows.
            query = query.offset(0)
        return query.exists()


async def text_match(session: AsyncSession, q: str | None) -> TextMatch | None:
    """How ``q`` is best matched now (``None``: no text filter); asked once per session (a
    request's page and count share the answer)."""
    text_q = (q or "").strip()
    if not text_q:
        return None
    key = ("text_match", text_q)
    known = session.info.get(key)
    if isinstance(known, TextMatch):
        return known
    session.info[key] = found = await _text_match(session, text_q)
    return found


async def _text_match(session: AsyncSession, text_q: str) -> TextMatch:
    sqlite = session.get_bind().dialect.name == "sqlite"
    contacts = select(m.Contact.id).where(_contact_text(text_q, sqlite))
    scan = select(m.Message.id, m.Message.conversation_id).where(
        contains(m.Message.body, text_q, sqlite=sqlite)
    )
    messages: Select[int, int] | CompoundSelect[int, int] = scan
    # shorter than a trigram: the same probe as a scan, which stops at NARROW_CAP + 1
    if sqlite and len(text_q) >= TRIGRAM:
        contacts = _through_index(contacts, CONTACTS_TEXT, m.Contact.id, text_q)
        messages = _messages_through_index(scan, text_q)
    few_contacts = tuple(await session.scalars(contacts.limit(NARROW_CAP + 1)))
    contact_ids = few_contacts if len(few_contacts) <= NARROW_CAP else None
    found = (await session.execute(messages.limit(NARROW_CAP + 1))).all()
    if len(found) > NARROW_CAP:
        return TextMatch(text_q, contact_ids, None, None, sqlite)
    return TextMatch(
        text_q,
        contact_ids,
        tuple(row.id for row in found),
        tuple({row.conversation_id for row in found}),
        sqlite,
    )


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

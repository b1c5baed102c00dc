"""The trigram indexes of the text filters (migration 0008), which ``models.py`` does not map
(nor the ticket revisions' counter of migration 0010).

SQLite: FTS5 tables with the ``trigram`` tokenizer over ``messages.body`` and contacts' name,
phone and email, external content (they keep only the index; rowid = the row's id), kept by
triggers. PostgreSQL: ``pg_trgm`` GIN indexes on the same columns. Schema comparisons (the
migration test, autogenerate) leave these objects out through :func:`include_name`.

Since migration 0012 SQLite's ``messages_text`` may be a few messages behind: the messages up
to the id in ``messages_text_upto`` are indexed, the newer ones (fewer than the migration's
batch) are tested one by one by the search (``services.search``) and indexed together by
the insert that completes the batch, or by :func:`catch_up` (the server's start).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# SQLite FTS5 tables (and their shadow tables, named after them)
FTS_TABLES = ("messages_text", "contacts_text")
# SQLite's counter of ticket and conversation revisions
# (migrations 0010, 0011; PostgreSQL: a sequence) and the mark of what ``messages_text``
# holds (0012)
UNMAPPED_TABLES = ("ticket_revision_counter", "messages_text_upto")
# SQL: the id up to which the messages are in ``messages_text`` (SQLite)
MESSAGES_INDEXED_UPTO = "(SELECT upto FROM messages_text_upto)"
# SQL: index every message past the mark, then move the mark to the newest message
_CATCH_UP = (
    "INSERT INTO messages_text(rowid, body)"
    f" SELECT id, body FROM messages WHERE id > {MESSAGES_INDEXED_UPTO}",
    "UPDATE messages_text_upto SET upto = (SELECT coalesce(max(id), 0) FROM messages)",
)
# PostgreSQL GIN indexes
TRGM_INDEXES = (
    "ix_messages_body_trgm",
    "ix_contacts_name_trgm",
    "ix_contacts_phone_trgm",
    "ix_contacts_email_trgm",
)


def include_name(name: str | None, type_: str, _parent_names: Any = None) -> bool:
    """Alembic's ``include_name`` hook: ``False`` for the text indexes' own objects."""
    if name is None:
        return True
    if type_ == "table":
        if name in UNMAPPED_TABLES:
            return False
        return not any(name == t or name.startswith(f"{t}_") for t in FTS_TABLES)
    if type_ == "index":
        return name not in TRGM_INDEXES
    return True


async def catch_up(session: AsyncSession) -> None:
    """Index the messages ``messages_text`` is behind on, in ``session``'s write transaction
    (SQLite at migration 0012 or later)."""
    for statement in _CATCH_UP:
        await session.execute(text(statement))

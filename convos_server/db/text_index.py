"""The trigram indexes of the text filters (migration 0008), which ``models.py`` does not map
(nor the ticket revisions' counter of migration 0010).

SQLite: FTS5 tables with the ``trigram`` tokenizer over ``messages.body`` and contacts' name,
phone and email, external content (they keep only the index; rowid = the row's id), kept by
triggers. PostgreSQL: ``pg_trgm`` GIN indexes on the same columns. Schema comparisons (the
migration test, autogenerate) leave these objects out through :func:`include_name`.
"""

from __future__ import annotations

from typing import Any

# SQLite FTS5 tables (and their shadow tables, named after them)
FTS_TABLES = ("messages_text", "contacts_text")
# SQLite's counter of ticket and conversation revisions (migrations 0010, 0011; PostgreSQL:
# a sequence)
UNMAPPED_TABLES = ("ticket_revision_counter",)
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

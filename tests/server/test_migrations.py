"""Migrations: a fresh database upgraded to head matches models.py exactly."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from convos_server.db.engine import create_engine
from convos_server.db.migrate import alembic_config, upgrade_to_head
from convos_server.db.models import Base
from convos_server.db.text_index import include_name
from tests.server.conftest import BACKENDS


def _diff(connection):
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": include_name}
    )
    return compare_metadata(context, Base.metadata)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_fresh_database_at_head_has_no_diff_to_models(database_url):
    await upgrade_to_head(database_url)
    await upgrade_to_head(database_url)  # a second run is a no-op
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
            tables = await connection.run_sync(lambda sync: sync.dialect.get_table_names(sync))
    finally:
        await engine.dispose()
    assert diff == []
    assert "alembic_version" in tables
    assert set(Base.metadata.tables) <= set(tables)


async def _upgrade(database_url: str, target: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), target))
    finally:
        await engine.dispose()


def _json(value: object) -> object:
    """A JSON column read with plain SQL: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


OLD_ROWS = """
INSERT INTO agents (id, name, email, password_hash, role, active, chosen_status, screen, status,
    created_at) VALUES
    (1, 'Anna Neri', 'anna@x.it', '-', 'agent', TRUE, 'online', 'other', 'online', '2026-01-01'),
    (2, 'Bruno', 'bruno@x.it', '-', 'agent', TRUE, 'online', 'other', 'online', '2026-01-01');
INSERT INTO contacts (id, name, custom, created_at, updated_at)
    VALUES (1, 'Ugo', '{}', '2026-01-01', '2026-01-01');
INSERT INTO inboxes (id, name, channel, assignment, api_key_hash, created_at)
    VALUES (1, 'Sales', 'web', 'manual', '-', '2026-01-01');
INSERT INTO conversations (id, contact_id, inbox_id, origin, created_at, last_message_at)
    VALUES (1, 1, 1, 'chatbot', '2026-01-01', '2026-01-01');
INSERT INTO messages (id, conversation_id, direction, sender_type, sender_name, body, created_at)
    VALUES
    (1, 1, 'system', 'system', 'System', 'Ticket assigned to Anna Neri', '2026-01-01'),
    (2, 1, 'system', 'system', 'System', 'Ticket closed by Bruno', '2026-01-01'),
    (3, 1, 'system', 'system', 'System', 'Ticket closed by Someone Renamed', '2026-01-01'),
    (4, 1, 'in', 'contact', 'Ugo', 'Ticket closed by Bruno', '2026-01-01');
INSERT INTO activities (id, contact_id, kind, text, agent_id, created_at) VALUES
    (1, 1, 'ticket_opened', 'Ticket opened', NULL, '2026-01-01'),
    (2, 1, 'ticket_assigned', 'Ticket assigned to Anna Neri', 1, '2026-01-01'),
    (3, 1, 'ticket_reopened', 'Ticket reopened by Bruno', 2, '2026-01-01'),
    (4, 1, 'profile_edited', 'Profile edited by Bruno: email, custom', 2, '2026-01-01');
"""


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrade_from_0001_gives_old_lines_and_activities_kinds_and_params(database_url):
    await _upgrade(database_url, "0001")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in OLD_ROWS.split(";"):
                if statement.strip():
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()
    await upgrade_to_head(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            lines = (
                await connection.execute(
                    text("SELECT id, system_kind, system_params FROM messages ORDER BY id")
                )
            ).all()
            feed = (
                await connection.execute(text("SELECT kind, params FROM activities ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    assert [(i, k, _json(p)) for i, k, p in lines] == [
        (1, "ticket.assigned", {"agent_id": 1, "by_agent_id": None}),
        (2, "ticket.closed", {"by_agent_id": 2}),
        (3, None, None),  # the agent is not found by name: shown as written
        (4, None, None),  # not a system line
    ]
    assert [(k, _json(p)) for k, p in feed] == [
        ("ticket.opened", {"by_agent_id": None}),
        ("ticket.assigned", {"agent_id": 1, "by_agent_id": None}),
        ("ticket.reopened", {"by_agent_id": 2}),
        ("contact.edited", {"by_agent_id": 2, "fields": ["email", "custom"]}),
    ]


async def _downgrade(database_url: str, target: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), target))
    finally:
        await engine.dispose()


async def _revision_triggers(database_url: str) -> set[str]:
    """The names of the revision triggers (SQLite: one per event, PostgreSQL: per table)."""
    engine = create_engine(database_url)
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%revision%'"
        if database_url.startswith("sqlite")
        else "SELECT tgname || ' ON ' || tgrelid::regclass::text FROM pg_trigger "
        "WHERE tgname LIKE '%revision%'"
    )
    try:
        async with engine.connect() as connection:
            return set((await connection.execute(text(query))).scalars())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_conversation_revision_downgrades_to_0010_and_back(database_url):
    """0011 down gives 0010's triggers again (the message-level ones on the tickets), 0010
    down drops them all, and head again has no diff to ``models.py``."""
    await upgrade_to_head(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:  # rows that refer to the conversations
            for statement in OLD_ROWS.split(";"):
                if statement.strip():
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()
    at_head = await _revision_triggers(database_url)
    await _downgrade(database_url, "0010")
    at_0010 = await _revision_triggers(database_url)
    await _downgrade(database_url, "0009")
    assert await _revision_triggers(database_url) == set()
    await _upgrade(database_url, "0010")
    assert await _revision_triggers(database_url) == at_0010
    await upgrade_to_head(database_url)
    assert await _revision_triggers(database_url) == at_head
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()
    if database_url.startswith("sqlite"):
        assert "conversations_revision_insert" in at_head
        assert "conversations_revision_insert" not in at_0010
        assert "conversations_revision_update" in at_0010  # 0010's, on last_message_id
    else:
        assert "conversations_revision ON conversations" in at_0010 & at_head


async def _sqlite(database_url: str, *statements: str) -> list[tuple]:
    """Run ``statements`` in one transaction; the rows of the last."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


_EVENT = (
    "INSERT INTO events (type, data, inbox_id, agent_id, created_at)"
    " VALUES ('presence.changed', '{}', NULL, NULL, '2026-01-01 00:00:00.000000')"
)
_NEXT_ID = (_EVENT, "SELECT max(id) FROM events")
_EVENTS_TABLE = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'"


async def test_0013_drops_the_events_autoincrement_and_keeps_the_ids_past_every_used_one(
    database_url,
):
    """SQLite: the newest events deleted before the upgrade (the sequence past the largest id
    left): a row holds the sequence's value, so the next id is past it, and still after the
    downgrade, which gives ``AUTOINCREMENT`` back without that row."""
    await _upgrade(database_url, "0012")
    await _sqlite(database_url, *[_EVENT] * 5, "DELETE FROM events WHERE id > 3")
    assert await _sqlite(database_url, "SELECT seq FROM sqlite_sequence") == [(5,)]
    await upgrade_to_head(database_url)
    ((table,),) = await _sqlite(database_url, _EVENTS_TABLE)
    assert "AUTOINCREMENT" not in table.upper()
    assert await _sqlite(database_url, "SELECT id, type FROM events WHERE id > 3") == [
        (5, "events.skipped")
    ]
    assert await _sqlite(database_url, *_NEXT_ID) == [(6,)]
    await _downgrade(database_url, "0012")
    ((table,),) = await _sqlite(database_url, _EVENTS_TABLE)
    assert "AUTOINCREMENT" in table.upper()
    assert await _sqlite(database_url, "SELECT id FROM events") == [(1,), (2,), (3,), (6,)]
    assert await _sqlite(database_url, *_NEXT_ID) == [(7,)]
    await upgrade_to_head(database_url)
    assert await _sqlite(database_url, *_NEXT_ID) == [(8,)]

"""Event ids after migration 0013: the retention's prune by id (no ``created_at`` index), and
ids never given twice without SQLite's ``AUTOINCREMENT``."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select, text

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services.events import EventBus, prune_statement, resume_point_query
from tests.server.conftest import BACKENDS

DAY = dt.timedelta(days=1)


async def _write_events(db: Database, ages_in_days: list[float]) -> list[int]:
    """One event per age (in id order), created that many days ago; their ids."""
    now = m.utcnow()
    async with db.transaction() as session:
        for age in ages_in_days:
            await session.execute(
                insert(m.Event).values(
                    type="presence.changed", data="{}", created_at=now - age * DAY
                )
            )
    return await _ids(db)


async def _ids(db: Database) -> list[int]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(m.Event.id).order_by(m.Event.id))).all())


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_prune_deletes_the_events_before_the_first_one_it_keeps(settings):
    """Ids deleted are a prefix: an old event after a newer one (a clock set back) stays until
    the events before it go; with no event within the retention all but the newest go."""
    db = Database(settings.database_url)
    try:
        ids = await _write_events(db, [9, 8, 3, 9, 2])
        assert await EventBus(db).prune(retention_days=7) == 2
        assert await _ids(db) == ids[2:]
        assert await EventBus(db).prune(retention_days=7) == 0
        assert await EventBus(db).prune(retention_days=1) == 2
        assert await _ids(db) == ids[-1:]
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_id_is_never_given_again_after_the_prune(settings):
    db = Database(settings.database_url)
    try:
        ids = await _write_events(db, [9, 9, 9])
        assert await EventBus(db).prune(retention_days=1) == 2
        assert await _ids(db) == ids[-1:]
        assert await _write_events(db, [0]) == [ids[-1], ids[-1] + 1]
    finally:
        await db.dispose()


async def test_sqlite_events_have_no_autoincrement_and_the_prune_reads_by_id(settings):
    """A message's commit no longer writes ``sqlite_sequence``'s page; the prune reads the
    events by their primary key (the ``created_at`` index is gone), without a sort."""
    db = Database(settings.database_url)
    try:
        await _write_events(db, [9, 0])
        async with db.sessionmaker() as session:
            table = await session.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'")
            )
            sequence = await session.scalar(
                text("SELECT count(*) FROM sqlite_sequence WHERE name = 'events'")
            )
            indexes = set(
                (
                    await session.scalars(
                        text(
                            "SELECT name FROM sqlite_master WHERE type = 'index'"
                            " AND tbl_name IN ('events', 'messages')"
                        )
                    )
                ).all()
            )
            statement = prune_statement(m.utcnow()).compile(
                dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
            )
            plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {statement}"))).all()
    finally:
        await db.dispose()
    assert "AUTOINCREMENT" not in table.upper()
    assert sequence == 0
    assert "ix_events_created_at" not in indexes
    assert "ix_messages_ticket_id" not in indexes
    details = [row[-1] for row in plan]
    assert "SEARCH events USING INTEGER PRIMARY KEY (rowid<?)" in details
    assert not any("TEMP B-TREE" in detail for detail in details)


async def test_sqlite_reads_a_streams_resume_point_without_scanning_the_events(settings):
    """The newest and oldest ids at the primary key's ends, the cursor by its id: no scan of
    the events (both aggregates in one ``SELECT`` scanned them all, through the dropped
    ``created_at`` index before 0013, the table itself after)."""
    db = Database(settings.database_url)
    try:
        ids = await _write_events(db, [2, 1, 0])
        async with db.sessionmaker() as session:
            statement = resume_point_query(ids[1]).compile(
                dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
            )
            plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {statement}"))).all()
        assert await EventBus(db).resume_point(ids[1]) == (ids[-1], True)
        assert await EventBus(db).resume_point(ids[-1] + 1) == (ids[-1], False)
    finally:
        await db.dispose()
    details = [row[-1] for row in plan]
    assert not any(detail.startswith("SCAN events") for detail in details), details
    assert "SEARCH events USING INTEGER PRIMARY KEY (rowid=?)" in details

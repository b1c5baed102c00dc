"""The text filters served by the trigram indexes (migration 0008) keep their meaning.

``q=`` of the Ticket and Conversazioni histories and ``GET /search/messages`` find what a
literal, case-insensitive substring test of the rows finds (message bodies, notes, system
lines; contacts' name, phone and email), whether the index narrows the candidates or the
rows are tested one by one (many candidates, or fewer than three characters). The indexes
follow inserts, edits and deletes; the migration fills them and its downgrade removes them.
SQLite's index of message bodies is a batch behind at most (migration 0012): a search finds
the newest messages all the same, edits and deletes keep it right on both sides of its mark,
and a start indexes what a crash left behind.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from convos_server.app import create_app
from convos_server.db import models as m
from convos_server.db import text_index
from convos_server.db.engine import Database, create_engine
from convos_server.db.migrate import MIGRATIONS_DIR, alembic_config, upgrade_to_head
from convos_server.services import search
from tests.server.conftest import BACKENDS

BODIES = (
    "Vorrei un rimborso",
    "RIMBORSO urgente 50% subito",
    "ordine_123 spedito",
    'dice "ciao" a tutti',
    "un caffè al bar",
    "CAFFÈ LUNGO",
)
QUERIES = (
    "rimborso",
    "RIMB",
    "50%",
    "_123",
    '"ciao"',
    "caff",
    "FFÈ",
    "caffe",  # accents are not folded away
    "ri",  # fewer than three characters: no trigram
    "%",
    "mario@",
    "333 12",
    "Zoë",
    "interna: rimb",
    "Ticket",  # system lines count, as before
    "nessuno",
)


def folded(value: str, backend: str) -> str:
    """Case folded as ``ILIKE`` folds: SQLite only ASCII letters, PostgreSQL (a UTF-8
    database) every letter."""
    if backend == "postgres":
        return value.lower()
    return "".join(c.lower() if c.isascii() else c for c in value)


def found_in(q: str, backend: str, *values: str | None) -> bool:
    """The reference: ``q`` (stripped) in any value, case folded."""
    needle = folded(q.strip(), backend)
    return any(needle in folded(v, backend) for v in values if v)


async def build(ws) -> dict[str, Any]:
    anna = await ws.agent("Anna", online=True)
    team = await ws.team("Team", [anna])
    inbox = await ws.inbox("Sales", team)
    contacts = (
        {"name": "Mario Rossi", "phone": "+39 333 1234567", "email": "mario@example.it"},
        {"name": "Anna Bianchi"},
        {"name": "Zoë Caffè"},
    )
    for n, body in enumerate(BODIES):
        handoff = await ws.handoff(inbox, f"c{n}", body, **contacts[n % len(contacts)])
        if n == 0:
            await ws.call(
                "POST",
                f"/conversations/{handoff['conversation_id']}/messages",
                anna,
                json={"client_id": "note1", "kind": "note", "body": "nota interna: rimborso"},
            )
    return {"anna": anna}


async def expected(ws, q: str, backend: str) -> dict[str, set[int]]:
    """What a literal case-insensitive scan of the rows finds for ``q``."""
    db = ws.http._transport.app.state.db
    async with db.sessionmaker() as session:
        contacts = {
            c.id
            for c in await session.scalars(select(m.Contact))
            if found_in(q, backend, c.name, c.phone, c.email)
        }
        messages = list(await session.scalars(select(m.Message)))
        conversations = {x.conversation_id for x in messages if found_in(q, backend, x.body)}
        hits = [x.id for x in messages if x.direction != "system" and found_in(q, backend, x.body)]
        tickets = {
            t.id
            for t in await session.scalars(select(m.Ticket))
            if t.contact_id in contacts or t.conversation_id in conversations
        }
        matching = {
            c.id
            for c in await session.scalars(select(m.Conversation))
            if c.contact_id in contacts or c.id in conversations
        }
    return {"tickets": tickets, "conversations": matching, "messages": set(hits)}


async def answered(ws, q: str) -> dict[str, set[int]]:
    params = {"q": q, "count": "true", "limit": 100}
    tickets = await ws.call(
        "GET",
        "/tickets",
        params={**params, "view": "all", "sort": "opened", "last_message": "none"},
    )
    assert all(t["last_message"] is None for t in tickets["items"])
    conversations = await ws.call(
        "GET", "/conversations", params={**params, "last_message": "brief"}
    )
    for last in (c["last_message"] for c in conversations["items"]):
        if last is not None:  # None: the test deleted it
            assert (last["reactions"], last["files"], bool(last["body"])) == ([], [], True)
    assert tickets["total"] == len(tickets["items"])
    assert conversations["total"] == len(conversations["items"])
    hits = await ws.call("GET", "/search/messages", params={"q": q, "limit": 100})
    return {
        "tickets": {t["id"] for t in tickets["items"]},
        "conversations": {c["id"] for c in conversations["items"]},
        "messages": {x["id"] for x in hits["items"]},
    }


@pytest.mark.parametrize("backend", BACKENDS)
async def test_text_filters_find_what_a_substring_scan_finds(ws, monkeypatch, backend):
    await build(ws)
    listed = await ws.call("GET", "/tickets", params={"view": "all", "q": "rimborso"})
    assert all(t["last_message"] for t in listed["items"])  # by default, as before
    for cap in (search.NARROW_CAP, 0):  # read through the index; then tested row by row
        monkeypatch.setattr(search, "NARROW_CAP", cap)
        for q in QUERIES:
            assert await answered(ws, q) == await expected(ws, q, backend), (cap, q)
    # the index follows a contact's edit and a message's removal
    db = ws.http._transport.app.state.db
    async with db.sessionmaker() as session:
        mario = await session.scalar(select(m.Contact).where(m.Contact.name == "Mario Rossi"))
        assert mario is not None
    await ws.call("PATCH", f"/contacts/{mario.id}", json={"name": "Mario Verdi"})
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM messages WHERE body = 'CAFFÈ LUNGO'"))
    monkeypatch.setattr(search, "NARROW_CAP", 2_000)
    for q in ("verdi", "Rossi", "LUNGO", "caff"):
        assert await answered(ws, q) == await expected(ws, q, backend), q
    if backend == "sqlite":
        async with db.transaction() as session:
            for fts in ("messages_text", "contacts_text"):
                # checks the index against the rows it was built from
                await session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"))


async def _migrate(database_url: str, action: str, target: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: getattr(command, action)(alembic_config(sync), target)
            )
    finally:
        await engine.dispose()


async def _text_objects(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                rows = await connection.execute(
                    text("SELECT name FROM sqlite_master WHERE name LIKE '%\\_text%' ESCAPE '\\'")
                )
            else:
                rows = await connection.execute(
                    text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")
                )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migration_fills_the_index_and_its_downgrade_removes_it(database_url, backend):
    await _migrate(database_url, "upgrade", "0007")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO contacts (id, name, custom, created_at, updated_at)"
                    " VALUES (1, 'Ugo Tognazzi', '{}', '2026-01-01', '2026-01-01')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO inboxes (id, name, channel, assignment, api_key_hash, created_at)"
                    " VALUES (1, 'Sales', 'web', 'manual', '-', '2026-01-01')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO conversations"
                    " (id, contact_id, inbox_id, origin, created_at, last_message_at)"
                    " VALUES (1, 1, 1, 'chatbot', '2026-01-01', '2026-01-01')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO messages"
                    " (id, conversation_id, direction, sender_type, sender_name, body, created_at)"
                    " VALUES (1, 1, 'in', 'contact', 'Ugo', 'Una domanda sul conto', '2026-01-01')"
                )
            )
    finally:
        await engine.dispose()
    await upgrade_to_head(database_url)
    assert await _text_objects(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            for table, q in (("messages_text", "DOMANDA"), ("contacts_text", "tognazz")):
                if backend == "sqlite":
                    found = await connection.scalar(
                        text(f"SELECT rowid FROM {table} WHERE {table} MATCH :q"),
                        {"q": search.fts_phrase(q)},
                    )
                    assert found == 1, table
    finally:
        await engine.dispose()
    await _migrate(database_url, "downgrade", "0007")
    assert await _text_objects(database_url) == set()
    await upgrade_to_head(database_url)
    assert await _text_objects(database_url)


def _migration_0012() -> ModuleType:
    """Migration 0012's module (its file name is no importable module name)."""
    path = MIGRATIONS_DIR / "versions" / "0012_text_index_behind.py"
    spec = importlib.util.spec_from_file_location("_convos_migration_0012", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BATCH: int = _migration_0012().BATCH


async def _mark(db: Database) -> int:
    """The id up to which ``messages_text`` holds the messages."""
    async with db.sessionmaker() as session:
        return int(await session.scalar(text("SELECT upto FROM messages_text_upto")))


async def _in_index(db: Database, q: str) -> set[int]:
    """The messages ``messages_text`` itself finds for ``q`` (no test of the rows)."""
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            text("SELECT rowid FROM messages_text WHERE messages_text MATCH :q"),
            {"q": search.fts_phrase(q)},
        )
        return set(rows)


async def _say(ws, inbox: dict[str, Any], external_id: str, body: str) -> int:
    """A customer message (no hand-off); its id."""
    response = await ws.http.post(
        f"/api/v1/channels/{inbox['id']}/messages",
        headers={"X-Api-Key": inbox["api_key"]},
        json={"contact": {"external_id": external_id}, "text": body},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["message"]["id"])


async def _searched(ws, q: str) -> set[int]:
    hits = await ws.call("GET", "/search/messages", params={"q": q, "limit": 100})
    return {x["id"] for x in hits["items"]}


async def _integrity_check(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            text("INSERT INTO messages_text(messages_text) VALUES ('integrity-check')")
        )


async def test_sqlite_a_message_is_found_before_its_batch_is_indexed(ws):
    """The index takes new messages a batch at a time; a search finds a message answered a
    moment ago all the same (the messages past the mark are tested one by one)."""
    db: Database = ws.http._transport.app.state.db
    inbox = await ws.inbox("Sales", await ws.team("Team", [await ws.agent("Anna")]))
    first = await _say(ws, inbox, "c1", "Una domanda sullo zibaldone")
    assert await _mark(db) < first  # behind: not in the index yet
    assert await _in_index(db, "zibaldone") == set()
    assert await _searched(ws, "zibaldone") == {first}
    assert await _searched(ws, "ZIBAL") == {first}
    mark = await _mark(db)
    ids = [await _say(ws, inbox, "c1", f"riga {n} zibaldone") for n in range(mark + BATCH - first)]
    assert await _mark(db) == ids[-1]  # the batch's last message indexed them all
    assert await _in_index(db, "zibaldone") == {first, *ids}
    assert await _searched(ws, "zibaldone") == {first, *ids}  # each once
    later = await _say(ws, inbox, "c1", "ancora zibaldone")
    assert await _mark(db) == ids[-1]
    assert await _searched(ws, "zibaldone") == {first, *ids, later}
    await _integrity_check(db)


async def test_sqlite_edits_and_deletes_keep_the_index_right_on_both_sides_of_its_mark(ws):
    db: Database = ws.http._transport.app.state.db
    inbox = await ws.inbox("Sales", await ws.team("Team", [await ws.agent("Anna")]))
    start = await _mark(db)
    indexed = [await _say(ws, inbox, "c1", f"vecchio testo {n}") for n in range(BATCH)]
    assert await _mark(db) == indexed[-1] > start
    behind = [await _say(ws, inbox, "c1", f"vecchio testo dopo {n}") for n in range(3)]
    assert await _mark(db) < behind[0]
    async with db.transaction() as session:
        for message_id in (indexed[0], behind[0]):
            await session.execute(
                text("UPDATE messages SET body = 'corretto: ' || id WHERE id = :id"),
                {"id": message_id},
            )
        await session.execute(
            text("DELETE FROM messages WHERE id IN (:a, :b)"), {"a": indexed[1], "b": behind[1]}
        )
    old = set(indexed[2:]) | {behind[2]}
    assert await _searched(ws, "vecchio testo") == old
    assert await _searched(ws, "corretto") == {indexed[0], behind[0]}
    assert await _in_index(db, "corretto") == {indexed[0]}
    async with db.transaction() as session:
        await text_index.catch_up(session)
    assert await _mark(db) == behind[-1]
    assert await _in_index(db, "vecchio testo") == old
    assert await _in_index(db, "corretto") == {indexed[0], behind[0]}
    assert await _searched(ws, "vecchio testo") == old
    await _integrity_check(db)


async def test_sqlite_a_restart_indexes_what_a_crash_left_behind(ws, settings):
    """A process that stopped without catching up (a crash) left messages past the mark: the
    next start indexes them."""
    db: Database = ws.http._transport.app.state.db
    inbox = await ws.inbox("Sales", await ws.team("Team", [await ws.agent("Anna")]))
    left = [await _say(ws, inbox, "c1", f"lasciato indietro {n}") for n in range(3)]
    assert await _mark(db) < left[0]
    restarted = create_app(settings)  # the first app still runs: no shutdown caught it up
    async with restarted.router.lifespan_context(restarted):
        assert await _mark(restarted.state.db) == left[-1]
        assert await _in_index(restarted.state.db, "indietro") == set(left)
    assert await _searched(ws, "indietro") == set(left)
    await _integrity_check(db)

"""Offline message search: the FTS5 index of the cache (migration v4) and its upkeep."""

import json
import sqlite3

import pytest

from convos_desktop.core.store import MIGRATIONS, Store, StoreBatch, fts_query, migrate
from tests.desktop.core import protocol_json as pj


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "cache.sqlite3")
    yield s
    s.close()


async def _ids(store: Store, text: str) -> list[int]:
    return [m.id for m in await store.search_messages(text)]


def test_words_become_quoted_prefixes():
    assert fts_query('rimborso "NEAR" OR x*') == '"rimborso"* "NEAR"* "OR"* "x"*'
    assert fts_query(" ,;- ") == ""


async def test_stored_messages_are_found_by_word_prefix_and_without_accents(store):
    await store.apply(
        StoreBatch(
            messages={
                1: pj.message(1, body="Vorrei il rimborso dell'ordine"),
                2: pj.message(2, 11, body="Perché non arriva?", direction="out"),
                3: pj.message(3, 12, body="rimborso fatto", direction="note"),
                4: pj.message(4, 12, direction="system", body="Ticket closed: rimborso"),
            }
        )
    )
    assert sorted(await _ids(store, "rimb")) == [1, 3]
    assert await _ids(store, "perche arriva") == [2]
    assert await _ids(store, "ordine rimborso") == [1]
    assert await _ids(store, 'NEAR( "x" OR *') == []  # operators are plain words
    assert await _ids(store, "  ") == []


async def test_the_index_follows_replaced_and_dropped_messages(store):
    await store.apply(StoreBatch(messages={1: pj.message(1, body="prima versione")}))
    await store.apply(StoreBatch(messages={1: pj.message(1, body="seconda versione")}))
    assert await _ids(store, "prima") == []
    assert await _ids(store, "seconda") == [1]
    await store.replace_snapshot(pj.snapshot([]), reset=True)  # a reset drops the history
    assert await _ids(store, "versione") == []


def test_v4_indexes_what_the_cache_already_holds(tmp_path):
    path = tmp_path / "cache.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:3])
    for row in (pj.message(1, body="spedizione in ritardo"), pj.message(2, body="altro")):
        conn.execute(
            "INSERT INTO messages (id, conversation_id, json) VALUES (?, ?, ?)",
            (row["id"], row["conversation_id"], json.dumps(row)),
        )
    assert migrate(conn) == len(MIGRATIONS) == 4
    [(found,)] = conn.execute("SELECT rowid FROM message_text WHERE message_text MATCH 'ritard*'")
    assert found == 1
    conn.close()

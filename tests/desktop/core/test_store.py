"""Store: schema migrations, cache reads, local echo rows and snapshot replacement."""

import datetime as dt
import json
import sqlite3
import statistics
import time

import pytest

from convos_desktop.core.store import (
    MIGRATIONS,
    Store,
    StoreBatch,
    StoreVersionError,
    migrate,
    ticket_in_view,
)
from convos_desktop.core.types import (
    Counts,
    Delivery,
    Direction,
    ListedTicket,
    Message,
    SystemLine,
    Ticket,
    View,
)
from tests.desktop.core import protocol_json as pj


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "cache.sqlite3")
    yield s
    s.close()


def user_version(path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_new_file_gets_the_newest_schema_in_wal_mode(tmp_path):
    path = tmp_path / "cache.sqlite3"
    Store(path).close()
    assert user_version(path) == len(MIGRATIONS)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_the_data_and_runs_no_migration_twice(tmp_path):
    path = tmp_path / "cache.sqlite3"
    first = Store(path)
    first.write_blocking(lambda c: c.execute("INSERT INTO kv VALUES ('event_seq', '7')"))
    first.close()
    second = Store(path)
    assert second.event_seq() == 7
    second.close()


def test_migrations_run_in_order_from_the_file_version(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    ran: list[int] = []
    steps = [lambda c, n=n: ran.append(n) for n in range(3)]
    assert migrate(conn, steps[:1]) == 1
    assert migrate(conn, steps) == 3
    assert ran == [0, 1, 2]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3


def test_a_failing_migration_rolls_back_and_keeps_the_old_version(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)

    def create(c):
        c.execute("CREATE TABLE a (x)")

    def broken(c):
        c.execute("CREATE TABLE b (x)")
        raise RuntimeError("boom")

    migrate(conn, [create])
    with pytest.raises(RuntimeError, match="boom"):
        migrate(conn, [create, broken])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"a"}


def test_a_cache_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreVersionError):
        Store(path)


async def test_views_and_counts_follow_status_and_assignee(store):
    await store.replace_snapshot(
        pj.snapshot(
            [
                pj.ticket(100, 10, assignee_id=1),
                pj.ticket(101, 11, assignee_id=None),
                pj.ticket(102, 12, assignee_id=2),
            ],
            event_seq=5,
        ),
        reset=False,
    )
    assert [t.id for t in store.tickets(View.MINE, 1)] == [100]
    assert [t.id for t in store.tickets(View.UNASSIGNED, 1)] == [101]
    assert {t.id for t in store.tickets(View.ALL, 1)} == {100, 101, 102}
    assert store.counts(1) == Counts(mine=1, unassigned=1, all=3)
    assert store.event_seq() == 5
    assert store.me() is not None
    assert [a.name for a in store.agents()] == ["Anna", "Bruno"]
    mine = Ticket.from_json(pj.ticket(100, 10, assignee_id=1))
    assert ticket_in_view(mine, View.MINE, 1)
    assert not ticket_in_view(mine, View.UNASSIGNED, 1)


async def test_a_new_snapshot_drops_open_tickets_it_no_longer_has(store):
    await store.replace_snapshot(pj.snapshot([pj.ticket(100), pj.ticket(101, 11)]), reset=False)
    await store.replace_snapshot(pj.snapshot([pj.ticket(101, 11)], event_seq=9), reset=False)
    assert [t.id for t in store.tickets()] == [101]


async def test_pages_go_backwards_oldest_first(store):
    batch = StoreBatch(messages={i: pj.message(i) for i in range(1, 121)}, event_seq=1)
    await store.apply(batch)
    newest = store.messages_page(10)
    assert [m.id for m in newest] == list(range(71, 121))
    older = store.messages_page(10, before_id=newest[0].id)
    assert [m.id for m in older] == list(range(21, 71))
    assert [m.id for m in store.messages_page(10, before_id=21)] == list(range(1, 21))


async def test_a_page_of_50_reads_in_under_2_ms(store):
    batch = StoreBatch(
        messages={i: pj.message(i, conversation_id=i % 20) for i in range(1, 20001)}, event_seq=1
    )
    await store.apply(batch)
    timings = []
    for _ in range(30):
        start = time.perf_counter()
        page = store.messages_page(7, before_id=15000)
        timings.append(time.perf_counter() - start)
    assert len(page) == 50
    assert statistics.median(timings) < 0.002


async def test_outbox_rows_show_as_negative_echo_and_are_replaced_by_the_server_message(store):
    await store.apply(StoreBatch(messages={1: pj.message(1)}, event_seq=1))
    item = await store.outbox_add(
        client_id="c-1", conversation_id=10, kind="text", body="Ciao", reply_to=1, file_ids=()
    )
    page = store.messages_page(10)
    assert [m.id for m in page] == [1, -item.seq]
    echo = page[-1]
    assert echo.delivery is Delivery.PENDING
    assert echo.client_id == "c-1"
    assert echo.reply_preview is not None
    assert echo.reply_preview.id == 1
    applied = await store.apply(
        StoreBatch(messages={2: pj.message(2, body="Ciao", client_id="c-1", direction="out")})
    )
    assert applied.confirmed_client_ids == {"c-1"}
    assert [m.id for m in store.messages_page(10)] == [1, 2]
    assert store.outbox_items() == []


async def test_a_message_updates_its_ticket_last_message(store):
    await store.replace_snapshot(pj.snapshot([pj.ticket(100, 10)]), reset=False)
    applied = await store.apply(
        StoreBatch(messages={5: pj.message(5, body="Nuovo", created_at="2026-03-02T10:00:00.000Z")})
    )
    assert {"last_message", "last_message_at"} <= applied.ticket_fields
    ticket = store.ticket(100)
    assert ticket is not None
    assert ticket.last_message is not None
    assert ticket.last_message.body == "Nuovo"


async def test_read_markers_never_move_back_and_drive_unread(store):
    await store.replace_snapshot(
        pj.snapshot([pj.ticket(100, 10, last_message=pj.message(5))]), reset=False
    )
    assert store.unread_conversation_ids() == {10}
    await store.set_read_marker(10, 5)
    await store.set_read_marker(10, 3)
    assert store.read_marker(10) == 5
    assert store.unread_conversation_ids() == set()


def _rich_message(message_id: int) -> dict:
    """A message using every nested shape: quote, reactions, a file."""
    data = pj.message(message_id, body="Ecco la foto", created_at="2026-03-02T09:30:00.000Z")
    data["reply_preview"] = {
        "id": 1,
        "body": "Mi manda una foto?",
        "sender_name": "Anna",
        "direction": "out",
    }
    data["reactions"] = [{"emoji": "👍", "agent_ids": [1, 2]}]
    data["files"] = [
        {
            "id": 9,
            "name": "foto.jpg",
            "kind": "image",
            "mime": "image/jpeg",
            "size": 2048,
            "sha256": "ab" * 32,
            "width": 640,
            "height": 480,
            "library": False,
            "created_at": pj.T0,
            "url": "/api/v1/files/9",
        }
    ]
    return data


async def test_cached_tickets_and_messages_read_back_as_from_json_builds_them(store):
    rich = _rich_message(5)
    await store.replace_snapshot(pj.snapshot([pj.ticket(100, 10, last_message=rich)]), reset=False)
    expected = Ticket.from_json(pj.ticket(100, 10, last_message=rich))
    assert store.ticket(100) == expected
    assert store.tickets() == [expected]
    assert store.ticket_for_conversation(10) == expected
    (message,) = store.messages_page(10)
    assert message == Message.from_json(rich)
    assert message.files[0].width == 640
    assert message.direction is Direction.IN
    assert message.created_at.tzinfo is dt.UTC


async def test_cached_json_missing_what_from_json_defaults_still_reads(store):
    """Fields the typed decoder requires but ``from_json`` defaults: the slow path reads them."""
    sparse_message = pj.message(5)
    del sparse_message["sender_name"], sparse_message["reactions"]
    sparse = pj.ticket(100, 10, last_message=sparse_message)
    del sparse["reopen_count"]
    sparse["last_message_at"] = None
    await store.replace_snapshot(pj.snapshot([pj.ticket(200, 20)]), reset=False)
    await store.write(
        lambda c: c.execute(
            "INSERT INTO tickets (id, conversation_id, status, assignee_id, last_message_at, "
            "json) VALUES (100, 10, 'open', NULL, ?, ?)",
            (pj.T0, json.dumps(sparse)),
        )
    )
    ticket = store.ticket(100)
    assert ticket == Ticket.from_json(sparse)
    assert ticket is not None
    assert ticket.last_message is not None
    assert (ticket.reopen_count, ticket.last_message.sender_name) == (0, "")
    assert ticket.last_message_at == ticket.opened_at
    assert [t.id for t in store.tickets()] == [200, 100]


async def test_a_read_marker_already_passed_writes_nothing(store):
    await store.set_read_marker(10, 5)
    statements: list[str] = []
    conn = store._writer_conn
    assert conn is not None
    store._writer.submit(conn.set_trace_callback, statements.append).result()

    await store.set_read_marker(10, 5)
    await store.set_read_marker(10, 3)
    assert statements == []
    await store.set_read_marker(10, 6)
    assert "BEGIN IMMEDIATE" in statements
    assert store.read_marker(10) == 6


def test_v2_forgets_the_history_of_conversations_with_system_lines_without_a_kind(tmp_path):
    path = tmp_path / "cache.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:1])
    old_line = pj.message(1, 10, direction="system", body="Ticket closed by Anna")
    new_line = {**pj.message(2, 20, direction="system", body="Ticket closed by Anna")}
    new_line["system"] = {"kind": "ticket.closed", "params": {"by_agent_id": 1}}
    rows = [old_line, pj.message(3, 10), new_line, pj.message(4, 30)]
    for row in rows:
        conn.execute(
            "INSERT INTO messages (id, conversation_id, json) VALUES (?, ?, ?)",
            (row["id"], row["conversation_id"], json.dumps(row)),
        )
    conn.executemany("INSERT INTO history (conversation_id, synced) VALUES (?, 1)", [(10,), (20,)])
    assert migrate(conn, MIGRATIONS[:2]) == 2
    assert [r[0] for r in conn.execute("SELECT id FROM messages ORDER BY id")] == [2, 4]
    assert [r[0] for r in conn.execute("SELECT conversation_id FROM history")] == [20]
    conn.close()
    store = Store(path)
    try:
        [line] = store.messages_page(20)  # the typed decoder reads the kind
    finally:
        store.close()
    assert line.system == SystemLine("ticket.closed", {"by_agent_id": 1})


async def test_listed_tickets_decode_the_columns_a_full_record_gives(store):
    inbound = pj.message(7, 10, body="  una   riga\n" + "lunga " * 50)
    outbound = pj.message(8, 11, direction="out", created_at="2026-03-02T09:00:00.000Z")
    labelled = {
        **pj.ticket(102, 12, status="snoozed"),
        "snoozed": True,
        "snoozed_by": 1,
        "label_ids": [3, 1],
    }
    without_time = pj.ticket(103, 13, assignee_id=1)  # from_json's default: opened_at
    del without_time["last_message_at"]
    snapshot = pj.snapshot(
        [
            pj.ticket(100, 10, last_message=inbound),
            pj.ticket(101, 11, assignee_id=2, last_message=outbound),
            labelled,
            without_time,
        ]
    )
    await store.replace_snapshot(snapshot, reset=False)
    full = store.tickets()
    assert len(full) == 4
    assert store.listed_tickets() == [ListedTicket.of(t) for t in full]
    listed = {t.id: t for t in store.listed_tickets()}
    assert listed[100].last_id == 7  # a customer's last message: the unread mark's id
    assert listed[101].last_id is None
    assert listed[102].label_ids == (3, 1)
    assert listed[102].snoozed
    assert all(listed[t.id].last_message_at == t.last_message_at for t in full)
    me = 1
    assert [t.id for t in store.listed_tickets(View.MINE, me, limit=5)] == [
        t.id for t in store.tickets(View.MINE, me, limit=5)
    ]
    assert await store.read_listed(1, 2) == [ListedTicket.of(t) for t in full[1:3]]


async def test_shrinking_the_page_caches_keeps_every_read_and_write(store):
    batch = StoreBatch(messages={i: pj.message(i) for i in range(1, 121)}, event_seq=1)
    await store.apply(batch)
    newest = store.messages_page(10)
    await store.shrink_memory()  # both connections, the writer's on its thread
    assert store.messages_page(10) == newest
    await store.kv_set("after", 1)
    assert store.kv_get("after") == 1

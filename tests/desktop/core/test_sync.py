"""Sync without a network: idempotent event application, coalescing, cached start."""

import pytest

from convos_desktop.core import sync as sync_module
from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import ServerEvent
from convos_desktop.core.store import Store
from convos_desktop.core.sync import ALL_FIELDS, Sync
from convos_desktop.core.types import (
    ContactsChanged,
    Counts,
    MessagesChanged,
    PresenceChanged,
    Status,
    TicketsChanged,
)
from tests.desktop.core import protocol_json as pj

UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens, nothing is sent


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "cache.sqlite3")
    await s.replace_snapshot(pj.snapshot([pj.ticket(100, 10)], event_seq=10), reset=False)
    yield s
    s.close()


@pytest.fixture
async def sync(store):
    api = ApiClient(UNREACHABLE, "token")
    s = Sync(store, api)
    yield s
    await s.stop()
    await api.aclose()


class Recorder:
    """Collects every signal of a Sync."""

    def __init__(self, sync: Sync) -> None:
        self.tickets: list[TicketsChanged] = []
        self.messages: list[MessagesChanged] = []
        self.counts: list[Counts] = []
        self.presence: list[PresenceChanged] = []
        self.contacts: list[ContactsChanged] = []
        sync.tickets_changed.connect(self.tickets.append)
        sync.messages_changed.connect(self.messages.append)
        sync.counts_changed.connect(self.counts.append)
        sync.presence_changed.connect(self.presence.append)
        sync.contacts_changed.connect(self.contacts.append)


def ticket_event(seq: int, assignee_id: int | None, changed=("assignee_id",)) -> ServerEvent:
    return ServerEvent(
        seq,
        "ticket.updated",
        {
            "ticket": pj.ticket(100, 10, assignee_id=assignee_id),
            "contact": pj.contact(),
            "changed": list(changed),
        },
    )


def message_event(seq: int, message_id: int) -> ServerEvent:
    return ServerEvent(seq, "message.created", {"message": pj.message(message_id)})


async def test_cached_state_is_emitted_before_any_network(sync):
    seen = Recorder(sync)
    sync.emit_cached()
    assert [t.id for t in seen.tickets[0].listed] == [100]  # the cache's copies: columns only
    assert seen.tickets[0].upserted == ()
    assert ALL_FIELDS in seen.tickets[0].fields
    assert seen.counts == [Counts(mine=0, unassigned=1, all=1)]


async def test_the_same_event_twice_changes_nothing(sync, store):
    seen = Recorder(sync)
    sync.receive(message_event(11, 1))
    await sync.flush()
    sync.receive(message_event(11, 1))
    sync.receive(message_event(10, 2))  # older than the cursor: already applied
    await sync.flush()
    assert len(seen.messages) == 1
    assert [m.id for m in store.messages_page(10)] == [1]
    assert store.event_seq() == 11


async def test_a_replayed_stream_after_restart_applies_only_new_events(store, tmp_path):
    api = ApiClient(UNREACHABLE, "token")
    first = Sync(store, api)
    first.receive(message_event(11, 1))
    await first.flush()
    second = Sync(store, api)  # a restart: the cursor comes from the store
    seen = Recorder(second)
    second.receive(message_event(11, 1))
    second.receive(message_event(12, 2))
    await second.flush()
    assert [len(c.upserted) for c in seen.messages] == [1]
    assert [m.id for m in store.messages_page(10)] == [1, 2]
    await api.aclose()


async def test_a_burst_is_written_once_with_the_union_of_fields(sync, store):
    seen = Recorder(sync)
    sync.receive(ticket_event(11, 1))
    sync.receive(ticket_event(12, None, changed=("status",)))
    sync.receive(ticket_event(13, 1))
    for seq in range(14, 64):
        sync.receive(message_event(seq, seq))
    await sync.flush()
    assert len(seen.tickets) == 1
    change = seen.tickets[0]
    assert [t.id for t in change.upserted] == [100]
    assert change.upserted[0].assignee_id == 1
    assert {"assignee_id", "status", "last_message"} <= change.fields
    assert len(seen.messages) == 1
    assert len(seen.messages[0].upserted) == 50
    assert seen.counts[-1] == Counts(mine=1, unassigned=0, all=1)
    assert store.event_seq() == 63


async def test_presence_and_directory_events_reach_store_and_signals(sync, store):
    seen = Recorder(sync)
    sync.receive(
        ServerEvent(
            11, "presence.changed", {"agent_id": 2, "status": "busy", "chosen_status": "busy"}
        )
    )
    sync.receive(ServerEvent(12, "contact.updated", {"contact": pj.contact(1, "Maria Rossi")}))
    await sync.flush()
    assert seen.presence[0].status is Status.BUSY
    assert {a.id: a.status for a in store.agents()}[2] is Status.BUSY
    assert seen.contacts[0].contacts[0].name == "Maria Rossi"
    contact = store.contact(1)
    assert contact is not None
    assert contact.name == "Maria Rossi"


async def test_a_bootstrap_removes_tickets_closed_while_offline(sync, store, monkeypatch):
    seen = Recorder(sync)
    fresh = pj.snapshot([pj.ticket(101, 11)], event_seq=20)  # ticket 100 closed meanwhile

    async def bootstrap_json() -> dict[str, object]:
        return fresh

    monkeypatch.setattr(sync.api, "bootstrap_json", bootstrap_json)
    await sync.bootstrap()
    assert [t.id for t in seen.tickets[-1].upserted] == [101]
    assert seen.tickets[-1].removed_ids == (100,)
    assert [t.id for t in store.tickets()] == [101]


async def test_a_bootstrap_with_no_open_tickets_still_empties_the_list(sync, monkeypatch):
    seen = Recorder(sync)

    async def bootstrap_json() -> dict[str, object]:
        return pj.snapshot([], event_seq=20)

    monkeypatch.setattr(sync.api, "bootstrap_json", bootstrap_json)
    await sync.bootstrap()
    assert seen.tickets[-1].removed_ids == (100,)


async def test_counts_are_read_again_only_when_tickets_may_move(sync, store):
    seen = Recorder(sync)
    reads: list[int | None] = []
    count_from_store = store.counts

    def counting(me_id):
        reads.append(me_id)
        return count_from_store(me_id)

    store.counts = counting
    for seq in range(11, 21):
        sync.receive(message_event(seq, seq))
    await sync.flush()
    sync.receive(ticket_event(21, None, changed=("last_message",)))
    await sync.flush()
    assert reads == []
    sync.receive(ticket_event(22, 1))  # assigned to me: the views' counts move
    await sync.flush()
    assert len(reads) == 1
    assert seen.counts[-1] == Counts(mine=1, unassigned=0, all=1)


@pytest.fixture
async def big_cache(tmp_path):
    """500 open tickets, newest id first; the ten oldest are the agent's own (Mine)."""
    store = Store(tmp_path / "big.sqlite3")
    tickets = [pj.ticket(i, 1000 + i, assignee_id=1 if i <= 10 else None) for i in range(1, 501)]
    await store.replace_snapshot(pj.snapshot(tickets, event_seq=5), reset=False)
    api = ApiClient(UNREACHABLE, "token")
    sync = Sync(store, api)
    yield sync
    await sync.stop()
    await api.aclose()
    store.close()


async def test_a_big_cache_paints_every_view_first_and_the_rest_follows(big_cache):
    seen = Recorder(big_cache)
    big_cache.emit_cached()
    first = {t.id for t in seen.tickets[0].listed}
    assert set(range(301, 501)) <= first  # the top of All and Unassigned
    assert set(range(1, 11)) <= first  # the whole of Mine, oldest of all
    assert len(first) < 500
    assert seen.counts == [Counts(mine=10, unassigned=490, all=500)]
    await big_cache.flush()
    assert {t.id for change in seen.tickets for t in change.listed} == set(range(1, 501))


async def test_news_is_emitted_after_the_cached_copies(big_cache, monkeypatch):
    monkeypatch.setattr(sync_module, "CACHED_SLICE_TICKETS", 100)  # several loop passes
    seen = Recorder(big_cache)
    big_cache.emit_cached()
    taken = pj.ticket(50, 1050, assignee_id=2)  # in the part of the cache read later
    big_cache.receive(
        ServerEvent(6, "ticket.updated", {"ticket": taken, "contact": pj.contact(), "changed": []})
    )
    await big_cache.flush()
    copies = [
        t for change in seen.tickets for t in (*change.listed, *change.upserted) if t.id == 50
    ]
    assert len(copies) == 2
    assert copies[-1].assignee_id == 2

"""Snooze and labels in the cache and sync: snoozed tickets leave the views for Snoozed,
``ticket.woke`` brings them back and is announced, labels follow ``label.changed``."""

import datetime as dt

import pytest

from convos_desktop.core.events import ServerEvent
from convos_desktop.core.store import Store, ticket_in_view
from convos_desktop.core.types import Counts, Ticket, TicketWoke, View
from tests.desktop.core import protocol_json as pj
from tests.desktop.core.test_sync import sync

__all__ = ["sync"]  # the Sync fixture, over this module's store

UNREACHABLE = "http://127.0.0.1:9"
UNTIL = "2026-03-03T09:00:00.000Z"


def snoozed_ticket(ticket_id: int = 100, until: str | None = UNTIL) -> dict:
    return {**pj.ticket(ticket_id, 10), "snoozed": True, "snoozed_until": until, "snoozed_by": 1}


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "cache.sqlite3")
    snapshot = pj.snapshot([snoozed_ticket(), pj.ticket(101, 11)], event_seq=10)
    snapshot["labels"] = [{"id": 5, "name": "VIP", "color": "#ff0000"}]
    await s.replace_snapshot(snapshot, reset=False)
    yield s
    s.close()


def test_a_snoozed_ticket_is_only_in_snoozed(store):
    assert [t.id for t in store.tickets(View.UNASSIGNED, 1)] == [101]
    assert [t.id for t in store.tickets(View.ALL, 1)] == [101]
    assert [t.id for t in store.tickets(View.SNOOZED, 1)] == [100]
    assert sorted(t.id for t in store.tickets()) == [100, 101]
    assert store.counts(1) == Counts(mine=0, unassigned=1, all=1, snoozed=1)
    assert store.inbox_counts(1) == {1: Counts(mine=0, unassigned=1, all=1, snoozed=1)}
    ticket = store.ticket(100)
    assert ticket is not None
    assert ticket.snoozed_until == dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)
    assert ticket_in_view(ticket, View.SNOOZED, 1)
    assert not ticket_in_view(ticket, View.ALL, 1)


def test_ticket_json_without_the_new_fields_reads_as_not_snoozed():
    ticket = Ticket.from_json(pj.ticket())
    assert ticket.snoozed is False
    assert ticket.label_ids == ()


async def test_woke_brings_the_ticket_back_and_is_announced(sync, store):
    woke: list[TicketWoke] = []
    counts: list[Counts] = []
    sync.ticket_woke.connect(woke.append)
    sync.counts_changed.connect(counts.append)
    data = {"ticket": pj.ticket(100, 10), "contact": pj.contact(), "reason": "time"}
    sync.receive(ServerEvent(11, "ticket.woke", {**data, "snoozed_by": 1}))
    await sync.flush()
    assert [(w.ticket.id, w.reason, w.snoozed_by) for w in woke] == [(100, "time", 1)]
    assert counts[-1] == Counts(mine=0, unassigned=2, all=2, snoozed=0)
    assert [t.id for t in store.tickets(View.SNOOZED, 1)] == []


async def test_labels_follow_label_changed(sync, store):
    assert [label.name for label in store.labels()] == ["VIP"]
    renamed = {"label": {"id": 5, "name": "Gold", "color": "#ffaa00"}, "deleted": False}
    added = {"label": {"id": 6, "name": "Bug", "color": "#0000ff"}, "deleted": False}
    sync.receive(ServerEvent(11, "label.changed", renamed))
    sync.receive(ServerEvent(12, "label.changed", added))
    await sync.flush()
    assert [(label.name, label.color) for label in store.labels()] == [
        ("Bug", "#0000ff"),
        ("Gold", "#ffaa00"),
    ]
    sync.receive(ServerEvent(13, "label.changed", {**added, "deleted": True}))
    await sync.flush()
    assert [label.name for label in store.labels()] == ["Gold"]

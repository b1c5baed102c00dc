"""ListedTicket: every column kept exactly in one compact object that sorts as the list does."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convos_desktop.core.types import ListedTicket, listed_sort_key

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
IDS = st.integers(min_value=1, max_value=2**63 - 1)
COLUMNS = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
WHEN = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
)


def listed(
    ticket_id: int,
    when: dt.datetime,
    *,
    conversation_id: int = 10,
    inbox_id: int = 2,
    contact_id: int = 30,
    status: str = "open",
    assignee_id: int | None = None,
    snoozed: bool = False,
    label_ids: tuple[int, ...] = (),
    last_id: int | None = None,
) -> ListedTicket:
    return ListedTicket(
        ticket_id,
        conversation_id,
        inbox_id,
        contact_id,
        status,
        assignee_id,
        snoozed,
        label_ids,
        listed_sort_key(when, ticket_id),
        last_id,
    )


@given(
    ticket_id=IDS,
    when=WHEN,
    columns=st.tuples(COLUMNS, COLUMNS, COLUMNS),
    status=st.sampled_from(["open", "snoozed", "closed", "archiviato", "è chiuso"]),
    assignee_id=st.none() | COLUMNS,
    snoozed=st.booleans(),
    label_ids=st.lists(COLUMNS, max_size=12).map(tuple),
    last_id=st.none() | COLUMNS,
)
def test_every_column_reads_back_exactly(
    ticket_id, when, columns, status, assignee_id, snoozed, label_ids, last_id
) -> None:
    conversation_id, inbox_id, contact_id = columns
    fields = {
        "conversation_id": conversation_id,
        "inbox_id": inbox_id,
        "contact_id": contact_id,
        "status": status,
        "assignee_id": assignee_id,
        "snoozed": snoozed,
        "label_ids": label_ids,
        "last_id": last_id,
    }
    ticket = listed(ticket_id, when, **fields)
    assert ticket.id == ticket_id
    assert (ticket.conversation_id, ticket.inbox_id, ticket.contact_id) == columns
    assert ticket.status == status
    assert ticket.is_open is (status == "open")
    assert ticket.assignee_id == assignee_id
    assert ticket.snoozed is snoozed
    assert ticket.label_ids == label_ids
    assert ticket.last_id == last_id
    assert ticket.key == listed_sort_key(when, ticket_id)
    assert ticket.last_message_at == when
    again = listed(ticket_id, when, **fields)
    assert again == ticket
    assert hash(again) == hash(ticket)
    assert f"id={ticket_id}," in repr(ticket)
    assert str(ticket) == repr(ticket)


@given(st.lists(st.tuples(IDS, st.sampled_from([0, 1, 2]) | WHEN), min_size=2, max_size=40))
def test_listed_tickets_sort_as_their_keys_ties_by_id(rows) -> None:
    """Sorting the objects themselves (what the list model and its bisection do) is the order
    of ``listed_sort_key``: newest activity first, then the newest id, same times included."""
    seen: dict[int, ListedTicket] = {}
    for ticket_id, when in rows:
        at = when if isinstance(when, dt.datetime) else EPOCH + dt.timedelta(hours=when)
        seen[ticket_id] = listed(ticket_id, at, inbox_id=ticket_id % 7)
    tickets = list(seen.values())
    assert [t.id for t in sorted(tickets)] == [t.id for t in sorted(tickets, key=lambda t: t.key)]
    for ticket in tickets:  # the sort pairs order as the keys (the model's bisections)
        assert all(
            (other.sort_pair < ticket.sort_pair) == (other.key < ticket.key) for other in tickets
        )


def test_a_changed_column_is_a_different_ticket() -> None:
    when = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)
    base = listed(7, when)
    assert base == listed(7, when)
    for changed in (
        listed(7, when, assignee_id=0),
        listed(7, when, label_ids=(1,)),
        listed(7, when, status="snoozed"),
        listed(7, when, snoozed=True),
        listed(7, when, last_id=0),
        listed(7, when + dt.timedelta(microseconds=1)),
    ):
        assert changed != base


def test_copies_and_pickles_keep_the_type_and_columns() -> None:
    ticket = listed(
        5, EPOCH - dt.timedelta(days=3), status="weird", label_ids=(3, 2**40), last_id=9
    )
    for again in (copy.copy(ticket), copy.deepcopy(ticket), pickle.loads(pickle.dumps(ticket))):
        assert type(again) is ListedTicket
        assert again == ticket
        assert again.label_ids == (3, 2**40)
        assert again.status == "weird"


def test_a_sort_key_of_another_ticket_is_refused() -> None:
    with pytest.raises(ValueError, match="sort key"):
        ListedTicket(5, 1, 1, 1, "open", None, False, (), listed_sort_key(EPOCH, 6), None)


def test_ten_thousand_listed_tickets_hold_no_python_int_each() -> None:
    """A listed ticket is one object of about 100 bytes (issue 16): the ten-field dataclass
    held ~290 bytes a ticket with its ids, sort key and status (2.8 MiB for 10,000)."""
    when = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tickets = [  # new ints for every column, as the cache's decoder makes them
            ListedTicket(
                i,
                10**6 + i,
                1,
                2 * 10**6 + i,
                "open",
                3,
                False,
                (),
                listed_sort_key(when, i),
                10**7 + i,
            )
            for i in range(10**5, 10**5 + 10_000)
        ]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(tickets) == 10_000
    assert held / 10_000 <= 128  # the object and its list slot

"""ListedById: the ticket list's known tickets by id, as a sorted id array beside their
columns in one bytearray (no dict, no object a ticket)."""

from __future__ import annotations

import datetime as dt
import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from convos_desktop.core.types import ListedTicket, listed_sort_key
from convos_desktop.models.ticket_list import ListedById

WHEN = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)


def listed(ticket_id: int, version: int = 0) -> ListedTicket:
    """A ticket whose conversation is ``version`` and contact ``version % 3``; an odd version
    has labels, version 9 a status of its own (the bytes kept after the fixed columns)."""
    return ListedTicket(
        ticket_id,
        version,
        1,
        version % 3,
        "pending" if version == 9 else "open",
        None,
        False,
        tuple(range(version)) if version % 2 else (),
        listed_sort_key(WHEN, ticket_id),
        None,
    )


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(1, 300), st.integers(0, 9)),
        st.tuples(st.just("pop"), st.integers(1, 300), st.just(0)),
        st.tuples(
            st.just("put_all"),
            st.lists(st.tuples(st.integers(1, 300), st.integers(0, 9)), max_size=150),
            st.just(0),
        ),
    ),
    max_size=30,
)


@given(OPS)
def test_it_behaves_as_a_dict_by_id(ops) -> None:
    known = ListedById()
    reference: dict[int, ListedTicket] = {}
    for op, arg, version in ops:
        if op == "put":
            known.put(listed(arg, version))
            reference[arg] = listed(arg, version)
        elif op == "pop":
            known.pop(arg)
            reference.pop(arg, None)
        else:
            batch = [listed(ticket_id, v) for ticket_id, v in arg]
            known.put_all(batch)  # small batches one at a time, large ones merged
            reference.update((t.id, t) for t in batch)  # a later copy wins
        assert len(known) == len(reference)
        assert known.values() == [reference[i] for i in sorted(reference)]
        for value in range(10):
            assert known.ids_of_conversation(value) == sorted(
                i for i, t in reference.items() if t.conversation_id == value
            )
        for value in range(3):
            assert known.ids_of_contact(value) == sorted(
                i for i, t in reference.items() if t.contact_id == value
            )
    for ticket_id in range(302):
        assert (ticket_id in known) == (ticket_id in reference)
        assert known.get(ticket_id) == reference.get(ticket_id)
    known.clear()
    assert len(known) == 0
    assert known.get(1) is None


def test_ten_thousand_known_tickets_cost_72_bytes_each_themselves_included() -> None:
    """Kept as objects, each ticket held 112 bytes and 16 more for its id and list slot; as
    columns 60 (its id, its other fixed columns), and the spare room a bytearray and an
    array keep when they grow by one (up to an eighth: 68)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        known = ListedById()
        known.put_all([listed(ticket_id) for ticket_id in range(10**5, 10**5 + 10_000, 2)])
        known.put_all([listed(ticket_id) for ticket_id in range(10**5 + 1, 10**5 + 10_000, 2)])
        known.put(listed(1))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(known) == 10_001
    assert held / len(known) <= 72

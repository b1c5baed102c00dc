"""ListedById: the ticket list's known tickets by id, as a sorted id array (no dict)."""

from __future__ import annotations

import datetime as dt
import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from convos_desktop.core.types import ListedTicket, listed_sort_key
from convos_desktop.models.ticket_list import ListedById

WHEN = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)


def listed(ticket_id: int, version: int = 0) -> ListedTicket:
    return ListedTicket(
        ticket_id, version, 1, 1, "open", None, False, (), listed_sort_key(WHEN, ticket_id), None
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
    for ticket_id in range(302):
        assert (ticket_id in known) == (ticket_id in reference)
        assert known.get(ticket_id) == reference.get(ticket_id)
    known.clear()
    assert len(known) == 0
    assert known.get(1) is None


def test_ten_thousand_known_tickets_cost_16_bytes_each_beside_them() -> None:
    """A dict by id held ~56 bytes a ticket (its table and an int object for each key)."""
    tickets = [listed(ticket_id) for ticket_id in range(10**5, 10**5 + 10_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        known = ListedById()
        known.put_all(tickets)
        known.put(listed(1))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(known) == 10_001
    assert held / len(known) <= 20

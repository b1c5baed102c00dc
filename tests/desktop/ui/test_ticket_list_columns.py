"""TicketListModel over its columns: any sequence of sync batches, views and filters lists
the same rows as a plain sort of the tickets it was told about (checked by Qt's model
tester on every signal), and the model holds no object a ticket."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convos_desktop.core.store import ticket_in_view
from convos_desktop.core.types import ListedTicket, Ticket, TicketsChanged, View
from convos_desktop.models.directory import Directory
from convos_desktop.models.ticket_list import TicketListModel, TicketRole
from tests.desktop.ui.conftest import ME, OTHER, make_ticket

TICKET = st.tuples(
    st.integers(1, 120),  # id
    st.sampled_from([0, 1, 2, 2, 3.5]),  # minutes: ties in time
    st.sampled_from(["open", "open", "open", "closed"]),
    st.sampled_from([None, ME.id, OTHER.id]),
    st.booleans(),  # snoozed
    st.sampled_from([(), (), (1,), (1, 2), (2,)]),  # labels
    st.sampled_from([1, 1, 2]),  # inbox
    st.booleans(),  # a last message (else none: unread marks without one)
)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("upserted"), st.lists(TICKET, max_size=6)),
        st.tuples(st.just("listed"), st.lists(TICKET, max_size=90)),  # merged from 64
        st.tuples(st.just("removed"), st.lists(st.integers(1, 120), max_size=4)),
        st.tuples(
            st.just("view"), st.tuples(st.sampled_from(list(View)), st.sampled_from([None, 2]))
        ),
        st.tuples(st.just("label"), st.sampled_from([None, 1, 2])),
    ),
    max_size=25,
)


def ticket_of(
    spec: tuple[int, float, str, int | None, bool, tuple[int, ...], int, bool],
) -> Ticket:
    ticket_id, minutes, status, assignee_id, snoozed, labels, inbox_id, has_last = spec
    ticket = make_ticket(ticket_id, minutes=minutes, status=status, assignee_id=assignee_id)
    return replace(
        ticket,
        snoozed=snoozed,
        label_ids=labels,
        contact_id=ticket_id % 7 + 1,
        inbox_id=inbox_id,
        last_message=ticket.last_message if has_last else None,
    )


def rows(model: TicketListModel) -> list[int]:
    return [model.data(model.index(row), TicketRole.TICKET_ID) for row in range(model.rowCount())]


def expected(model: TicketListModel, known: dict[int, Ticket]) -> list[int]:
    shown = [
        ticket
        for ticket in known.values()
        if ticket_in_view(ticket, model.view, ME.id)
        and (model.inbox_id is None or ticket.inbox_id == model.inbox_id)
        and (model.label_id is None or model.label_id in ticket.label_ids)
    ]
    shown.sort(key=lambda t: (t.last_message_at, t.id), reverse=True)
    return [ticket.id for ticket in shown]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPS)
def test_any_batches_list_the_rows_a_plain_sort_lists(
    qtmodeltester, directory: Directory, ops
) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    qtmodeltester.check(model)
    known: dict[int, Ticket] = {}
    for op, arg in ops:
        if op in ("upserted", "listed"):
            tickets = [ticket_of(spec) for spec in arg]
            if op == "upserted":
                model.apply(TicketsChanged(upserted=tuple(tickets)))
            else:
                model.apply(TicketsChanged(listed=tuple(ListedTicket.of(t) for t in tickets)))
            for ticket in tickets:
                known[ticket.id] = ticket
                if not ticket.is_open:
                    del known[ticket.id]
        elif op == "removed":
            model.apply(TicketsChanged(removed_ids=tuple(arg)))
            for ticket_id in arg:
                known.pop(ticket_id, None)
        elif op == "view":
            model.set_view(*arg)
        else:
            model.set_label_filter(arg)
        listed = rows(model)
        assert listed == expected(model, known)
        assert all(model.row_of(ticket_id) == row for row, ticket_id in enumerate(listed))
        for view in View:
            assert model.count_in(view) == sum(
                ticket_in_view(t, view, ME.id) for t in known.values()
            )
    for row, ticket_id in enumerate(rows(model)):
        index = model.index(row)
        assert model.data(index) == directory.contact_name(known[ticket_id].contact_id)
        assert model.data(index, TicketRole.TIME) == known[ticket_id].last_message_at
        assert model.data(index, TicketRole.LABELS) == directory.labels_of(
            known[ticket_id].label_ids
        )


def test_ten_thousand_rows_hold_no_object_a_ticket(directory: Directory) -> None:
    """The model keeps each listed ticket's columns (~60 bytes) and its row's sort key (16),
    not the object sync sent (112 bytes, with a list slot for its row and one by id)."""
    tickets = [make_ticket(ticket_id, minutes=ticket_id % 500) for ticket_id in range(1, 10_001)]
    model = TicketListModel(directory, records=lambda _ticket_id: None)
    model.set_view(View.UNASSIGNED)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, len(tickets), 1000):  # as the cache's slices come
            batch = tuple(ListedTicket.of(ticket) for ticket in tickets[start : start + 1000])
            model.apply(TicketsChanged(listed=batch))
        del batch
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert model.rowCount() == 10_000
    assert held / 10_000 <= 90

"""TicketListModel: precise inserts, moves and removals; selection follows moved rows."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel

from convos_desktop.core.types import Ticket, TicketsChanged, View
from convos_desktop.models.directory import Directory
from convos_desktop.models.ticket_list import (
    PREVIEW_CHARS,
    PREVIEWS_KEPT,
    ListedTicket,
    TicketListModel,
    TicketRole,
)
from tests.desktop.ui.conftest import ME, make_ticket


def ids(model: TicketListModel) -> list[int]:
    return [model.data(model.index(row), TicketRole.TICKET_ID) for row in range(model.rowCount())]


def test_views_filter_and_sort_newest_first(qtmodeltester, directory: Directory) -> None:
    model = TicketListModel(directory)
    qtmodeltester.check(model)
    model.set_tickets(
        [
            make_ticket(1, minutes=1),
            make_ticket(2, minutes=5, assignee_id=ME.id),
            make_ticket(3, minutes=3),
            make_ticket(4, minutes=9, assignee_id=2),
            make_ticket(5, minutes=2, status="closed"),
        ]
    )
    assert ids(model) == [2]
    model.set_view(View.UNASSIGNED)
    assert ids(model) == [3, 1]
    model.set_view(View.ALL)
    assert ids(model) == [4, 2, 3, 1]
    assert (model.count_in(View.MINE), model.count_in(View.UNASSIGNED)) == (1, 2)
    index = model.index(0)
    assert model.data(index) == "Cliente 4"
    assert model.data(index, TicketRole.INBOX_NAME) == "WhatsApp Vendite"
    assert model.data(index, TicketRole.ASSIGNEE_NAME) == "Marco Bianchi"


def test_events_insert_move_and_remove_without_reset(qtmodeltester, qtbot, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.UNASSIGNED)
    model.set_tickets([make_ticket(i, minutes=i) for i in range(1, 6)])
    qtmodeltester.check(model)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    with qtbot.waitSignal(model.rowsInserted):
        model.apply(TicketsChanged(upserted=(make_ticket(9, minutes=3.5),)))
    assert ids(model) == [5, 4, 9, 3, 2, 1]

    with qtbot.waitSignal(model.rowsMoved):
        model.apply(TicketsChanged(upserted=(make_ticket(1, minutes=20),)))
    assert ids(model) == [1, 5, 4, 9, 3, 2]

    with qtbot.waitSignal(model.rowsMoved):
        model.apply(TicketsChanged(upserted=(make_ticket(5, minutes=0.5),)))
    assert ids(model) == [1, 4, 9, 3, 2, 5]

    with qtbot.waitSignal(model.rowsRemoved):  # taken by me: leaves Unassigned
        model.apply(TicketsChanged(upserted=(make_ticket(4, minutes=4, assignee_id=ME.id),)))
    assert ids(model) == [1, 9, 3, 2, 5]

    with qtbot.waitSignal(model.rowsRemoved):
        model.apply(TicketsChanged(removed_ids=(9,)))
    assert ids(model) == [1, 3, 2, 5]
    assert model.count_in(View.MINE) == 1
    assert not resets


def test_selection_follows_a_moved_row(qtmodeltester, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.set_tickets([make_ticket(i, minutes=i) for i in range(1, 6)])
    qtmodeltester.check(model)
    selection = QItemSelectionModel(model)
    selection.setCurrentIndex(model.index(3), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert selection.currentIndex().data(TicketRole.TICKET_ID) == 2

    model.apply(TicketsChanged(upserted=(make_ticket(2, minutes=30),)))

    assert selection.currentIndex().row() == 0
    assert selection.currentIndex().data(TicketRole.TICKET_ID) == 2
    assert [i.data(TicketRole.TICKET_ID) for i in selection.selectedIndexes()] == [2]


def test_unread_and_draft_markers(qtmodeltester, qtbot, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.set_tickets([make_ticket(1, minutes=1), make_ticket(2, minutes=2)])
    qtmodeltester.check(model)
    row = model.row_of(1)
    assert model.data(model.index(row), TicketRole.UNREAD) is True
    with qtbot.waitSignal(model.dataChanged):
        model.mark_read(1)
    assert model.data(model.index(row), TicketRole.UNREAD) is False

    newer = make_ticket(1, minutes=10)
    model.apply(TicketsChanged(upserted=(newer,)))
    assert model.data(model.index(model.row_of(1)), TicketRole.UNREAD) is True

    with qtbot.waitSignal(model.dataChanged):
        model.set_draft_marker(2, True)
    assert model.data(model.index(model.row_of(2)), TicketRole.HAS_DRAFT) is True
    assert model.data(model.index(model.row_of(1)), TicketRole.HAS_DRAFT) is False


def test_unread_state_is_seeded_from_the_saved_read_markers(qtbot, directory) -> None:
    tickets = [make_ticket(1, minutes=1), make_ticket(2, minutes=2)]
    last = tickets[0].last_message
    assert last is not None
    saved = {1: last.id}  # the store's read markers (conversation -> last message seen)
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.set_tickets(tickets)
    assert model.is_unread(tickets[0])
    with qtbot.waitSignal(model.dataChanged):
        model.set_read_markers(saved.get)
    assert not model.is_unread(tickets[0])
    assert model.is_unread(tickets[1])
    newer = make_ticket(1, minutes=10)
    model.apply(TicketsChanged(upserted=(newer,)))
    assert model.is_unread(newer)


def test_contact_rename_repaints_only_its_rows(qtmodeltester, qtbot, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.set_tickets([make_ticket(1, minutes=1), make_ticket(2, minutes=2)])
    qtmodeltester.check(model)
    renamed = replace(directory.contact(1), name="Giulia Verdi")  # type: ignore[type-var]
    with qtbot.waitSignal(model.dataChanged) as blocker:
        directory.upsert_contacts([renamed])
    assert blocker.args[0].row() == model.row_of(1)
    assert model.data(model.index(model.row_of(1))) == "Giulia Verdi"


def test_a_whole_cached_inbox_arrives_as_one_insert(qtmodeltester, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    qtmodeltester.check(model)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    tickets = [make_ticket(i, minutes=(i * 37) % 500) for i in range(1, 1001)]

    model.apply(TicketsChanged(upserted=tuple(tickets)))

    assert inserts == [(0, 999)]
    expected = sorted(tickets, key=lambda t: (t.last_message_at, t.id), reverse=True)
    assert ids(model) == [t.id for t in expected]


def test_new_tickets_go_in_as_runs_and_the_selection_stays(qtmodeltester, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    model.set_tickets([make_ticket(i, minutes=i * 10) for i in range(1, 4)])  # 30, 20, 10
    qtmodeltester.check(model)
    selection = QItemSelectionModel(model)
    selection.setCurrentIndex(model.index(1), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    entering = (8, 41), (5, 25), (9, 40), (6, 24), (7, 1), (2, 15)  # (id, minute); 2 moves

    model.apply(TicketsChanged(upserted=tuple(make_ticket(i, minutes=m) for i, m in entering)))

    assert ids(model) == [8, 9, 3, 5, 6, 2, 1, 7]
    assert inserts == [(0, 1), (3, 4), (7, 7)]
    assert selection.currentIndex().data(TicketRole.TICKET_ID) == 2
    assert [i.data(TicketRole.TICKET_ID) for i in selection.selectedIndexes()] == [2]


def test_a_ticket_twice_in_one_batch_is_listed_once_as_its_last_copy(directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.UNASSIGNED)
    first, taken = make_ticket(4, minutes=1), make_ticket(4, minutes=2, assignee_id=ME.id)
    model.apply(TicketsChanged(upserted=(first, make_ticket(5, minutes=3), taken)))
    assert ids(model) == [5]
    assert model.known_ticket(4) == taken
    model.apply(TicketsChanged(upserted=(make_ticket(6, minutes=4), make_ticket(6, minutes=0))))
    assert ids(model) == [5, 6]


def test_tickets_sent_again_unchanged_change_nothing(qtmodeltester, directory) -> None:
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    tickets = [make_ticket(i, minutes=i % 3) for i in range(1, 7)]  # equal times: id decides
    model.apply(TicketsChanged(upserted=tuple(tickets)))
    qtmodeltester.check(model)
    assert ids(model) == [5, 2, 4, 1, 6, 3]
    signals: list[str] = []
    for name in ("dataChanged", "rowsMoved", "rowsInserted", "rowsRemoved", "modelReset"):
        getattr(model, name).connect(lambda *_args, name=name: signals.append(name))

    model.apply(TicketsChanged(upserted=tuple(replace(t) for t in tickets)))  # a bootstrap
    assert signals == []

    model.apply(TicketsChanged(upserted=(make_ticket(4, minutes=1, body="Nuovo testo"),)))
    assert signals == ["dataChanged"]
    assert ids(model) == [5, 2, 4, 1, 6, 3]


def test_rows_keep_the_listed_columns_and_read_full_records_back(
    qtmodeltester, directory: Directory
) -> None:
    records = {t.id: t for t in (make_ticket(1, minutes=1), make_ticket(2, minutes=5.5))}
    records[3] = make_ticket(3, minutes=3, body="  una   riga\n" + "lunga " * 100)
    model = TicketListModel(directory, records=records.get)
    qtmodeltester.check(model)
    model.set_view(View.UNASSIGNED)
    model.set_tickets(records.values())
    assert ids(model) == [2, 3, 1]
    assert [model._known.get(t) for t in (1, 2, 3)] == [
        ListedTicket.of(records[t]) for t in (1, 2, 3)
    ]
    assert not model._kept  # the full records stay in their source (the cache)
    assert model.data(model.index(0), TicketRole.TICKET) is records[2]
    assert model.ticket_at(1) is records[3]
    assert model.known_ticket(1) is records[1]
    assert model.data(model.index(0), TicketRole.TIME) == records[2].last_message_at
    preview = model.data(model.index(1), TicketRole.PREVIEW)
    assert preview.startswith("una riga lunga")
    assert len(preview) == PREVIEW_CHARS
    assert model.data(model.index(0), TicketRole.UNREAD)
    model.mark_read(2)
    assert not model.data(model.index(0), TicketRole.UNREAD)
    closed = replace(records[1], status="closed")
    records[1] = closed
    model.apply(TicketsChanged(upserted=(closed,)))
    assert ids(model) == [2, 3]
    assert model.known_ticket(1) is None


def test_listed_columns_from_the_cache_and_previews_read_when_painted(
    qtmodeltester, qtbot, directory: Directory
) -> None:
    records = {i: make_ticket(i, minutes=i, body=f"Messaggio {i}") for i in range(1, 5)}
    reads: list[int] = []

    def record(ticket_id: int) -> Ticket | None:
        reads.append(ticket_id)
        return records.get(ticket_id)

    model = TicketListModel(directory, records=record)
    model.set_view(View.UNASSIGNED)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.rowsInserted):  # the cache's copies: columns only, one insert
        model.apply(TicketsChanged(listed=tuple(ListedTicket.of(t) for t in records.values())))
    assert ids(model) == [4, 3, 2, 1]
    assert reads == []  # nothing read back until a row is shown
    assert model.data(model.index(0), TicketRole.PREVIEW) == "Messaggio 4"
    assert model.data(model.index(0), TicketRole.PREVIEW) == "Messaggio 4"
    assert reads == [4]  # the painted rows' previews are kept

    edited = replace(
        records[4], last_message=replace(records[4].last_message, body="Messaggio corretto")
    )
    records[4] = edited
    assert ListedTicket.of(edited) == model._known.get(4)  # no listed column changed...
    with qtbot.waitSignal(model.dataChanged):  # ...but the shown preview did
        model.apply(TicketsChanged(upserted=(edited,)))
    reads.clear()
    assert model.data(model.index(0), TicketRole.PREVIEW) == "Messaggio corretto"
    assert reads == []  # the upserted record's preview is kept: its repaint reads nothing

    for row in range(model.rowCount()):
        model.data(model.index(row), TicketRole.PREVIEW)
    assert len(model._previews) <= PREVIEWS_KEPT
    model.apply(TicketsChanged(removed_ids=(1,)))
    assert 1 not in model._previews


def test_previews_kept_are_bounded(directory: Directory) -> None:
    tickets = [make_ticket(i, minutes=i) for i in range(1, PREVIEWS_KEPT + 11)]
    model = TicketListModel(directory, records={t.id: t for t in tickets}.get)
    model.set_view(View.UNASSIGNED)
    model.apply(TicketsChanged(listed=tuple(ListedTicket.of(t) for t in tickets)))
    for row in range(model.rowCount()):
        assert model.data(model.index(row), TicketRole.PREVIEW) == "Salve"
    assert len(model._previews) == PREVIEWS_KEPT
    newest_first = [model.index(row).data(TicketRole.TICKET_ID) for row in range(model.rowCount())]
    assert set(model._previews) == set(newest_first[-PREVIEWS_KEPT:])  # the last ones read


def test_rows_at_the_same_time_keep_the_newest_id_first_through_moves(
    qtmodeltester, qtbot, directory: Directory
) -> None:
    """The rows sort as their packed sort keys (no key list beside them): same activity time
    orders by id, a row that moves among equal times lands by its id, selection follows it,
    and every row is found again by its id."""
    model = TicketListModel(directory)
    model.set_view(View.ALL)
    same = [make_ticket(i, minutes=5) for i in (3, 10, 7, 250, 1000, 2**40)]
    model.set_tickets([*same, make_ticket(8, minutes=9), make_ticket(9, minutes=1)])
    qtmodeltester.check(model)
    assert ids(model) == [8, 2**40, 1000, 250, 10, 7, 3, 9]
    selection = QItemSelectionModel(model)
    selection.setCurrentIndex(model.index(3), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    with qtbot.waitSignal(model.rowsMoved):  # 250 goes back to the others' time
        model.apply(TicketsChanged(upserted=(make_ticket(250, minutes=1),)))
    assert ids(model) == [8, 2**40, 1000, 10, 7, 3, 250, 9]
    with qtbot.waitSignal(model.rowsMoved):  # 9 joins the tie at 5 minutes, between 10 and 7
        model.apply(TicketsChanged(upserted=(make_ticket(9, minutes=5),)))
    assert ids(model) == [8, 2**40, 1000, 10, 9, 7, 3, 250]
    with qtbot.waitSignal(model.rowsInserted):  # a new ticket in the tie, by its id
        model.apply(TicketsChanged(upserted=(make_ticket(5, minutes=5),)))
    assert ids(model) == [8, 2**40, 1000, 10, 9, 7, 5, 3, 250]
    assert selection.currentIndex().data(TicketRole.TICKET_ID) == 250
    assert all(model.row_of(ticket_id) == row for row, ticket_id in enumerate(ids(model)))
    assert model.row_of(12345) == -1

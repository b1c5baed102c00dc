"""The ticket list of one view (Mine, Unassigned, All): a flat, live, sorted list model.

Each ticket is kept as the columns the list sorts and filters by (those of a
:class:`ListedTicket`: ids, state, sort key, the last customer message's id), in arrays, not
one object a ticket (:class:`ListedById`, :class:`ListedRows`: 76 bytes a listed ticket, 10,000
objects held 112 each and the lists beside them 24): a ticket is decoded when read. The full
record is read back when asked for (the
``records`` source, the cache's ``Store.ticket``: what sync wrote before it told the model),
and so is the one-line preview of a painted row (the last :data:`PREVIEWS_KEPT` kept).
"""

from __future__ import annotations

import bisect
import logging
import struct
from array import array
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from convos_desktop.core.store import ticket_in_view
from convos_desktop.core.types import (
    LISTED_KEPT,
    LISTED_KEPT_CONTACT_AT,
    LISTED_KEPT_CONVERSATION_AT,
    LISTED_KEPT_SIZE,
    ListedTicket,
    Ticket,
    TicketsChanged,
    View,
    invert_id,
)
from convos_desktop.models.directory import Directory

log = logging.getLogger("convos.models")

ModelIndex = QModelIndex | QPersistentModelIndex
_INT64 = struct.Struct(">q")  # a listed ticket's id columns


class TicketRole(IntEnum):
    """Data roles of :class:`TicketListModel` (``DisplayRole`` is the contact name)."""

    TICKET = Qt.ItemDataRole.UserRole + 1
    TICKET_ID = Qt.ItemDataRole.UserRole + 2
    CONTACT_NAME = Qt.ItemDataRole.UserRole + 3
    PREVIEW = Qt.ItemDataRole.UserRole + 4
    TIME = Qt.ItemDataRole.UserRole + 5
    INBOX_NAME = Qt.ItemDataRole.UserRole + 6
    UNREAD = Qt.ItemDataRole.UserRole + 7
    HAS_DRAFT = Qt.ItemDataRole.UserRole + 8
    ASSIGNEE_NAME = Qt.ItemDataRole.UserRole + 9
    LABELS = Qt.ItemDataRole.UserRole + 10  # list[Label], by name


PREVIEW_CHARS = 160  # of the last message kept for the list row (wider than a list line)
PREVIEWS_KEPT = 512  # previews of the rows painted last (a list shows a few dozen)


def preview_text(ticket: Ticket) -> str:
    """One line for the list: the last message's text, or its first file's name."""
    message = ticket.last_message
    if message is None:
        return ""
    text = " ".join(message.body.split())
    if not text and message.files:
        text = message.files[0].name
    return text


class ListedById:
    """The listed tickets a model knows, found by id, kept as columns, not objects: a sorted
    array of the ids beside one ``bytearray`` of their other fixed columns (``LISTED_KEPT``,
    in id order) and the rest (label ids, any other status) of the few that have some (60
    bytes a ticket; one ``ListedTicket`` object each held 112, a list slot and an id 16
    more). A lookup is a bisection that decodes the ticket found (the last one is kept: a
    painted row reads it for each of its roles); a new id is inserted in place (a few at a
    time, as sync sends them) or merged in one pass (a cached inbox)."""

    MERGE_FROM = 64  # new tickets at once from which one merge beats inserting each

    __slots__ = ("_heads", "_ids", "_last", "_tails")

    def __init__(self) -> None:
        self._ids = array("q")
        self._heads = bytearray()  # LISTED_KEPT_SIZE bytes a ticket, in the order of _ids
        self._tails: dict[int, bytes] = {}  # ticket id -> its bytes after the head, if any
        self._last: tuple[int, ListedTicket] | None = None  # the last ticket read

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, ticket_id: int) -> bool:
        return self._find(ticket_id) >= 0

    def _find(self, ticket_id: int) -> int:
        at = bisect.bisect_left(self._ids, ticket_id)
        return at if at < len(self._ids) and self._ids[at] == ticket_id else -1

    def get(self, ticket_id: int) -> ListedTicket | None:
        last = self._last
        if last is not None and last[0] == ticket_id:
            return last[1]
        at = self._find(ticket_id)
        if at < 0:
            return None
        ticket = self._ticket_at(at)
        self._last = (ticket_id, ticket)
        return ticket

    def _ticket_at(self, at: int) -> ListedTicket:
        start = at * LISTED_KEPT_SIZE
        head = self._heads[start : start + LISTED_KEPT_SIZE]
        ticket_id = self._ids[at]
        tail = self._tails.get(ticket_id) if self._tails else None
        return ListedTicket.from_kept(ticket_id, head + tail if tail else head)

    def values(self) -> list[ListedTicket]:
        """Every ticket known, by id (each decoded anew)."""
        return [self._ticket_at(at) for at in range(len(self._ids))]

    def count(self, in_view: Callable[[ListedTicket], bool]) -> int:
        """How many tickets ``in_view`` keeps: a view's rule, which reads a ticket's state
        only (status, snoozed, assignee: ``ticket_in_view``), so it is asked once for each
        state found in the columns (unpacked in C), not once a ticket."""
        verdicts = self._verdicts(in_view)
        return sum(
            verdicts(at, head) for at, head in enumerate(LISTED_KEPT.iter_unpack(self._heads))
        )

    def select(
        self,
        in_view: Callable[[ListedTicket], bool],
        inbox_id: int | None = None,
        label_id: int | None = None,
    ) -> list[tuple[int, int]]:
        """The sort pairs (:attr:`ListedTicket.sort_pair`) of the tickets ``in_view`` keeps
        (a rule on the state only, as for :meth:`count`), of ``inbox_id`` and with
        ``label_id`` when given, sorted: the list's rows. A ticket is decoded only to read
        its labels."""
        verdicts = self._verdicts(in_view)
        pairs: list[tuple[int, int]] = []
        for at, head in enumerate(LISTED_KEPT.iter_unpack(self._heads)):
            if inbox_id is not None and head[2] != inbox_id:
                continue
            if not verdicts(at, head):
                continue
            if label_id is not None and (
                not head[8] or label_id not in self._ticket_at(at).label_ids
            ):
                continue
            pairs.append((head[0], invert_id(self._ids[at])))
        pairs.sort()
        return pairs

    def _verdicts(self, in_view: Callable[[ListedTicket], bool]) -> Callable[[int, Any], bool]:
        """``in_view`` of the ticket at a place, given its unpacked head: asked of the first
        ticket of each state (status code, snoozed, assignee), then remembered."""
        known: dict[tuple[int, int, int], bool] = {}

        def verdict(at: int, head: Any) -> bool:
            state = (head[6], head[7], head[4])
            shown = known.get(state)
            if shown is None:
                shown = known[state] = in_view(self._ticket_at(at))
            return shown

        return verdict

    def ids_of_conversation(self, conversation_id: int) -> list[int]:
        """The ids of the tickets of a conversation (a search of the column in C)."""
        return self._ids_where(LISTED_KEPT_CONVERSATION_AT, conversation_id)

    def ids_of_contact(self, contact_id: int) -> list[int]:
        """The ids of the tickets of a contact (a search of the column in C)."""
        return self._ids_where(LISTED_KEPT_CONTACT_AT, contact_id)

    def _ids_where(self, offset: int, value: int) -> list[int]:
        """The ids whose signed 64-bit column at ``offset`` is ``value``: its bytes found in
        the heads with ``bytearray.find``, kept where they are that column."""
        heads = self._heads
        pattern = _INT64.pack(value)
        found: list[int] = []
        at = heads.find(pattern)
        while at >= 0:
            record, within = divmod(at, LISTED_KEPT_SIZE)
            if within == offset:
                found.append(self._ids[record])
            at = heads.find(pattern, at + 1)
        return found

    def put(self, ticket: ListedTicket) -> None:
        ticket_id = ticket.id
        head, tail = ticket.kept
        at = bisect.bisect_left(self._ids, ticket_id)
        start = at * LISTED_KEPT_SIZE
        if at < len(self._ids) and self._ids[at] == ticket_id:
            self._heads[start : start + LISTED_KEPT_SIZE] = head
        else:
            self._ids.insert(at, ticket_id)
            self._heads[start:start] = head
        self._put_tail(ticket_id, tail)
        self._last = None

    def _put_tail(self, ticket_id: int, tail: bytes) -> None:
        if tail:
            self._tails[ticket_id] = tail
        elif self._tails:
            self._tails.pop(ticket_id, None)

    def put_all(self, tickets: list[ListedTicket]) -> None:
        """Put every ticket of ``tickets`` (a later copy of an id wins)."""
        if len(tickets) < self.MERGE_FROM:
            for ticket in tickets:
                self.put(ticket)
            return
        latest = {ticket.id: ticket for ticket in tickets}  # a later copy wins
        fresh: list[int] = []
        for ticket_id, ticket in latest.items():
            at = self._find(ticket_id)
            if at < 0:
                fresh.append(ticket_id)
                continue
            head, tail = ticket.kept
            start = at * LISTED_KEPT_SIZE  # known: its columns replaced where they are
            self._heads[start : start + LISTED_KEPT_SIZE] = head
            self._put_tail(ticket_id, tail)
        fresh.sort()
        self._merge(fresh, latest)
        self._last = None

    def _merge(self, fresh: list[int], latest: dict[int, ListedTicket]) -> None:
        """Insert the tickets of the sorted new ids ``fresh`` in one pass: the known heads
        between two insertion points are copied as one slice."""
        ids, heads = self._ids, self._heads
        pieces: list[bytes | bytearray] = []
        done = 0  # known tickets copied so far
        for ticket_id in fresh:
            at = bisect.bisect_left(ids, ticket_id, done)
            if at > done:
                pieces.append(heads[done * LISTED_KEPT_SIZE : at * LISTED_KEPT_SIZE])
                done = at
            head, tail = latest[ticket_id].kept
            pieces.append(head)
            self._put_tail(ticket_id, tail)
        pieces.append(heads[done * LISTED_KEPT_SIZE :])
        self._heads = bytearray().join(pieces)
        self._ids = array("q", sorted([*ids, *fresh]))  # two sorted runs: merged in C

    def pop(self, ticket_id: int) -> None:
        at = self._find(ticket_id)
        if at >= 0:
            del self._ids[at]
            del self._heads[at * LISTED_KEPT_SIZE : (at + 1) * LISTED_KEPT_SIZE]
            if self._tails:
                self._tails.pop(ticket_id, None)
            self._last = None

    def clear(self) -> None:
        self._ids = array("q")
        self._heads = bytearray()
        self._tails = {}
        self._last = None


class ListedRows:
    """The rows of a ticket list in its order, as the sort key of each (the last activity,
    then the id, both inverted as in :attr:`ListedTicket.sort_pair`: ascending is the list's
    order) in two unsigned 64-bit arrays: 16 bytes a row, found by bisections in C. Their
    tickets are read from ``known``."""

    __slots__ = ("_ids", "_known", "_times")

    def __init__(self, known: ListedById) -> None:
        self._known = known
        self._times = array("Q")
        self._ids = array("Q")

    def __len__(self) -> int:
        return len(self._ids)

    def id_at(self, row: int) -> int:
        return invert_id(self._ids[row])

    def ticket(self, row: int) -> ListedTicket | None:
        """The ticket of ``row`` (``None`` past the rows)."""
        if 0 <= row < len(self._ids):
            return self._known.get(invert_id(self._ids[row]))
        return None

    def pair_at(self, row: int) -> tuple[int, int]:
        return self._times[row], self._ids[row]

    def place(self, pair: tuple[int, int], low: int = 0, high: int | None = None) -> int:
        """The first row (from ``low``, before ``high``) whose sort key is not below
        ``pair`` (``bisect_left``)."""
        time, inverted_id = pair
        low = bisect.bisect_left(self._times, time, low, len(self._times) if high is None else high)
        high = bisect.bisect_right(self._times, time, low, high)
        return bisect.bisect_left(self._ids, inverted_id, low, high)

    def new_place(self, row: int, pair: tuple[int, int]) -> int:
        """Where the row at ``row`` sorts once its key is ``pair``, counted without it (the
        other rows are in order whatever it holds)."""
        if pair < self.pair_at(row):
            return self.place(pair, 0, row)
        return self.place(pair, row + 1, len(self._times)) - 1

    def insert(self, row: int, pairs: list[tuple[int, int]]) -> None:
        """Insert the sorted ``pairs`` as rows from ``row`` on."""
        self._times[row:row] = array("Q", [time for time, _ in pairs])
        self._ids[row:row] = array("Q", [inverted_id for _, inverted_id in pairs])

    def set(self, row: int, pair: tuple[int, int]) -> None:
        self._times[row], self._ids[row] = pair

    def move(self, row: int, new_row: int, pair: tuple[int, int]) -> None:
        """Move the row at ``row`` to ``new_row`` with the key ``pair``: the rows between
        shift by one (a copy of those only)."""
        for column in (self._times, self._ids):
            if new_row < row:
                column[new_row + 1 : row + 1] = column[new_row:row]
            else:
                column[row:new_row] = column[row + 1 : new_row + 1]
        self.set(new_row, pair)

    def remove(self, row: int) -> None:
        del self._times[row]
        del self._ids[row]

    def reset(self, pairs: list[tuple[int, int]]) -> None:
        """Every row anew, from the sorted ``pairs``."""
        self._times = array("Q", [time for time, _ in pairs])
        self._ids = array("Q", [inverted_id for _, inverted_id in pairs])


class TicketListModel(QAbstractListModel):
    """Open tickets of one view (and optionally one inbox of it), newest activity first,
    updated in place from sync.

    ``apply`` takes the ``TicketsChanged`` records of ``core.sync``: tickets that enter the
    view are inserted at their places (one insert per run of adjacent rows: the whole cached
    inbox at start is one), one that changes gets ``dataChanged`` (and a row move when its
    place changes, so selections follow it), one that leaves is removed. Only ``set_view`` and
    ``set_tickets`` (a bootstrap) reset the model. ``counts_changed`` follows every change that
    may move the per-view counts.
    """

    counts_changed = Signal()

    def __init__(
        self,
        directory: Directory,
        parent: QObject | None = None,
        *,
        records: Callable[[int], Ticket | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._directory = directory
        # Where full records come from; without a source the model keeps them (tests).
        self._records = records
        self._kept: dict[int, Ticket] = {}
        self._previews: dict[int, str] = {}  # ticket id -> preview, least recently read first
        self._view = View.MINE
        self._inbox_id: int | None = None  # None: every inbox of the view
        self._label_id: int | None = None  # None: any label
        self._known = ListedById()
        self._rows = ListedRows(self._known)  # the rows' sort keys, their tickets in _known
        self._read_upto: dict[int, int | None] = {}  # conversation -> last message id seen
        self._read_marker_source: Callable[[int], int | None] | None = None
        self._draft_conversations: set[int] = set()
        directory.changed.connect(self._refresh_all_rows)
        directory.contact_changed.connect(self._refresh_contact)
        directory.me_changed.connect(self._on_me_changed)
        self._me_id = directory.me_id

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        ticket = self._rows.ticket(index.row()) if index.isValid() else None
        if ticket is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, TicketRole.CONTACT_NAME):
            return self._directory.contact_name(ticket.contact_id) or f"#{ticket.contact_id}"
        if role == TicketRole.TICKET:
            return self._record(ticket.id)
        if role == TicketRole.TICKET_ID:
            return ticket.id
        if role == TicketRole.PREVIEW:
            return self._preview(ticket.id)
        if role == TicketRole.TIME:
            return ticket.last_message_at
        if role == TicketRole.INBOX_NAME:
            return self._directory.inbox_name(ticket.inbox_id)
        if role == TicketRole.UNREAD:
            return self.is_unread(ticket)
        if role == TicketRole.HAS_DRAFT:
            return ticket.conversation_id in self._draft_conversations
        if role == TicketRole.ASSIGNEE_NAME:
            return self._directory.agent_name(ticket.assignee_id)
        if role == TicketRole.LABELS:
            return self._directory.labels_of(ticket.label_ids)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.data(index)}: {self._preview(ticket.id)}"
        return None

    # --- state ---------------------------------------------------------------------------------

    @property
    def view(self) -> View:
        return self._view

    @property
    def inbox_id(self) -> int | None:
        """The inbox the list is narrowed to, or ``None`` for all of the view's inboxes."""
        return self._inbox_id

    @property
    def label_id(self) -> int | None:
        """The label the list is filtered by, or ``None``."""
        return self._label_id

    def shows(self, ticket: Ticket | ListedTicket) -> bool:
        """Whether ``ticket`` belongs in this list (its view and, if narrowed, its inbox and
        label)."""
        if self._inbox_id is not None and ticket.inbox_id != self._inbox_id:
            return False
        if self._label_id is not None and self._label_id not in ticket.label_ids:
            return False
        return ticket_in_view(ticket, self._view, self._directory.me_id)

    def ticket_at(self, row: int) -> Ticket | None:
        """The full record of the ticket at ``row``."""
        return self._record(self._rows.id_at(row)) if 0 <= row < len(self._rows) else None

    def _record(self, ticket_id: int) -> Ticket | None:
        if self._records is None:
            return self._kept.get(ticket_id)
        return self._records(ticket_id)

    def _preview(self, ticket_id: int) -> str:
        """The one-line preview of a ticket's last message, read from its record when it is
        not among the last ones read."""
        preview = self._previews.pop(ticket_id, None)
        if preview is None:
            record = self._record(ticket_id)
            preview = preview_text(record)[:PREVIEW_CHARS] if record is not None else ""
        self._remember_preview(ticket_id, preview)
        return preview

    def _remember_preview(self, ticket_id: int, preview: str) -> None:
        """Keep ``preview`` as the most recently read one (the oldest goes past the bound)."""
        previews = self._previews
        previews.pop(ticket_id, None)
        if len(previews) >= PREVIEWS_KEPT:
            del previews[next(iter(previews))]
        previews[ticket_id] = preview

    def _keep(self, ticket: Ticket | ListedTicket) -> ListedTicket:
        """The listed columns of ``ticket`` (and a full record itself without a source)."""
        self._previews.pop(ticket.id, None)
        if isinstance(ticket, ListedTicket):
            return ticket
        if self._records is None:
            self._kept[ticket.id] = ticket
        return ListedTicket.of(ticket)

    def _forget(self, ticket_id: int) -> None:
        self._known.pop(ticket_id)
        self._kept.pop(ticket_id, None)
        self._previews.pop(ticket_id, None)

    def row_of(self, ticket_id: int) -> int:
        """The row of a ticket, or -1 when it is not in this view."""
        ticket = self._known.get(ticket_id)
        if ticket is None or not self.shows(ticket):
            return -1
        row = self._rows.place(ticket.sort_pair)
        if row < len(self._rows) and self._rows.id_at(row) == ticket_id:
            return row
        return -1

    def known_ticket(self, ticket_id: int) -> Ticket | None:
        """Any open ticket sync told us about, in this view or not (its full record)."""
        return self._record(ticket_id) if ticket_id in self._known else None

    def count_in(self, view: View) -> int:
        me_id = self._directory.me_id
        return self._known.count(lambda ticket: ticket_in_view(ticket, view, me_id))

    def is_unread(self, ticket: Ticket | ListedTicket) -> bool:
        """A customer message newer than the last message the agent has seen."""
        listed = ticket if isinstance(ticket, ListedTicket) else ListedTicket.of(ticket)
        if listed.last_id is None:
            return False
        seen = self._read_marker(listed.conversation_id)
        return seen is None or listed.last_id > seen

    def _read_marker(self, conversation_id: int) -> int | None:
        if conversation_id not in self._read_upto:
            source = self._read_marker_source
            self._read_upto[conversation_id] = source(conversation_id) if source else None
        return self._read_upto[conversation_id]

    # --- changes -------------------------------------------------------------------------------

    def set_view(self, view: View, inbox_id: int | None = None) -> None:
        """Show ``view``, narrowed to ``inbox_id`` when given."""
        if view is self._view and inbox_id == self._inbox_id:
            return
        self.beginResetModel()
        self._view = view
        self._inbox_id = inbox_id
        self._rebuild_rows()
        self.endResetModel()

    def set_label_filter(self, label_id: int | None) -> None:
        """Keep only tickets with ``label_id`` (``None``: any)."""
        if label_id == self._label_id:
            return
        self.beginResetModel()
        self._label_id = label_id
        self._rebuild_rows()
        self.endResetModel()

    def set_tickets(self, tickets: Iterable[Ticket]) -> None:
        """Replace everything (a bootstrap or a cache load)."""
        self.beginResetModel()
        self._kept.clear()
        self._known.clear()
        self._known.put_all([self._keep(ticket) for ticket in tickets if ticket.is_open])
        self._rebuild_rows()
        self.endResetModel()
        self.counts_changed.emit()

    def apply(self, change: TicketsChanged) -> None:
        """Apply one batch of sync: rows already listed change in place (or move, or leave);
        rows that enter are inserted in sorted blocks, so a whole cached inbox arriving in an
        empty list is one insert, not one per ticket."""
        for ticket_id in change.removed_ids:
            self._remove_row(ticket_id)
            self._forget(ticket_id)
        latest: dict[int, Ticket | ListedTicket] = {t.id: t for t in change.listed}
        latest.update((t.id, t) for t in change.upserted)  # a later copy wins
        entering: list[ListedTicket] = []
        arriving: list[ListedTicket] = []  # known from now on (none of them is known now)
        for ticket_id, record in latest.items():
            row = self.row_of(ticket_id)
            if row >= 0:
                self._upsert(record, row)
                continue
            self._forget(ticket_id)
            ticket = self._keep(record)
            if ticket.is_open:
                arriving.append(ticket)
            else:
                self._forget(ticket_id)
            if self.shows(ticket):
                entering.append(ticket)
        self._known.put_all(arriving)
        self._insert_rows(entering)
        self.counts_changed.emit()

    def set_read_markers(self, source: Callable[[int], int | None]) -> None:
        """Where the saved read markers come from (``Store.read_marker``: they survive a
        restart); the unread state of every row is read again from it."""
        self._read_marker_source = source
        self._read_upto.clear()
        if self._rows:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._rows) - 1), [TicketRole.UNREAD]
            )

    def mark_read(self, ticket_id: int) -> None:
        """The agent has seen the ticket's last message (the caller saves the marker)."""
        ticket = self._known.get(ticket_id)
        record = self._record(ticket_id) if ticket is not None else None
        if ticket is None or record is None or record.last_message is None:
            return
        seen = self._read_marker(ticket.conversation_id)
        self._read_upto[ticket.conversation_id] = max(seen or 0, record.last_message.id)
        self._emit_row_changed(ticket_id, [TicketRole.UNREAD])

    def set_draft_marker(self, conversation_id: int, has_draft: bool) -> None:
        if has_draft == (conversation_id in self._draft_conversations):
            return
        if has_draft:
            self._draft_conversations.add(conversation_id)
        else:
            self._draft_conversations.discard(conversation_id)
        for ticket_id in self._known.ids_of_conversation(conversation_id):
            self._emit_row_changed(ticket_id, [TicketRole.HAS_DRAFT])

    def set_draft_conversations(self, conversation_ids: Iterable[int]) -> None:
        for conversation_id in set(conversation_ids) | set(self._draft_conversations):
            self.set_draft_marker(conversation_id, conversation_id in set(conversation_ids))

    # --- internals -----------------------------------------------------------------------------

    def _rebuild_rows(self) -> None:
        view, me_id = self._view, self._directory.me_id
        self._rows.reset(
            self._known.select(
                lambda ticket: ticket_in_view(ticket, view, me_id), self._inbox_id, self._label_id
            )
        )

    def _upsert(self, record: Ticket | ListedTicket, old_row: int) -> None:
        """A ticket listed in this view at ``old_row`` changed: update its row, move it, or
        remove it."""
        old = self._known.get(record.id)
        assert old is not None  # listed in this view: known
        shown = self._previews.get(record.id)
        fresh = preview_text(record)[:PREVIEW_CHARS] if isinstance(record, Ticket) else None
        ticket = self._keep(record)
        if ticket.is_open:
            self._known.put(ticket)
        else:
            self._forget(ticket.id)
        if not self.shows(ticket):
            self._remove_at(old_row)
            return
        if fresh is not None:  # the row's repaint shows it without reading the record back
            self._remember_preview(ticket.id, fresh)
        # an edited last message changes no listed column, only the preview
        new_text = shown is not None and fresh is not None and shown != fresh
        self._update_row(old_row, old, ticket, new_text)

    def _insert_rows(self, tickets: list[ListedTicket]) -> None:
        """Insert tickets not listed yet, one ``beginInsertRows`` per run of adjacent rows."""
        ordered = sorted(ticket.sort_pair for ticket in tickets)  # the list's order
        rows = self._rows
        start = 0
        while start < len(ordered):
            row = rows.place(ordered[start])
            end = len(ordered)
            if row < len(rows):  # the run ends where the row now at ``row`` sorts
                end = bisect.bisect_left(ordered, rows.pair_at(row), start + 1)
            self.beginInsertRows(QModelIndex(), row, row + end - start - 1)
            rows.insert(row, ordered[start:end])
            self.endInsertRows()
            start = end

    def _remove_row(self, ticket_id: int) -> None:
        row = self.row_of(ticket_id)
        if row >= 0:
            self._remove_at(row)

    def _remove_at(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        self._rows.remove(row)
        self.endRemoveRows()

    def _update_row(
        self, row: int, old: ListedTicket, ticket: ListedTicket, new_text: bool = False
    ) -> None:
        if ticket == old and not new_text:
            return  # the same ticket again (a bootstrap re-sends every one): nothing to show
        pair = ticket.sort_pair
        if pair != old.sort_pair:
            row = self._move_row(row, pair)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def _move_row(self, old_row: int, pair: tuple[int, int]) -> int:
        """Give the row at ``old_row`` its changed sort key ``pair`` and move it where it
        now sorts."""
        rows = self._rows
        new_row = rows.new_place(old_row, pair)
        if new_row == old_row:
            rows.set(old_row, pair)
            return old_row
        # Qt's destination is the row *before which* the moved row lands, counted before
        # the removal: moving down needs one more.
        destination = new_row + 1 if new_row > old_row else new_row
        self.beginMoveRows(QModelIndex(), old_row, old_row, QModelIndex(), destination)
        rows.move(old_row, new_row, pair)
        self.endMoveRows()
        return new_row

    def _emit_row_changed(self, ticket_id: int, roles: list[int]) -> None:
        row = self.row_of(ticket_id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index, roles)

    def _on_me_changed(self) -> None:
        if self._directory.me_id == self._me_id:
            return
        self._me_id = self._directory.me_id
        self.beginResetModel()
        self._rebuild_rows()
        self.endResetModel()
        self.counts_changed.emit()

    def _refresh_all_rows(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def _refresh_contact(self, contact_id: int) -> None:
        for ticket_id in self._known.ids_of_contact(contact_id):
            self._emit_row_changed(ticket_id, [])

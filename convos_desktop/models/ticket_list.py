"""The ticket list of one view (Mine, Unassigned, All): a flat, live, sorted list model.

Each ticket is kept as the columns the list sorts and filters by (:class:`ListedTicket`: ids,
state, sort key, the last customer message's id, packed in one ``bytes`` object that sorts as
the list does): 10,000 full records with their last message would hold several times the
memory. The full record is read back when asked for (the
``records`` source, the cache's ``Store.ticket``: what sync wrote before it told the model),
and so is the one-line preview of a painted row (the last :data:`PREVIEWS_KEPT` kept).
"""

from __future__ import annotations

import bisect
import logging
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
from convos_desktop.core.types import ListedTicket, Ticket, TicketsChanged, View
from convos_desktop.models.directory import Directory

log = logging.getLogger("convos.models")

ModelIndex = QModelIndex | QPersistentModelIndex


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
    """The listed tickets a model knows, found by id: a sorted array of the ids beside a list
    of the tickets (16 bytes a ticket; a dict held ~56, its table and an int object for each
    key). A lookup is a bisection; a new id is inserted in place (a few at a time, as sync
    sends them) or merged in one sort (a cached inbox)."""

    MERGE_FROM = 64  # new tickets at once from which one sort beats inserting each

    def __init__(self) -> None:
        self._ids = array("q")
        self._tickets: list[ListedTicket] = []

    def __len__(self) -> int:
        return len(self._tickets)

    def __contains__(self, ticket_id: int) -> bool:
        return self._find(ticket_id) >= 0

    def _find(self, ticket_id: int) -> int:
        at = bisect.bisect_left(self._ids, ticket_id)
        return at if at < len(self._ids) and self._ids[at] == ticket_id else -1

    def get(self, ticket_id: int) -> ListedTicket | None:
        at = self._find(ticket_id)
        return self._tickets[at] if at >= 0 else None

    def values(self) -> list[ListedTicket]:
        """Every ticket known, by id (the list itself: do not change it)."""
        return self._tickets

    def put(self, ticket: ListedTicket) -> None:
        ticket_id = ticket.id
        at = bisect.bisect_left(self._ids, ticket_id)
        if at < len(self._ids) and self._ids[at] == ticket_id:
            self._tickets[at] = ticket
        else:
            self._ids.insert(at, ticket_id)
            self._tickets.insert(at, ticket)

    def put_all(self, tickets: list[ListedTicket]) -> None:
        """Put every ticket of ``tickets`` (a later copy of an id wins)."""
        if len(tickets) < self.MERGE_FROM:
            for ticket in tickets:
                self.put(ticket)
            return
        latest = {ticket.id: ticket for ticket in tickets}  # a later copy wins
        for ticket_id in latest:
            self.pop(ticket_id)
        ids = [*self._ids, *latest]
        known = [*self._tickets, *latest.values()]
        # Two sorted runs (the known ids, then the new ones once sorted): the sort merges them
        # in C, by the ids already in the array (no ticket's id decoded again).
        order = sorted(range(len(ids)), key=ids.__getitem__)
        self._ids = array("q", [ids[at] for at in order])
        self._tickets = [known[at] for at in order]

    def pop(self, ticket_id: int) -> None:
        at = self._find(ticket_id)
        if at >= 0:
            del self._ids[at]
            del self._tickets[at]

    def clear(self) -> None:
        self._ids = array("q")
        self._tickets = []


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
        self._rows: list[ListedTicket] = []  # sorted as bytes: the list's order (no key list)
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
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        ticket = self._rows[index.row()]
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
        return self._record(self._rows[row].id) if 0 <= row < len(self._rows) else None

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
        row = bisect.bisect_left(self._rows, ticket.sort_bytes)
        if row < len(self._rows) and self._rows[row].id == ticket_id:
            return row
        return -1

    def known_ticket(self, ticket_id: int) -> Ticket | None:
        """Any open ticket sync told us about, in this view or not (its full record)."""
        return self._record(ticket_id) if ticket_id in self._known else None

    def count_in(self, view: View) -> int:
        me_id = self._directory.me_id
        return sum(1 for ticket in self._known.values() if ticket_in_view(ticket, view, me_id))

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
            if ticket_id in self._known and self.row_of(ticket_id) >= 0:
                self._upsert(record)
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
        for ticket in self._known.values():
            if ticket.conversation_id == conversation_id:
                self._emit_row_changed(ticket.id, [TicketRole.HAS_DRAFT])

    def set_draft_conversations(self, conversation_ids: Iterable[int]) -> None:
        for conversation_id in set(conversation_ids) | set(self._draft_conversations):
            self.set_draft_marker(conversation_id, conversation_id in set(conversation_ids))

    # --- internals -----------------------------------------------------------------------------

    def _rebuild_rows(self) -> None:
        self._rows = sorted(t for t in self._known.values() if self.shows(t))

    def _upsert(self, record: Ticket | ListedTicket) -> None:
        """A ticket listed in this view changed: update its row, move it, or remove it."""
        old_row = self.row_of(record.id)
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
        self._update_row(old_row, ticket, new_text)

    def _insert_rows(self, tickets: list[ListedTicket]) -> None:
        """Insert tickets not listed yet, one ``beginInsertRows`` per run of adjacent rows."""
        ordered = sorted(tickets)  # listed tickets sort as the list orders them
        rows = self._rows
        start = 0
        while start < len(ordered):
            row = bisect.bisect_left(rows, ordered[start].sort_bytes)
            end = len(ordered)
            if row < len(rows):  # the run ends where the row now at ``row`` sorts
                end = bisect.bisect_left(ordered, rows[row].sort_bytes, start + 1)
            self.beginInsertRows(QModelIndex(), row, row + end - start - 1)
            rows[row:row] = ordered[start:end]
            self.endInsertRows()
            start = end

    def _remove_row(self, ticket_id: int) -> None:
        row = self.row_of(ticket_id)
        if row >= 0:
            self._remove_at(row)

    def _remove_at(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()

    def _update_row(self, row: int, ticket: ListedTicket, new_text: bool = False) -> None:
        old = self._rows[row]
        if ticket == old and not new_text:
            return  # the same ticket again (a bootstrap re-sends every one): nothing to show
        self._rows[row] = ticket
        if ticket.sort_bytes != old.sort_bytes:
            row = self._move_row(row)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def _move_row(self, old_row: int) -> int:
        """Move the row at ``old_row``, whose sort key changed, where it now sorts."""
        rows = self._rows
        moved = rows.pop(old_row)
        new_row = bisect.bisect_left(rows, moved.sort_bytes)
        rows.insert(old_row, moved)
        if new_row != old_row:
            # Qt's destination is the row *before which* the moved row lands, counted
            # before the removal: moving down needs one more.
            destination = new_row + 1 if new_row > old_row else new_row
            self.beginMoveRows(QModelIndex(), old_row, old_row, QModelIndex(), destination)
            rows.insert(new_row, rows.pop(old_row))
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
        for row, ticket in enumerate(self._rows):
            if ticket.contact_id == contact_id:
                index = self.index(row)
                self.dataChanged.emit(index, index)

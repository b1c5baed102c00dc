"""The messages of one conversation as a list model: live updates, local echoes, older pages.

The cost of a live message does not depend on the thread's length: new messages found in one
change are inserted with one ``beginInsertRows`` when they follow the newest row, identity
look-ups go through sets before any scan, and while the view is pinned to the bottom it can
ask for a bounded tail (:meth:`ThreadModel.set_tail_window`): older rows are dropped and paged
back in through the :class:`HistorySource` when the agent scrolls up (as Nheko does).

Away from the bottom the model is a window over the conversation in both directions
(:meth:`ThreadModel.set_scroll_window`): a page loaded at one end drops the rows beyond the
window at the other, far from what the view shows, and those come back page by page
(``fetch_older`` / ``fetch_newer``) when the agent scrolls there. While newer rows are left
out (``has_newer``), live messages newer than the window are not inserted (they are in the
cache and come with their page); the agent's own send loads the newest page again.
``load_around`` replaces the window with the messages around one message (a search result).

A page can be read ahead (``prefetch_older`` / ``prefetch_newer``) before the view reaches
the edge: it waits beside the rows (``page_ready``) while the view measures its rows in idle
moments (:meth:`ThreadModel.ready_rows`), and the ``fetch_*`` call at the edge then inserts it
at once, without a wait and without measuring 50 new rows in the scroll that reached the edge.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from convos_desktop.core.types import Direction, Message, MessagesChanged

log = logging.getLogger("convos.models")

ModelIndex = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 50
GROUP_GAP = dt.timedelta(minutes=5)


class MessageRole(IntEnum):
    """Data roles of :class:`ThreadModel` (``DisplayRole`` is the body)."""

    MESSAGE = Qt.ItemDataRole.UserRole + 1
    DAY_HEADER = Qt.ItemDataRole.UserRole + 2  # the local date when this row starts a day
    SHOW_SENDER = Qt.ItemDataRole.UserRole + 3  # first of a run from the same sender
    REVISION = Qt.ItemDataRole.UserRole + 4  # changes whenever the row's content does
    ROW_KEY = Qt.ItemDataRole.UserRole + 5  # stable identity across echo -> confirmed
    LAYOUT_KEY = Qt.ItemDataRole.UserRole + 6  # (ROW_KEY, REVISION, DAY_HEADER, SHOW_SENDER)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Older messages of a conversation, oldest first, and whether even older ones exist."""

    messages: tuple[Message, ...]
    has_more: bool


class HistorySource(Protocol):
    """Where the pages of a conversation come from (the store, then the server)."""

    async def older_messages(
        self, conversation_id: int, before_id: int | None, limit: int
    ) -> HistoryPage:
        """Up to ``limit`` messages before ``before_id`` (``None``: the newest page)."""
        ...

    async def newer_messages(self, conversation_id: int, after_id: int, limit: int) -> HistoryPage:
        """Up to ``limit`` messages after ``after_id``, oldest first; ``has_more``: even
        newer ones exist (the last page also carries the conversation's local echoes)."""
        ...


def _sort_key(message: Message) -> tuple[float, int, int]:
    """Time order; local echoes (negative ids) after confirmed messages of the same instant."""
    pending = 1 if message.id < 0 else 0
    return (message.created_at.timestamp(), pending, abs(message.id))


def row_key(message: Message) -> str:
    """A stable identity: the client_id when there is one (it survives the echo), else the id."""
    return f"c:{message.client_id}" if message.client_id else f"m:{message.id}"


def local_day(message: Message) -> dt.date:
    """The agent's local date of a message."""
    return message.created_at.astimezone().date()


class ThreadModel(QAbstractListModel):
    """One conversation's messages, oldest first, updated in place.

    ``apply`` takes ``MessagesChanged`` records of this conversation: a new message is inserted
    at its time, a known one (same id, or same client_id for a local echo being confirmed) is
    updated in place. ``fetch_older`` pages backwards through a :class:`HistorySource`, one
    request at a time (a second call while one runs does nothing). With a tail window set,
    rows beyond it are dropped from the top once enough new ones arrived (see the module doc).
    """

    page_arriving = Signal()  # a loaded page is about to change the rows (then *_loaded)
    older_loaded = Signal(int)  # rows prepended
    newer_loaded = Signal(int)  # rows appended by fetch_newer
    older_failed = Signal(str)  # a page (older, newer or around a message) failed to load
    page_ready = Signal(bool)  # a page read ahead waits to be inserted (True: older rows)
    live_applied = Signal()  # a live change is in the rows (before the tail window trims them)

    def __init__(
        self,
        history: HistorySource,
        parent: QObject | None = None,
        *,
        shown_text: Callable[[Message], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._history = history
        # A row's text as the view shows it (system lines worded in the UI language).
        self._shown_text = shown_text or (lambda message: message.body)
        self._conversation_id: int | None = None
        self._rows: list[Message] = []
        self._keys: list[tuple[float, int, int]] = []
        self._days: list[dt.date] = []  # local_day of each row, for headers and sender runs
        self._ids: set[int] = set()
        self._client_ids: set[str] = set()
        self._tail_window: int | None = None
        self._dropped_rows = False  # the tail window dropped rows since the last open
        self._revisions: dict[str, int] = {}
        self._revision_counter = 0
        self._has_older = False
        self._has_newer = False  # rows newer than the last one were left out (scroll window)
        self._scroll_window: int | None = None
        self._loading: asyncio.Task[None] | None = None
        # Pages read ahead, by direction (True: older), with the id of the row they adjoin.
        self._ready: dict[bool, tuple[int | None, HistoryPage]] = {}

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = index.row()
        message = self._rows[row]
        if role == MessageRole.LAYOUT_KEY:  # first: asked for every row on each view layout
            return self.layout_key(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._shown_text(message)
        if role == MessageRole.MESSAGE:
            return message
        if role == MessageRole.DAY_HEADER:
            return self._day_header(row)
        if role == MessageRole.SHOW_SENDER:
            return self._starts_run(row)
        if role == MessageRole.REVISION:
            return self._revisions.get(row_key(message), 0)
        if role == MessageRole.ROW_KEY:
            return row_key(message)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if message.direction is Direction.SYSTEM:
                return self._shown_text(message)
            return f"{message.sender_name}: {self._shown_text(message)}"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # --- state ---------------------------------------------------------------------------------

    @property
    def conversation_id(self) -> int | None:
        return self._conversation_id

    @property
    def has_older(self) -> bool:
        return self._has_older

    @property
    def has_newer(self) -> bool:
        """Newer messages than the last row exist (the scroll window left them out)."""
        return self._has_newer

    @property
    def is_loading(self) -> bool:
        return self._loading is not None

    def message_at(self, row: int) -> Message | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def layout_key(self, row: int) -> tuple[Any, ...] | None:
        """``LAYOUT_KEY`` of ``row`` (None: no such row); the delegate asks directly, once
        per row on each layout of the view."""
        if not 0 <= row < len(self._rows):
            return None
        key = row_key(self._rows[row])
        revision = self._revisions.get(key, 0)
        return (
            key,
            revision,
            _day_header(self._days, row, self._has_older),
            _starts_run(self._rows, self._days, row),
        )

    def row_keys(self) -> set[str]:
        """The row keys of the loaded rows (what the delegate's caches are keyed by)."""
        return {row_key(message) for message in self._rows}

    def file_ids(self) -> set[int]:
        """The ids of the files attached to the loaded rows (their thumbnails)."""
        return {file.id for message in self._rows for file in message.files}

    def newest_id(self) -> int | None:
        """The id of the newest message the server has (local echoes left out)."""
        return next((m.id for m in reversed(self._rows) if m.id > 0), None)

    def row_of_id(self, message_id: int) -> int:
        return self._find(message_id, None)

    def row_of_key(self, key: str) -> int:
        """The row whose ``ROW_KEY`` is ``key`` (-1: not loaded); newest rows first."""
        for row in range(len(self._rows) - 1, -1, -1):
            if row_key(self._rows[row]) == key:
                return row
        return -1

    # --- changes -------------------------------------------------------------------------------

    def open(
        self,
        conversation_id: int | None,
        latest: Iterable[Message],
        has_older: bool,
        *,
        first_rows: int | None = None,
    ) -> None:
        """Show another conversation, starting from its newest messages (a reset).

        With ``first_rows``, only the newest ``first_rows`` of ``latest`` become rows: the
        older rest waits beside them as a page read ahead (``has_ready_page(True)``,
        ``ready_rows(True)``), inserted at once by the ``fetch_older`` of a scroll that
        reaches the top. The view lays out and paints the rows it shows without measuring a
        whole page first (issue 16: half of an open's work at 1280x800).
        """
        self._cancel_loading()
        rows = sorted(latest, key=_sort_key)
        if first_rows is None or len(rows) <= max(first_rows, 1):
            self._reset(conversation_id, rows, has_older, has_newer=False)
            return
        split = len(rows) - max(first_rows, 1)
        self._reset(conversation_id, rows[split:], True, has_newer=False)
        self._ready[True] = (self._oldest_id(), HistoryPage(tuple(rows[:split]), has_older))

    def _cancel_loading(self) -> None:
        if self._loading is not None:
            self._loading.cancel()
            self._loading = None

    def _reset(
        self,
        conversation_id: int | None,
        messages: Iterable[Message],
        has_older: bool,
        *,
        has_newer: bool,
    ) -> None:
        self.beginResetModel()
        self._conversation_id = conversation_id
        self._rows = sorted(messages, key=_sort_key)
        self._keys = [_sort_key(m) for m in self._rows]
        self._days = [local_day(m) for m in self._rows]
        self._ids = {m.id for m in self._rows}
        self._client_ids = {m.client_id for m in self._rows if m.client_id}
        self._revisions.clear()
        self._ready.clear()
        self._has_older = has_older
        self._has_newer = has_newer
        self._dropped_rows = False
        self.endResetModel()

    def apply(self, change: MessagesChanged) -> None:
        if change.conversation_id != self._conversation_id:
            return
        for client_id in change.removed_client_ids:
            row = self._find(None, client_id)
            if row >= 0:
                self._remove_at(row)
        self._forget_ready_pages(change)
        fresh: dict[str, Message] = {}
        for message in change.upserted:
            if self._find(message.id, message.client_id) >= 0:
                self._update(message)
            else:  # the last record of one message in a change wins
                fresh[row_key(message)] = message
        if self._has_newer and any(m.id < 0 for m in fresh.values()):
            self.show_newest()  # the agent's own send: back to the bottom, where it shows
            return
        self._insert_many(sorted(fresh.values(), key=_sort_key))
        # Before the trim: a view that shows the new rows now paints them first, then the
        # oldest rows go (a relayout of rows far above what it shows).
        self.live_applied.emit()
        self._trim_to_tail_window()

    def set_tail_window(self, rows: int | None) -> None:
        """Keep only about the newest ``rows`` rows from now on (``None``: keep everything).

        The view sets it while pinned to the bottom. Rows are dropped from the top once half
        as many again are shown, so it happens once every ``rows / 2`` new messages, and
        they come back through ``fetch_older``.
        """
        self._tail_window = rows

    def set_scroll_window(self, rows: int | None) -> None:
        """Keep at most about ``rows`` rows when pages load (``None``: keep everything).

        A page loaded at one end drops the rows beyond ``rows`` at the other end; the view
        sets it to several views full, so the dropped rows are never on screen.
        """
        self._scroll_window = rows

    def set_has_older(self, has_older: bool) -> None:
        """What the history source says once the newest page is in (rows the tail window
        dropped are older messages too)."""
        ready = self._ready.get(True)
        if has_older and ready is not None and not ready[1].has_more:
            # the older rows of the page opened with (``open``'s ``first_rows``) come first
            self._ready[True] = (ready[0], HistoryPage(ready[1].messages, True))
        has_older = has_older or self._dropped_rows or self.has_ready_page(True)
        if has_older != self._has_older:
            self._has_older = has_older
            self._emit_neighbour_changed(0)

    def has_ready_page(self, older: bool) -> bool:
        """A page was read ahead in that direction and adjoins the rows (see ``prefetch_*``)."""
        ready = self._ready.get(older)
        adjoining = self._oldest_id() if older else self.newest_id()
        return ready is not None and ready[0] == adjoining

    def can_fetch_older(self) -> bool:
        return self._has_older and self._loading is None and self._conversation_id is not None

    def can_fetch_newer(self) -> bool:
        return self._has_newer and self._loading is None and self._conversation_id is not None

    def fetch_newer(self) -> bool:
        """Insert the page after the newest row (at once when it was read ahead, else once
        loaded); False when nothing was started."""
        if not self.can_fetch_newer():
            return False
        assert self._conversation_id is not None
        newest = self.newest_id()
        if newest is None:
            return self.show_newest()
        ready = self._ready.pop(False, None)
        if ready is not None and ready[0] == newest:
            self._append(ready[1])
            return True
        self._loading = asyncio.ensure_future(self._load_newer(self._conversation_id, newest))
        return True

    def prefetch_older(self) -> bool:
        """Read the page before the oldest row ahead (``page_ready`` once it is in): the next
        ``fetch_older`` inserts it at once. False when nothing was started."""
        if not self.can_fetch_older() or True in self._ready:
            return False
        assert self._conversation_id is not None
        oldest = self._oldest_id()
        work = self._history.older_messages(self._conversation_id, oldest, PAGE_SIZE)
        self._loading = asyncio.ensure_future(
            self._read_ahead(self._conversation_id, True, oldest, work)
        )
        return True

    def prefetch_newer(self) -> bool:
        """Read the page after the newest row ahead (see :meth:`prefetch_older`)."""
        newest = self.newest_id()
        if not self.can_fetch_newer() or False in self._ready or newest is None:
            return False
        assert self._conversation_id is not None
        work = self._history.newer_messages(self._conversation_id, newest, PAGE_SIZE)
        self._loading = asyncio.ensure_future(
            self._read_ahead(self._conversation_id, False, newest, work)
        )
        return True

    async def _read_ahead(
        self,
        conversation_id: int,
        older: bool,
        adjoining_id: int | None,
        work: Awaitable[HistoryPage],
    ) -> None:
        def keep(page: HistoryPage) -> None:
            self._ready[older] = (adjoining_id, page)
            self.page_ready.emit(older)

        await self._load_page(conversation_id, work, keep)

    def ready_rows(self, older: bool) -> list[tuple[Message, tuple[Any, ...]]]:
        """The rows the page read ahead in that direction would insert, each with the
        ``LAYOUT_KEY`` it will have once inserted (and the neighbour whose day header or
        sender line the insertion changes): what the view measures before it is needed."""
        ready = self._ready.get(older)
        if ready is None or not self._rows:
            return []
        page = ready[1]
        if older:
            fresh = self._older_of(page)
            rows = [*fresh, self._rows[0]]
            has_older, first = page.has_more and bool(fresh), 0
        else:
            rows = [self._rows[-1], *self._newer_of(page)]
            has_older, first = True, 1
        days = [local_day(m) for m in rows]
        result: list[tuple[Message, tuple[Any, ...]]] = []
        for row in range(first, len(rows)):
            message = rows[row]
            key = row_key(message)
            parts = (
                key,
                self._revisions.get(key, 0),
                _day_header(days, row, has_older),
                _starts_run(rows, days, row),
            )
            result.append((message, parts))
        return result

    def _forget_ready_pages(self, change: MessagesChanged) -> None:
        """A live change may make a page read ahead stale: a newer page may miss a new
        message, and either may hold an older record of a changed one."""
        if not (change.upserted or change.removed_client_ids):
            return
        self._ready.pop(False, None)
        older = self._ready.get(True)
        if older is not None:
            ids = {m.id for m in older[1].messages}
            client_ids = {m.client_id for m in older[1].messages if m.client_id}
            if any(m.id in ids for m in change.upserted) or any(
                c in client_ids for c in change.removed_client_ids
            ):
                del self._ready[True]

    def show_newest(self) -> bool:
        """Replace the rows by the newest page (a reset); False when nothing was started."""
        if self._conversation_id is None:
            return False
        self._cancel_loading()
        self._loading = asyncio.ensure_future(self._load_newest(self._conversation_id))
        return True

    def load_around(self, message_id: int) -> bool:
        """Replace the rows by the pages around ``message_id`` (a reset once they are in);
        False when nothing was started."""
        if self._conversation_id is None or message_id <= 0:
            return False
        self._cancel_loading()
        self._loading = asyncio.ensure_future(self._load_around(self._conversation_id, message_id))
        return True

    async def _guarded(
        self, conversation_id: int, work: Awaitable[HistoryPage]
    ) -> HistoryPage | None:
        """Await ``work``; a failure of the source becomes ``older_failed`` (None returned)."""
        try:
            return await work
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of the source becomes a visible message
            log.warning("loading messages of %s failed: %s", conversation_id, exc)
            self._loading = None
            self.older_failed.emit(str(exc))
            return None

    async def _load_page(
        self,
        conversation_id: int,
        work: Awaitable[HistoryPage],
        apply: Callable[[HistoryPage], None],
    ) -> None:
        """Await one page; ``apply`` it when the same conversation is still shown."""
        page = await self._guarded(conversation_id, work)
        if page is None:
            return
        self._loading = None
        if conversation_id == self._conversation_id:
            apply(page)

    async def _load_newer(self, conversation_id: int, after_id: int) -> None:
        work = self._history.newer_messages(conversation_id, after_id, PAGE_SIZE)
        await self._load_page(conversation_id, work, self._append)

    async def _load_newest(self, conversation_id: int) -> None:
        work = self._history.older_messages(conversation_id, None, PAGE_SIZE)
        await self._load_page(
            conversation_id,
            work,
            lambda page: self._reset(
                conversation_id, page.messages, page.has_more, has_newer=False
            ),
        )

    async def _load_around(self, conversation_id: int, message_id: int) -> None:
        half = PAGE_SIZE
        older = await self._guarded(
            conversation_id, self._history.older_messages(conversation_id, message_id + 1, half)
        )
        if older is None:
            return
        newer = await self._guarded(
            conversation_id, self._history.newer_messages(conversation_id, message_id, half)
        )
        if newer is None:
            return
        self._loading = None
        if conversation_id == self._conversation_id:
            messages = {m.id: m for m in (*older.messages, *newer.messages)}
            self._reset(
                conversation_id, messages.values(), older.has_more, has_newer=newer.has_more
            )

    def fetch_older(self) -> bool:
        """Insert the page before the oldest row (at once when it was read ahead, else once
        loaded); False when nothing was started."""
        if not self.can_fetch_older():
            return False
        assert self._conversation_id is not None
        oldest = self._oldest_id()
        ready = self._ready.pop(True, None)
        if ready is not None and ready[0] == oldest:
            self._prepend(ready[1])
            return True
        self._loading = asyncio.ensure_future(self._load_older(self._conversation_id, oldest))
        return True

    def _oldest_id(self) -> int | None:
        return next((m.id for m in self._rows if m.id > 0), None)

    def _older_of(self, page: HistoryPage) -> list[Message]:
        """The messages of ``page`` older than the first row and not shown, in time order."""
        known = self._ids
        first_key = self._keys[0] if self._keys else None
        return [
            m
            for m in sorted(page.messages, key=_sort_key)
            if m.id not in known and (first_key is None or _sort_key(m) < first_key)
        ]

    def _newer_of(self, page: HistoryPage) -> list[Message]:
        """The messages of ``page`` newer than the last row and not shown, in time order."""
        last_key = self._keys[-1] if self._keys else None
        return [
            m
            for m in sorted(page.messages, key=_sort_key)
            if self._find(m.id, m.client_id) < 0 and (last_key is None or _sort_key(m) > last_key)
        ]

    async def _load_older(self, conversation_id: int, before_id: int | None) -> None:
        work = self._history.older_messages(conversation_id, before_id, PAGE_SIZE)
        await self._load_page(conversation_id, work, self._prepend)

    def _prepend(self, page: HistoryPage) -> None:
        self.page_arriving.emit()
        older = self._older_of(page)
        if older:
            self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
            self._rows[0:0] = older
            self._keys[0:0] = [_sort_key(m) for m in older]
            self._days[0:0] = [local_day(m) for m in older]
            self._remember(older)
            self.endInsertRows()
        self._emit_neighbour_changed(len(older))
        has_older = page.has_more and bool(older)
        if has_older != self._has_older:  # after the insertion: the first row's day header
            self._has_older = has_older
            self._emit_neighbour_changed(0)
        self._drop_beyond_window(newest=True)
        self.older_loaded.emit(len(older))

    def _append(self, page: HistoryPage) -> None:
        self.page_arriving.emit()
        newer = self._newer_of(page)
        self._has_newer = page.has_more
        if newer:
            end = len(self._rows)
            self.beginInsertRows(QModelIndex(), end, end + len(newer) - 1)
            self._rows.extend(newer)
            self._keys.extend(_sort_key(m) for m in newer)
            self._days.extend(local_day(m) for m in newer)
            self._remember(newer)
            self.endInsertRows()
            self._emit_neighbour_changed(end)
        self._drop_beyond_window(newest=False)
        self.newer_loaded.emit(len(newer))

    def _drop_beyond_window(self, *, newest: bool) -> None:
        """Drop the rows beyond the scroll window: the newest ones after an older page came
        in, the oldest ones after a newer page."""
        window = self._scroll_window
        if window is None or len(self._rows) <= window:
            return
        dropped = len(self._rows) - window
        first, last = (window, len(self._rows) - 1) if newest else (0, dropped - 1)
        self.beginRemoveRows(QModelIndex(), first, last)
        self._forget(self._rows[first : last + 1])
        del self._rows[first : last + 1]
        del self._keys[first : last + 1]
        del self._days[first : last + 1]
        if newest:
            self._has_newer = True
        else:
            self._has_older = True
            self._dropped_rows = True
        self.endRemoveRows()
        if not newest:
            self._emit_neighbour_changed(0)  # the new first row shows no day header now

    # --- internals -----------------------------------------------------------------------------

    def _find(self, message_id: int | None, client_id: str | None) -> int:
        by_id = message_id is not None and message_id > 0 and message_id in self._ids
        by_client_id = bool(client_id) and client_id in self._client_ids
        if not (by_id or by_client_id):
            return -1
        for row in range(len(self._rows) - 1, -1, -1):  # live changes touch the newest rows
            candidate = self._rows[row]
            if by_id and candidate.id == message_id:
                return row
            if by_client_id and candidate.client_id == client_id:
                return row
        return -1

    def _remember(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self._ids.add(message.id)
            if message.client_id:
                self._client_ids.add(message.client_id)

    def _forget(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self._ids.discard(message.id)
            if message.client_id:
                self._client_ids.discard(message.client_id)

    def _update(self, message: Message) -> None:
        row = self._find(message.id, message.client_id)
        key = row_key(self._rows[row])
        self._revision_counter += 1
        self._revisions[key] = self._revision_counter
        if row_key(message) != key:  # keep the identity stable for views and caches
            self._revisions[row_key(message)] = self._revision_counter
        new_key = _sort_key(message)
        self._forget((self._rows[row],))
        self._rows[row] = message
        self._keys[row] = new_key
        self._days[row] = local_day(message)
        self._remember((message,))
        in_order = (row == 0 or self._keys[row - 1] <= new_key) and (
            row == len(self._keys) - 1 or new_key <= self._keys[row + 1]
        )
        if not in_order:
            self._remove_at(row)
            self._insert_many([message])
            return
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def _insert_many(self, messages: list[Message]) -> None:
        """Insert new messages (in time order): one insertion when all follow the newest row."""
        if self._has_older and self._keys:
            first = self._keys[0]  # older than what is shown: they arrive with their page
            messages = [m for m in messages if _sort_key(m) >= first]
        if self._has_newer and self._keys:
            last = self._keys[-1]  # newer than what is shown: they arrive with their page
            messages = [m for m in messages if _sort_key(m) <= last]
        if not messages:
            return
        if not self._keys or _sort_key(messages[0]) >= self._keys[-1]:
            end = len(self._rows)
            self.beginInsertRows(QModelIndex(), end, end + len(messages) - 1)
            self._rows.extend(messages)
            self._keys.extend(_sort_key(m) for m in messages)
            self._days.extend(local_day(m) for m in messages)
            self._remember(messages)
            self.endInsertRows()
            return
        for message in messages:
            key = _sort_key(message)
            row = bisect.bisect_right(self._keys, key)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, message)
            self._keys.insert(row, key)
            self._days.insert(row, local_day(message))
            self._remember((message,))
            self.endInsertRows()
            self._emit_neighbour_changed(row + 1)

    def _remove_at(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        self._forget((self._rows[row],))
        del self._rows[row]
        del self._keys[row]
        del self._days[row]
        self.endRemoveRows()
        self._emit_neighbour_changed(row)

    def _trim_to_tail_window(self) -> None:
        window = self._tail_window
        if window is None or len(self._rows) <= window + window // 2:
            return
        if self._loading is not None:  # its page would leave a gap above the kept rows
            self._loading.cancel()
            self._loading = None
        dropped = len(self._rows) - window
        self.beginRemoveRows(QModelIndex(), 0, dropped - 1)
        self._forget(self._rows[:dropped])
        del self._rows[:dropped]
        del self._keys[:dropped]
        del self._days[:dropped]
        self._has_older = True
        self._dropped_rows = True
        self.endRemoveRows()
        self._emit_neighbour_changed(0)  # the new first row shows no day header now

    def _emit_neighbour_changed(self, row: int) -> None:
        """The row after an insert or removal may gain or lose its day header / sender line."""
        if 0 <= row < len(self._rows):
            index = self.index(row)
            self.dataChanged.emit(index, index, [MessageRole.DAY_HEADER, MessageRole.SHOW_SENDER])

    def _day_header(self, row: int) -> dt.date | None:
        return _day_header(self._days, row, self._has_older)

    def _starts_run(self, row: int) -> bool:
        return _starts_run(self._rows, self._days, row)


def _day_header(days: list[dt.date], row: int, has_older: bool) -> dt.date | None:
    """The day header of ``row`` (its local day when it starts one, else None)."""
    day = days[row]
    if row == 0:
        return None if has_older else day
    return day if days[row - 1] != day else None


def _starts_run(rows: list[Message], days: list[dt.date], row: int) -> bool:
    """Whether ``row`` shows its sender line (the first of a run from the same sender)."""
    message = rows[row]
    if message.direction is Direction.SYSTEM:
        return False
    if row == 0:
        return True
    previous = rows[row - 1]
    return (
        previous.direction is not message.direction
        or previous.sender_name != message.sender_name
        or message.created_at - previous.created_at > GROUP_GAP
        or days[row - 1] != days[row]
    )

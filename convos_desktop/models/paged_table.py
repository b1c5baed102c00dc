"""A table over a server-side list: filters and order on the server, pages fetched on scroll.

The history screens (Ticket, Conversazioni) read lists that can hold hundreds of thousands of
rows, so nothing here holds a whole history: rows arrive a page at a time as the view asks for
more (``canFetchMore``/``fetchMore``, guarded against double loads), each row is a small tuple
made by the subclass (names are looked up when a cell is painted), and a new query starts
again from the first page. Answers to an older query are dropped by generation.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from convos_desktop.core.types import Contact
from convos_desktop.models.directory import Directory

log = logging.getLogger("convos.models.paged")

ModelIndex = QModelIndex | QPersistentModelIndex
Runner = Callable[[Coroutine[Any, Any, None]], object]

ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ServerPage(Protocol):
    """What a page of a server-side list carries."""

    @property
    def items(self) -> Sequence[Any]: ...
    @property
    def contacts(self) -> Sequence[Contact]: ...
    @property
    def next_cursor(self) -> str | None: ...
    @property
    def total(self) -> int | None: ...
    @property
    def total_capped(self) -> bool: ...


class ServerQuery(Protocol):
    """What a query of a server-side list carries besides its filters."""

    @property
    def sort(self) -> str: ...
    @property
    def descending(self) -> bool: ...


PageFetcher = Callable[[Any, str | None, int], Awaitable[ServerPage]]


# How many rows' cell texts a table keeps (a few screens around what the view shows): a row's
# cells are formatted once, not again on each scroll step that paints them.
TEXTS_KEPT = 512


def moment_text(epoch_seconds: float) -> str:
    """A date and time in the UI locale, local time (the zone the C library reads from ``TZ``,
    else the system's: as every other time the app shows)."""
    moment = QDateTime.fromSecsSinceEpoch(int(epoch_seconds))
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


def text_formats() -> tuple[QLocale, str | None]:
    """What the cell texts are written with: the UI locale (``QLocale()``, the default the app
    sets) and the time zone (``TZ``, else the system's as read when the app started)."""
    return QLocale(), os.environ.get("TZ")


class PagedTableModel(QAbstractTableModel):
    """See the module docstring. Subclasses make rows and cells; ``run`` starts a coroutine.

    ``sort_keys`` maps a column to the server's ``sort`` value of that column; ``titles``
    names the columns (their count is the column count).
    """

    loading_changed = Signal(bool)
    total_changed = Signal(int)
    failed = Signal(object)  # the exception of a page that could not be loaded

    def __init__(
        self,
        fetch: PageFetcher,
        run: Runner,
        query: ServerQuery,
        directory: Directory,
        titles: Sequence[str],
        sort_keys: Mapping[int, str],
        page_size: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._run = run
        self._directory = directory
        self._titles = list(titles)
        self._sort_keys = dict(sort_keys)
        self.page_size = page_size
        self._rows: list[Any] = []
        self._contacts: dict[int, str] = {}
        # the cell texts of the rows painted lately, by row id, oldest first (``texts``)
        self._texts: dict[int, tuple[str, ...]] = {}
        self._texts_formats = text_formats()
        # a name the directory learnt shows in the rows already formatted too
        directory.changed.connect(self.forget_texts)
        directory.contact_changed.connect(self.forget_texts)
        self._query: Any = query
        self._cursor: str | None = None
        self._more = False
        self._loading = False
        self._generation = 0
        self.total: int | None = None
        # the server stopped counting at ``total`` (shown as "10,000+")
        self.total_capped = False

    # --- to be provided by subclasses -----------------------------------------------------

    # the roles ``cell`` answers (with ``ROW_ID_ROLE``, which ``data`` answers itself)
    roles: frozenset[int] = frozenset(
        {int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole), int(ROW_ID_ROLE)}
    )

    def make_row(self, item: Any) -> Any:
        """The compact row kept for one item of a page."""
        raise NotImplementedError

    def cell(self, row: Any, column: int, role: int) -> object:
        """What ``role`` of one cell holds (``None`` for nothing); the display and tooltip
        roles are the row's ``texts``."""
        raise NotImplementedError

    def row_texts(self, row: Any) -> tuple[str, ...]:
        """Every column's text of one row, in the UI language (see ``texts``)."""
        raise NotImplementedError

    # --- the cell texts, formatted once per row -------------------------------------------

    def texts(self, row: Any) -> tuple[str, ...]:
        """``row_texts`` of ``row``, kept for the ``TEXTS_KEPT`` rows formatted last: until
        the list is read again, a name changes in the directory, or the locale or time zone
        changes."""
        self.check_text_formats()
        return self.kept_texts(row)

    def check_text_formats(self) -> bool:
        """Forget the kept texts if the locale or time zone changed since they were written
        (``True`` then)."""
        formats = text_formats()
        if formats == self._texts_formats:
            return False
        self._texts_formats = formats
        self._texts.clear()
        return True

    def kept_texts(self, row: Any) -> tuple[str, ...]:
        """``texts`` without checking the locale and time zone: for a painter that checked
        them once for the whole paint (``check_text_formats``), not once per cell."""
        kept = self._texts
        texts = kept.get(row.id)
        if texts is None:
            if len(kept) >= TEXTS_KEPT:
                del kept[next(iter(kept))]  # the oldest
            texts = kept[row.id] = self.row_texts(row)
        return texts

    def forget_texts(self, *_args: object) -> None:
        """Format the rows' texts again when next painted (names changed)."""
        self._texts.clear()

    # --- the query ------------------------------------------------------------------------

    @property
    def query(self) -> Any:
        return self._query

    @property
    def loading(self) -> bool:
        return self._loading

    def sort_column(self) -> int | None:
        """The column the current order is by."""
        for column, key in self._sort_keys.items():
            if key == self._query.sort:
                return column
        return None

    def set_query(self, query: ServerQuery) -> None:
        """Show the list for ``query`` from its first page."""
        self._generation += 1
        self.beginResetModel()
        self._query = query
        self._rows = []
        self._texts.clear()
        self._cursor = None
        self._more = False
        self.total = None
        self.total_capped = False
        self.endResetModel()
        self._load(first=True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order on the server by ``column``."""
        key = self._sort_keys.get(column)
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.sort and descending == self._query.descending and self._rows:
            return
        query = replace(self._query, sort=key, descending=descending)
        if self._generation == 0:  # nothing asked yet (a view sets its order while built)
            self._query = query
            return
        self.set_query(query)

    # --- paging ---------------------------------------------------------------------------

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._load(first=False)

    def _load(self, first: bool) -> None:
        self._set_loading(True)
        self._run(self._load_page(self._generation, None if first else self._cursor))

    async def _load_page(self, generation: int, cursor: str | None) -> None:
        try:
            page = await self._fetch(self._query, cursor, self.page_size)
        except Exception as exc:
            log.info("page not loaded: %r", exc)
            if generation == self._generation:
                self._set_loading(False)
                self.failed.emit(exc)
            return
        if generation == self._generation:
            self._add_page(page)

    def _add_page(self, page: ServerPage) -> None:
        for contact in page.contacts:
            self._contacts[contact.id] = contact.name
        rows = [self.make_row(item) for item in page.items]
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self._cursor = page.next_cursor
        self._more = page.next_cursor is not None
        if page.total is not None:
            self.total = page.total
            self.total_capped = page.total_capped
            self.total_changed.emit(page.total)
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    # --- reading --------------------------------------------------------------------------

    def row_at(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def contact_name(self, contact_id: int) -> str:
        """A contact's name as a page of this list brought it, else as the directory knows it."""
        return self._contacts.get(contact_id) or self._directory.contact_name(contact_id)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._titles)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._titles):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        # the view asks each painted cell for seven roles; most get nothing, cheaply
        if role not in self.roles:
            return None
        number = index.row()
        if not index.isValid() or not 0 <= number < len(self._rows):
            return None
        row = self._rows[number]
        if role == ROW_ID_ROLE:
            return row.id
        return self.cell(row, index.column(), role)

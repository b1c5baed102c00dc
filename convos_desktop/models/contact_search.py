"""The contacts found by a search of the New ticket screen: one page of the server at a time.

The model does no network work itself: ``fetchMore`` (asked by the view when the list is
scrolled to its end) emits ``moreWanted(query, cursor)`` once; whoever owns the search fetches
the page and hands it to :meth:`ContactSearchModel.append_page`. A page of an older query is
dropped, so results of a stale search never mix with the current ones.
"""

from __future__ import annotations

from collections.abc import Sequence
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

from convos_desktop.core.types import Contact

ModelIndex = QModelIndex | QPersistentModelIndex


class ContactRole(IntEnum):
    """Data roles of :class:`ContactSearchModel` (``DisplayRole``: name, phone, e-mail)."""

    CONTACT = Qt.ItemDataRole.UserRole + 1
    CONTACT_ID = Qt.ItemDataRole.UserRole + 2


def contact_line(contact: Contact) -> str:
    """One line for a contact: its name, then its phone and e-mail when it has them."""
    details = [value for value in (contact.phone, contact.email) if value]
    if not details and contact.external_id:  # a channel's contact: its id tells it apart
        details = [contact.external_id]
    return "  ·  ".join([contact.name, *details])


class ContactSearchModel(QAbstractListModel):
    """Contacts of the current query, in the server's order; more pages on demand."""

    moreWanted = Signal(str, str)  # noqa: N815 (Qt signal naming): query, cursor

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._query = ""
        self._contacts: list[Contact] = []
        self._next_cursor: str | None = None
        self._fetching = False

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._contacts)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._contacts):
            return None
        contact = self._contacts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return contact_line(contact)
        if role == Qt.ItemDataRole.ToolTipRole:
            return contact_line(contact)
        if role == ContactRole.CONTACT:
            return contact
        if role == ContactRole.CONTACT_ID:
            return contact.id
        return None

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and self._next_cursor is not None and not self._fetching

    def fetchMore(self, parent: ModelIndex) -> None:
        if self.canFetchMore(parent) and self._next_cursor is not None:
            self._fetching = True
            self.moreWanted.emit(self._query, self._next_cursor)

    # --- state ---------------------------------------------------------------------------------

    @property
    def query(self) -> str:
        return self._query

    @property
    def has_more(self) -> bool:
        return self._next_cursor is not None

    def contact_at(self, row: int) -> Contact | None:
        return self._contacts[row] if 0 <= row < len(self._contacts) else None

    def set_results(self, query: str, contacts: Sequence[Contact], next_cursor: str | None) -> None:
        """The first page of a new search (a reset: the list is a new one)."""
        self.beginResetModel()
        self._query = query
        self._contacts = list(contacts)
        self._next_cursor = next_cursor
        self._fetching = False
        self.endResetModel()

    def append_page(self, query: str, contacts: Sequence[Contact], next_cursor: str | None) -> None:
        """A further page of ``query`` (ignored when the search has changed since)."""
        if query != self._query:
            return
        self._fetching = False
        self._next_cursor = next_cursor
        known = {contact.id for contact in self._contacts}
        fresh = [contact for contact in contacts if contact.id not in known]
        if fresh:
            first = len(self._contacts)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._contacts.extend(fresh)
            self.endInsertRows()

    def page_failed(self, query: str) -> None:
        """A further page could not be fetched: scrolling to the end asks again."""
        if query == self._query:
            self._fetching = False

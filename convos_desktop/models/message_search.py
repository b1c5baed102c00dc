"""Results of the message search: one row per message, with where it was said.

Rows come from the cache (offline, best match first) or from the server (newest first, one
page at a time, appended). :func:`match_ranges` finds what to highlight in a row's text: each
typed word, ignoring case and accents, the same for both sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from convos_desktop.core.types import Message
from convos_desktop.models.commands import fold

ModelIndex = QModelIndex | QPersistentModelIndex
_WORD = re.compile(r"\w+")


class SearchRole(IntEnum):
    """Data roles of :class:`MessageSearchModel` (``DisplayRole``: the message text)."""

    MESSAGE = Qt.ItemDataRole.UserRole + 1
    WHERE = Qt.ItemDataRole.UserRole + 2  # contact · inbox
    RANGES = Qt.ItemDataRole.UserRole + 3  # [(start, length)] to highlight in the text


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A found message and a line saying where it is (contact, inbox, date)."""

    message: Message
    where: str


def match_ranges(text: str, query: str) -> list[tuple[int, int]]:
    """``(start, length)`` of every occurrence of the words of ``query`` in ``text``, in order,
    never overlapping; case and accents are ignored (a folded character keeps its place when
    folding keeps the length, else only exact-case matches are found)."""
    words = sorted({fold(w) for w in _WORD.findall(query)}, key=len, reverse=True)
    if not words:
        return []
    folded = fold(text)
    haystack = folded if len(folded) == len(text) else text.casefold()
    found: list[tuple[int, int]] = []
    for word in words:
        start = haystack.find(word)
        while start >= 0:
            end = start + len(word)
            if all(end <= s or start >= s + n for s, n in found):
                found.append((start, len(word)))
            start = haystack.find(word, end)
    return sorted(found)


class MessageSearchModel(QAbstractListModel):
    """The hits of one query; :meth:`reset` starts another, :meth:`append` adds a page."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self._query = ""

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return hit.message.body
        if role == SearchRole.MESSAGE:
            return hit.message
        if role == SearchRole.WHERE:
            return hit.where
        if role == SearchRole.RANGES:
            return match_ranges(hit.message.body, self._query)
        return None

    @property
    def query(self) -> str:
        return self._query

    def hit_at(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def reset(self, query: str, hits: Sequence[SearchHit] = ()) -> None:
        self.beginResetModel()
        self._query = query
        self._hits = list(hits)
        self.endResetModel()

    def append(self, hits: Sequence[SearchHit]) -> None:
        """Add a further page (messages already listed are skipped)."""
        known = {hit.message.id for hit in self._hits}
        fresh = [hit for hit in hits if hit.message.id not in known]
        if not fresh:
            return
        first = len(self._hits)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._hits.extend(fresh)
        self.endInsertRows()

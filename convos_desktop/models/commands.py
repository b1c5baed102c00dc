"""What the command palette lists: commands, their ranking for a typed text, the list model.

A :class:`Command` is anything the agent can jump to or run (an action of the app, a screen,
a ticket, a contact). :func:`match_score` ranks a command's title for what was typed: the
whole text at the start beats the start of a word, which beats anywhere inside, which beats
the letters in order with gaps (fuzzy); no match is ``None``. The model holds every command
and shows the matching ones, best first, at most :data:`MAX_ROWS`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex
MAX_ROWS = 200


class CommandKind(StrEnum):
    """What a command leads to; the order of the members is the order of ties."""

    ACTION = "action"
    SCREEN = "screen"
    TICKET = "ticket"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class Command:
    """One entry of the palette: ``title`` is matched, ``detail`` and ``shortcut`` shown."""

    kind: CommandKind
    title: str
    run: Callable[[], object]
    detail: str = ""
    shortcut: str = ""
    keywords: str = ""  # matched too (e.g. a ticket's number), not shown


class CommandRole(IntEnum):
    """Data roles of :class:`CommandModel` (``DisplayRole``: the title)."""

    COMMAND = Qt.ItemDataRole.UserRole + 1
    KIND = Qt.ItemDataRole.UserRole + 2
    DETAIL = Qt.ItemDataRole.UserRole + 3
    SHORTCUT = Qt.ItemDataRole.UserRole + 4


def fold(text: str) -> str:
    """``text`` lower-cased without accents, for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def match_score(query: str, text: str) -> int | None:
    """How well ``text`` matches ``query`` (higher is better), ``None`` when it does not.

    Both are folded (case and accents ignored); an empty query matches everything with 0.
    """
    q = fold(query).strip()
    if not q:
        return 0
    t = fold(text)
    at = t.find(q)
    if at == 0:
        return 1000 - len(t)
    if at > 0:
        word_start = any(t.startswith(q, i) and not t[i - 1].isalnum() for i in range(1, len(t)))
        return (800 if word_start else 600) - at
    # Fuzzy: every letter of the query in order; fewer gaps score higher.
    position, gaps = 0, 0
    for char in q.replace(" ", ""):
        found = t.find(char, position)
        if found < 0:
            return None
        gaps += found - position
        position = found + 1
    return max(1, 400 - gaps * 4 - len(t))


def rank(commands: Sequence[Command], query: str, limit: int = MAX_ROWS) -> list[Command]:
    """The commands matching ``query``, best first (ties: kind, then the given order)."""
    kinds = list(CommandKind)
    scored: list[tuple[int, int, int, Command]] = []
    for order, command in enumerate(commands):
        score = match_score(query, command.title)
        if command.keywords:
            extra = match_score(query, command.keywords)
            if extra is not None and (score is None or extra > score):
                score = extra
        if score is not None:
            scored.append((-score, kinds.index(command.kind), order, command))
    scored.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in scored[:limit]]


class CommandModel(QAbstractListModel):
    """The commands matching the current query, best first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[Command] = []
        self._rows: list[Command] = []
        self._query = ""

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        command = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return command.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return command.detail or None
        if role == CommandRole.COMMAND:
            return command
        if role == CommandRole.KIND:
            return command.kind.value
        if role == CommandRole.DETAIL:
            return command.detail
        if role == CommandRole.SHORTCUT:
            return command.shortcut
        return None

    def command_at(self, row: int) -> Command | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def query(self) -> str:
        return self._query

    def set_commands(self, commands: Sequence[Command]) -> None:
        """Replace every command (the current query applies to them)."""
        self._all = list(commands)
        self._refilter()

    def add_commands(self, commands: Sequence[Command]) -> None:
        """Add commands that came later (tickets and contacts read off the GUI thread)."""
        self._all.extend(commands)
        self._refilter()

    def set_query(self, query: str) -> None:
        self._query = query
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        self._rows = rank(self._all, self._query)
        self.endResetModel()

"""The Mentions view's list: one row per mention, newest first, unread ones bold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from convos_desktop.core.mentions import Mention, Mentions
from convos_desktop.models.records import RecordListModel


class MentionListModel(RecordListModel[Mention]):
    """Rows of :class:`Mentions`; ``names(agent_id)`` words who wrote the note."""

    UNREAD_ROLE = RecordListModel.RECORD_ROLE + 1
    AUTHOR_ROLE = RecordListModel.RECORD_ROLE + 2  # who wrote the note, by name

    def __init__(
        self,
        mentions: Mentions,
        names: Callable[[int], str],
        line: Callable[[Mention, str], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._mentions = mentions
        self._names = names
        self._line = line
        mentions.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Take the mentions again (a handful: replaced as a whole)."""
        self.set_records(self._mentions.items())

    def record_data(self, record: Mention, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._line(record, self._names(record.by_agent_id))
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.message.body
        if role == Qt.ItemDataRole.FontRole and not record.read:
            font = QFont()
            font.setBold(True)
            return font
        if role == self.UNREAD_ROLE:
            return not record.read
        if role == self.AUTHOR_ROLE:
            return self._names(record.by_agent_id)
        return None

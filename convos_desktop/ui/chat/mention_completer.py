"""``@name`` completion of colleagues in note mode: the quick replies' completer, keyed on names.

The server finds mentions in a note's text (``@`` + an agent's full name, docs/protocol.md),
so completing inserts the full name; it is offered in note mode only (a reply never mentions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from convos_desktop.core.types import Agent
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.quick_replies import PrefixCompleter


class ColleagueModel(RecordListModel[Agent]):
    """Active colleagues (the agent itself left out) by name."""

    NAME_ROLE = RecordListModel.RECORD_ROLE + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def set_agents(self, agents: Iterable[Agent], me_id: int | None) -> None:
        """The colleagues on offer, sorted by name."""
        self.set_records(
            sorted(
                (a for a in agents if a.id != me_id),
                key=lambda a: a.name.casefold(),
            )
        )

    def record_data(self, record: Agent, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"@{record.name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.email
        if role == self.NAME_ROLE:
            return record.name
        return None


class MentionCompleter(PrefixCompleter):
    """Pops matching colleagues when ``@`` starts a word; inserts ``@Full Name``."""

    def __init__(self, edit: QPlainTextEdit, model: ColleagueModel) -> None:
        super().__init__(edit, model, "@", ColleagueModel.NAME_ROLE)
        self.enabled = False  # note mode only

    def insert_record(self, record: object, replace_chars: int) -> bool:
        if not isinstance(record, Agent):
            return False
        cursor = self._edit.textCursor()
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, replace_chars
        )
        cursor.insertText(f"@{record.name} ")
        self._edit.setTextCursor(cursor)
        return True

"""A read-only list model over immutable records, the base of the small lists of the UI.

Subclasses only say how one record shows for a role (``record_data``); rows, bounds checks,
flags, the record role and whole-list replacement live here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

RecordT = TypeVar("RecordT")
ModelIndex = QModelIndex | QPersistentModelIndex


class RecordListModel(QAbstractListModel, Generic[RecordT]):
    """Rows of records replaced as a whole; ``RECORD_ROLE`` gives the record itself."""

    RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list[RecordT] = []

    def set_records(self, records: Iterable[RecordT]) -> None:
        """Replace every row (the lists this serves are small and change as a whole)."""
        self.beginResetModel()
        self._records = list(records)
        self.endResetModel()

    def records(self) -> list[RecordT]:
        """The records in row order."""
        return list(self._records)

    def record_at(self, row: int) -> RecordT:
        """The record shown in ``row``."""
        return self._records[row]

    def record_data(self, record: RecordT, role: int) -> Any:
        """What ``record`` shows for ``role`` (``None`` for roles it has nothing for)."""
        raise NotImplementedError

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._records)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._records):
            return None
        record = self._records[index.row()]
        if role == self.RECORD_ROLE:
            return record
        return self.record_data(record, role)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

"""Label helpers shared by the screens: a coloured dot icon and a "filter by label" combo."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QWidget

from convos_desktop.core.types import Label

DOT_PX = 12


def label_icon(color: str) -> QIcon:
    """A round dot of ``color`` (``#rrggbb``)."""
    pixmap = QPixmap(DOT_PX, DOT_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(1, 1, DOT_PX - 2, DOT_PX - 2)
    painter.end()
    return QIcon(pixmap)


class LabelFilterCombo(QComboBox):
    """ "Any label" then the workspace's labels; ``labelChosen(object)`` gives the id or None.

    ``set_labels`` keeps the chosen label while it still exists (else back to any).
    """

    labelChosen = Signal(object)  # noqa: N815  # int | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelFilter")
        self.setToolTip(self.tr("Show only tickets with this label"))
        self.addItem(self.tr("Any label"), None)
        self.currentIndexChanged.connect(lambda _i: self.labelChosen.emit(self.label_id()))

    def label_id(self) -> int | None:
        value = self.currentData()
        return int(value) if value is not None else None

    def set_labels(self, labels: Sequence[Label]) -> None:
        chosen = self.label_id()
        self.blockSignals(True)
        try:
            while self.count() > 1:
                self.removeItem(1)
            for label in labels:
                self.addItem(label_icon(label.color), label.name, label.id)
            index = self.findData(chosen) if chosen is not None else 0
            self.setCurrentIndex(max(0, index))
        finally:
            self.blockSignals(False)
        if self.label_id() != chosen:
            self.labelChosen.emit(self.label_id())

    def choose(self, label_id: int | None) -> None:
        """Select ``label_id`` (``None``: any)."""
        index = self.findData(label_id) if label_id is not None else 0
        self.setCurrentIndex(max(0, index))

"""A one-line label that elides its text with "…" to the room it has, full text in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Plain text on one line; shrinks to any width, eliding at the end, never clipping.

    ``full_text()`` is the text set; the tooltip shows it while it does not fit.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full_text = ""

    def setText(self, text: str) -> None:
        self._full_text = text
        super().setText(text)
        self._update_tooltip()

    def full_text(self) -> str:
        return self._full_text

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self._full_text) > self.contentsRect().width()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self._full_text, Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()), text)

    def _update_tooltip(self) -> None:
        self.setToolTip(self._full_text if self.is_elided() else "")

"""A one-line label that elides its text with "…" to the room it has, full text in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Plain text on one line; shrinks to any width, eliding at the end, never clipping.

    ``full_text()`` is the text set; the tooltip shows it while it does not fit. The label
    shows (and a mouse selection copies) the elided form.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full_text = ""

    def setText(self, text: str) -> None:
        self._full_text = text
        self._elide()

    def full_text(self) -> str:
        return self._full_text

    def is_elided(self) -> bool:
        return self.text() != self._full_text

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self._full_text)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(), super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, width)
        super().setText(shown)
        self.setToolTip(self._full_text if shown != self._full_text else "")

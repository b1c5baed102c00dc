"""How a quick reply looks in the ``/`` completer: its code, its language and a text preview.

Two lines per reply, like a completer: ``/shortcut`` in bold with the language on the right,
then the first line of the text with the placeholders filled, elided to the popup's width
(the popup has no horizontal scroll bar: nothing is ever clipped).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from convos_desktop.core.types import Canned
from convos_desktop.models.records import RecordListModel

ModelIndex = QModelIndex | QPersistentModelIndex

PAD_X = 10
PAD_Y = 4
LINE_GAP = 1


class CannedDelegate(QStyledItemDelegate):
    """Paints one quick reply on two elided lines (code + language, then the preview)."""

    def __init__(self, fill: Callable[[str], str], parent: QWidget | None = None) -> None:
        """``fill`` turns a reply's text into what would be inserted (placeholders filled)."""
        super().__init__(parent)
        self._fill = fill

    def preview(self, reply: Canned) -> str:
        """The first line of the reply as it would be inserted."""
        text = self._fill(reply.text).strip()
        return " ".join(text.split("\n", 1)[0].split())

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        bold = QFontMetrics(_bold(option.font))
        height = bold.height() + LINE_GAP + metrics.height() + 2 * PAD_Y
        return QSize(200, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        reply = index.data(RecordListModel.RECORD_ROLE)
        if not isinstance(reply, Canned):
            super().paint(painter, option, index)
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        if selected:
            painter.fillRect(option.rect, palette.highlight())
        text_color = palette.highlightedText() if selected else palette.text()
        muted = palette.highlightedText() if selected else palette.placeholderText()
        inner = option.rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        bold_font = _bold(option.font)
        bold = QFontMetrics(bold_font)
        metrics = QFontMetrics(option.font)

        tag = (reply.language or "").upper()
        tag_width = metrics.horizontalAdvance(tag) + 8 if tag else 0
        painter.setFont(option.font)
        painter.setPen(muted.color())
        if tag:
            top = QRect(inner.right() - tag_width, inner.top(), tag_width, bold.height())
            painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tag)
        code_rect = QRect(inner.left(), inner.top(), inner.width() - tag_width, bold.height())
        painter.setFont(bold_font)
        painter.setPen(text_color.color())
        code = bold.elidedText(f"/{reply.shortcut}", Qt.TextElideMode.ElideRight, code_rect.width())
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(code_rect, left, code)

        preview_top = inner.top() + bold.height() + LINE_GAP
        preview_rect = QRect(inner.left(), preview_top, inner.width(), metrics.height())
        painter.setFont(option.font)
        painter.setPen(muted.color())
        preview = metrics.elidedText(
            self.preview(reply), Qt.TextElideMode.ElideRight, preview_rect.width()
        )
        painter.drawText(preview_rect, left, preview)
        painter.restore()


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setWeight(QFont.Weight.DemiBold)
    return bold

"""Paints one mention: who the note is about and its ticket, when, then who wrote it and what.

Two lines, like the ticket list's rows: the contact's name (bold while unread, with the unread
dot) and ``#ticket`` on the first with the time at its end; the note's author and its text,
elided, on the second.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from convos_desktop.core.mentions import Mention
from convos_desktop.models.mentions import MentionListModel
from convos_desktop.ui import theme
from convos_desktop.ui.formatting import short_time

PADDING_X = 12
PADDING_Y = 8
LINE_GAP = 3
MARKER_WIDTH = 14
DOT = 8


class MentionDelegate(QStyledItemDelegate):
    """Uniform two-line rows; every text elided to its room, never wrapped or clipped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    @staticmethod
    def _fonts(base: QFont, unread: bool) -> tuple[QFont, QFont]:
        name = QFont(base)
        name.setWeight(QFont.Weight.Bold if unread else QFont.Weight.DemiBold)
        return name, QFont(base)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        name, body = self._fonts(option.font, unread=True)
        lines = QFontMetrics(name).height() + QFontMetrics(body).height()
        return QSize(320, lines + LINE_GAP + 2 * PADDING_Y)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        mention = index.data(MentionListModel.RECORD_ROLE)
        if not isinstance(mention, Mention):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        painter.save()
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget
            )
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        text = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = text if selected else theme.CHAT.muted
        unread = not mention.read
        name_font, body_font = self._fonts(opt.font, unread)
        rect: QRect = opt.rect
        left, right = rect.left() + PADDING_X + MARKER_WIDTH, rect.right() - PADDING_X
        top = rect.top() + PADDING_Y
        name_height = QFontMetrics(name_font).height()
        if unread:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(text if selected else theme.UNREAD)
            dot_top = top + (name_height - DOT) // 2
            painter.drawEllipse(rect.left() + PADDING_X - 2, dot_top, DOT, DOT)
        painter.setPen(text)
        self._first_line(painter, mention, QRect(left, top, right - left, name_height), name_font)
        painter.setPen(text if unread or selected else muted)
        self._second_line(
            painter,
            str(index.data(MentionListModel.AUTHOR_ROLE) or ""),
            mention.message.body,
            QRect(left, top + name_height + LINE_GAP, right - left, name_height),
            body_font,
        )
        painter.restore()

    def _first_line(self, painter: QPainter, mention: Mention, box: QRect, font: QFont) -> None:
        """``Contact  ·  #12`` on the left, the time on the right (the pen is the text's)."""
        metrics = QFontMetrics(font)
        when = short_time(mention.created_at)
        when_width = metrics.horizontalAdvance(when)
        painter.setFont(font)
        align = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(box, align | Qt.AlignmentFlag.AlignRight, when)
        room = max(0, box.width() - when_width - 12)
        line = self.name_and_ticket(metrics, mention, room)
        painter.drawText(QRect(box.left(), box.top(), room, box.height()), align, line)

    def name_and_ticket(self, metrics: QFontMetrics, mention: Mention, room: int) -> str:
        """``Contact  ·  #12`` in ``room`` pixels: the name is elided, the ticket number kept."""
        name = mention.contact_name or self.tr("Conversation {id}").format(
            id=mention.conversation_id
        )
        ticket = f"  ·  #{mention.ticket_id}" if mention.ticket_id is not None else ""
        name_room = room - (metrics.horizontalAdvance(ticket) if ticket else 0)
        return metrics.elidedText(name, Qt.TextElideMode.ElideRight, max(0, name_room)) + ticket

    @staticmethod
    def _second_line(painter: QPainter, author: str, body: str, box: QRect, font: QFont) -> None:
        """``Author: the note's text`` on one line, elided at its end."""
        painter.setFont(font)
        flat = " ".join(body.split())
        line = f"{author}: {flat}" if author else flat
        elided = QFontMetrics(font).elidedText(line, Qt.TextElideMode.ElideRight, box.width())
        painter.drawText(box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)

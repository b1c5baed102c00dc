"""Paints one ticket row: contact, preview, time, inbox, assignee, unread and draft markers,
and the ticket's labels as small coloured chips at the end of the last line."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from convos_desktop.core.types import Label
from convos_desktop.models.ticket_list import TicketRole
from convos_desktop.ui import theme
from convos_desktop.ui.formatting import short_time

PADDING_X = 14
PADDING_Y = 9
LINE_GAP = 3
MARKER_WIDTH = 12


class TicketDelegate(QStyledItemDelegate):
    """Uniform three-line rows; every text is elided to its space, never wrapped or clipped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def _fonts(self, base: QFont) -> tuple[QFont, QFont, QFont]:
        name = QFont(base)
        name.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(max(7.5, base.pointSizeF() - 1.5))
        return name, QFont(base), small

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        name, body, small = self._fonts(option.font)
        height = (
            QFontMetrics(name).height()
            + QFontMetrics(body).height()
            + QFontMetrics(small).height()
            + 2 * LINE_GAP
            + 2 * PADDING_Y
        )
        return QSize(240, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        painter.save()
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget
            )
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = text_color if selected else theme.CHAT.muted
        rect: QRect = opt.rect
        name_font, body_font, small_font = self._fonts(opt.font)
        unread = bool(index.data(TicketRole.UNREAD))
        left = rect.left() + PADDING_X + MARKER_WIDTH
        right = rect.right() - PADDING_X
        y = rect.top() + PADDING_Y

        name_metrics = QFontMetrics(name_font)
        if unread:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(text_color if selected else theme.UNREAD)
            dot = 8
            painter.drawEllipse(
                rect.left() + PADDING_X - 2, y + (name_metrics.height() - dot) // 2, dot, dot
            )

        when: dt.datetime | None = index.data(TicketRole.TIME)
        time_text = short_time(when) if when else ""
        painter.setFont(small_font)
        small_metrics = QFontMetrics(small_font)
        time_width = small_metrics.horizontalAdvance(time_text)
        painter.setPen(text_color if unread or selected else muted)
        painter.drawText(
            QRect(right - time_width, y, time_width, name_metrics.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            time_text,
        )
        name_font.setWeight(QFont.Weight.Bold if unread else QFont.Weight.DemiBold)
        painter.setFont(name_font)
        painter.setPen(text_color)
        name_space = max(0, right - time_width - 8 - left)
        name = QFontMetrics(name_font).elidedText(
            str(index.data(TicketRole.CONTACT_NAME) or ""), Qt.TextElideMode.ElideRight, name_space
        )
        painter.drawText(
            QRect(left, y, name_space, name_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name,
        )
        y += name_metrics.height() + LINE_GAP

        body_metrics = QFontMetrics(body_font)
        draft_text = self.tr("Draft") if index.data(TicketRole.HAS_DRAFT) else ""
        draft_width = small_metrics.horizontalAdvance(draft_text) + 10 if draft_text else 0
        if draft_text:
            painter.setFont(small_font)
            painter.setPen(text_color if selected else theme.DRAFT)
            painter.drawText(
                QRect(right - draft_width, y, draft_width, body_metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                draft_text,
            )
        painter.setFont(body_font)
        painter.setPen(text_color if unread or selected else muted)
        preview_space = max(0, right - left - draft_width)
        preview = body_metrics.elidedText(
            str(index.data(TicketRole.PREVIEW) or ""), Qt.TextElideMode.ElideRight, preview_space
        )
        painter.drawText(
            QRect(left, y, preview_space, body_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            preview,
        )
        y += body_metrics.height() + LINE_GAP

        assignee = str(index.data(TicketRole.ASSIGNEE_NAME) or "") or self.tr("Unassigned")
        inbox = str(index.data(TicketRole.INBOX_NAME) or "")
        painter.setFont(small_font)
        labels: list[Label] = index.data(TicketRole.LABELS) or []
        chips_width = paint_chips(painter, small_metrics, labels, right, y, (right - left) // 2)
        painter.setPen(muted)
        painter.drawText(
            QRect(left, y, right - left - chips_width, small_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            meta_line(small_metrics, inbox, assignee, right - left - chips_width),
        )
        painter.restore()


def meta_line(metrics: QFontMetrics, inbox: str, assignee: str, width: int) -> str:
    """``inbox  ·  assignee`` in ``width`` pixels: the inbox is elided first, so who holds
    the ticket stays readable (each part elided at its end, never in the middle of a name)."""
    if not inbox:
        return metrics.elidedText(assignee, Qt.TextElideMode.ElideRight, width)
    separator = "  ·  "
    who = separator + assignee
    if metrics.horizontalAdvance(inbox + who) <= width:
        return inbox + who
    who_width = min(metrics.horizontalAdvance(who) + 1, width * 3 // 4)
    who = metrics.elidedText(who, Qt.TextElideMode.ElideRight, who_width)
    room = width - metrics.horizontalAdvance(who)
    return metrics.elidedText(inbox, Qt.TextElideMode.ElideRight, room) + who


CHIP_PAD = 5
CHIP_GAP = 4
MAX_CHIPS = 2
CHIP_TEXT_WIDTH = 70


def chip_text_color(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    return QColor("#000000") if background.lightnessF() > 0.6 else QColor("#ffffff")


def paint_chips(
    painter: QPainter, metrics: QFontMetrics, labels: list[Label], right: int, y: int, room: int
) -> int:
    """Paint up to ``MAX_CHIPS`` label chips (then ``+n``) ending at ``right``, in at most
    ``room`` pixels; return the width used (with the gap before them)."""
    if not labels:
        return 0
    height = metrics.height()
    shown = labels[:MAX_CHIPS]
    texts = [
        metrics.elidedText(label.name, Qt.TextElideMode.ElideRight, CHIP_TEXT_WIDTH)
        for label in shown
    ]
    more = f"+{len(labels) - len(shown)}" if len(labels) > len(shown) else ""
    widths = [metrics.horizontalAdvance(text) + 2 * CHIP_PAD for text in texts]
    total = sum(widths) + CHIP_GAP * (len(widths) - 1)
    if more:
        total += CHIP_GAP + metrics.horizontalAdvance(more)
    if total > room:
        return 0
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    x = right - total
    for label, text, width in zip(shown, texts, widths, strict=True):
        color = QColor(label.color)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRect(x, y, width, height), height / 2, height / 2)
        painter.setPen(chip_text_color(color))
        painter.drawText(QRect(x, y, width, height), Qt.AlignmentFlag.AlignCenter, text)
        x += width + CHIP_GAP
    if more:
        painter.setPen(theme.CHAT.muted)
        painter.drawText(
            QRect(x, y, right - x, height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            more,
        )
    painter.restore()
    return total + CHIP_GAP

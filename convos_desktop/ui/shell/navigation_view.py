"""The navigation column: a tree of views and screens, painted without a style sheet.

Its look was ``resources/styles/app.qss`` (the app's last style sheet): a grey-blue column
without a frame, 4 px of room at the top, rows with 4 px / 6 px of padding, a rounded
background on the hovered and the selected row, the selected row's text in dark blue, no
focus rectangle and no selection colour in a row's indentation. Any style sheet puts its
widget under a ``QStyleSheetStyle`` with its rules, palettes and fonts cached per widget, and
the engine's first use costs its code and tables: ~0.7 MiB for this one (issue 16, measured in
``benchmarks/RESULTS.md``). So the view sets its palette and frame and follows the pointer
itself, a column around it gives the room at the top, and the delegate paints the rows'
backgrounds the way the style sheet engine did (the same antialiased path, the same two fills
on a hovered row), pixel for pixel (``tests/desktop/ui/test_navigation_look.py``).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QCursor, QFont, QPainter, QPainterPath, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.models.navigation import NavRole
from convos_desktop.ui.formatting import whole_number
from convos_desktop.ui.theme import ACCENT


class NavigationLook:
    """The column's colours and sizes (what app.qss said; a namespace of constants)."""

    background = QColor("#eef1f5")
    text = QColor("#1f2328")
    selected = QColor("#d6e3fa")
    selected_text = QColor("#0f3d91")
    hovered = QColor("#e3e8ef")
    top_room = 4  # px above the first row
    padding_x = 6  # px either side of a row's contents
    padding_y = 4  # px above and below them
    radius = 6  # of a row's rounded background


LOOK = NavigationLook()
PILL_MARGIN = 10  # between a navigation row's count pill and its right edge
EVERY_ROLE = (1 << 63) - 1  # a palette's resolve mask: each role of each group set
BACKGROUND_ROLES = (
    QPalette.ColorRole.Base,
    QPalette.ColorRole.Window,
    QPalette.ColorRole.Button,
)  # the roles a style sheet's ``background`` on a scroll area sets


def rounded_row(rect: QRect, radius: float) -> QPainterPath:
    """The style sheet engine's border path of a rule with ``border-radius`` and no border
    (``QRenderRule::borderClip``): lines and quarter arcs over the rectangle's float edges
    (right = x + width)."""
    box = QRectF(rect)
    left, top = box.x(), box.y()
    right, bottom = box.x() + box.width(), box.y() + box.height()
    size = 2 * radius
    path = QPainterPath()
    path.moveTo(left + radius, top)
    path.lineTo(right - radius, top)
    path.arcTo(right - size, top, size, size, 90, -90)
    path.lineTo(right, bottom - radius)
    path.arcTo(right - size, bottom - size, size, size, 0, -90)
    path.lineTo(left + radius, bottom)
    path.arcTo(left, bottom - size, size, size, 270, -90)
    path.lineTo(left, top + radius)
    path.arcTo(left, top, size, size, 180, -90)
    path.closeSubpath()
    return path


def fill_row(painter: QPainter, rect: QRect, color: QColor) -> None:
    """A row's rounded background, antialiased as the style sheet engine fills it."""
    antialiased = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillPath(rounded_row(rect, LOOK.radius), color)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialiased)


def joined(indentation: QRect) -> QRect:
    """A row's indentation reaching under its item's rounded left end: filled with the row's
    colour it joins the item's background into one (the style sheet rounded each part on its
    own, a notch on the left of every selected or hovered row)."""
    return indentation.adjusted(0, 0, 2 * LOOK.radius, 0)


class NavigationView(QTreeView):
    """The tree with the column's palette, no frame, room at the top and hover tracked; a
    hovered row's expand arrow is not the row's hover (as the style sheet's tree had it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navigation")
        self.setFrameShape(QFrame.Shape.NoFrame)
        palette = QPalette()
        palette.setResolveMask(0)
        for role in BACKGROUND_ROLES:
            palette.setColor(role, LOOK.background)
        self.setPalette(palette)
        # The scroll bars keep the app's colours (a style sheet on the tree left them so):
        # every role their own, not the column's background inherited.
        bars = QPalette(QApplication.palette())
        bars.setResolveMask(EVERY_ROLE)
        for bar in (self.verticalScrollBar(), self.horizontalScrollBar()):
            bar.setPalette(bars)
        # The hovered row is tracked here, from mouse moves (``WA_Hover`` would do it in Qt,
        # but reading ``Qt.WidgetAttribute`` builds that whole enum in Python: ~0.26 MiB).
        self.viewport().setMouseTracking(True)
        self._hover: tuple[QPersistentModelIndex, bool] | None = None  # (row, on its arrow)
        for bar in (self.verticalScrollBar(), self.horizontalScrollBar()):
            bar.valueChanged.connect(self._hover_after_scroll)

    def viewportEvent(self, event: QEvent) -> bool:
        """Follow the pointer: the row under it is hovered unless it is on the row's expand
        arrow (as the style sheet's tree had it); both rows are painted again on a change."""
        kind = event.type()
        if kind in (QEvent.Type.MouseMove, QEvent.Type.Enter):  # (a window may open under it)
            self._hover_at(event.position().toPoint())  # type: ignore[attr-defined]
        elif kind == QEvent.Type.Leave:
            self._set_hover(None)
        return super().viewportEvent(event)

    def _hover_at(self, point: QPoint) -> None:
        index = self.indexAt(point)
        self._set_hover((QPersistentModelIndex(index), self._on_arrow(index, point.x())))

    def _hover_after_scroll(self, _value: int) -> None:
        """The row under a pointer that stayed while the rows scrolled (as Qt's hover)."""
        point = self.viewport().mapFromGlobal(QCursor.pos())
        if self.viewport().rect().contains(point):
            self._hover_at(point)

    def _on_arrow(self, index: QModelIndex, x: int) -> bool:
        if not index.isValid() or not index.parent().isValid():
            return False
        model = self.model()
        if model is None or not model.hasChildren(index):
            return False
        left = self.visualRect(index).left()
        return left - self.indentation() <= x < left

    def _set_hover(self, hover: tuple[QPersistentModelIndex, bool] | None) -> None:
        old = self._hover
        if hover == old:
            return
        self._hover = hover
        for state in (old, hover):
            if state is not None and state[0].isValid():
                rect = self.visualRect(state[0])
                self.viewport().update(0, rect.top(), self.viewport().width(), rect.height())

    def hovered(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        """Whether the pointer is on ``index``'s row and not on the row's expand arrow."""
        hover = self._hover
        return hover is not None and not hover[1] and hover[0] == QPersistentModelIndex(index)

    def drawBranches(self, painter: QPainter, rect: QRect, index: QModelIndex) -> None:  # type: ignore[override]
        """A row's indentation: the column's colour, the row's rounded background if it is
        selected or hovered, joined to the item's, then the arrow."""
        if rect.isEmpty():  # a top-level row (no root decoration)
            super().drawBranches(painter, rect, index)
            return
        painter.fillRect(rect, LOOK.background)
        selection = self.selectionModel()
        if selection is not None and selection.isSelected(index):
            fill_row(painter, joined(rect), LOOK.selected)
        elif self.hovered(index):
            fill_row(painter, joined(rect), LOOK.hovered)
        super().drawBranches(painter, rect, index)


def navigation_column(view: NavigationView) -> QWidget:
    """``view`` in a column of its colour with the room above its rows (a style sheet's
    ``padding-top`` on a scroll area: its scroll bar starts below the room too; a scroll
    area's own contents margins are its frame's, set by its style)."""
    column = QWidget(view.parentWidget())
    column.setObjectName("navigationColumn")
    column.setPalette(view.palette())
    column.setAutoFillBackground(True)
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, LOOK.top_room, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(view)
    return column


class NavigationDelegate(QStyledItemDelegate):
    """Navigation rows: group titles in small caps, counts right-aligned in a pill, the
    hovered and selected rows on a rounded background."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # type: ignore[override]
        size = super().sizeHint(option, index)
        extra = 14 if index.data(NavRole.IS_GROUP) else 12
        return QSize(size.width() + 2 * LOOK.padding_x, size.height() + 2 * LOOK.padding_y + extra)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # type: ignore[override]
        selected, hovered = self._state(option, index)
        if hovered:  # the tree's row background (the style sheet's hover rule), then the item's
            self._fill(painter, option, LOOK.hovered)
        if index.data(NavRole.IS_GROUP):
            self._paint_group(painter, option, index)
            return
        if selected or hovered:
            self._fill(painter, option, LOOK.selected if selected else LOOK.hovered)
        label = QStyleOptionViewItem(option)
        self.initStyleOption(label, index)
        count = index.data(NavRole.COUNT)
        if count is None:
            self._paint_label(painter, label, selected)
            return
        text = whole_number(count)  # 1.234 in Italian, 1,234 in English
        metrics = option.fontMetrics
        width = max(22, metrics.horizontalAdvance(text) + 12)
        room = option.rect.width() - width - 2 * PILL_MARGIN - 2 * metrics.averageCharWidth()
        label.text = metrics.elidedText(label.text, Qt.TextElideMode.ElideRight, max(room, 0))
        self._paint_label(painter, label, selected)
        self._paint_pill(painter, option, text, width, count)

    @staticmethod
    def _fill(painter: QPainter, option: QStyleOptionViewItem, color: QColor) -> None:
        """The row's rounded background; an indented row's is square on the left, where it
        goes on from the indentation's (``NavigationView.drawBranches``)."""
        rect = option.rect
        if rect.left() <= 0 or not isinstance(option.widget, NavigationView):
            fill_row(painter, rect, color)
            return
        painter.save()
        painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
        fill_row(painter, rect.adjusted(-2 * LOOK.radius, 0, 0, 0), color)
        painter.restore()

    @staticmethod
    def _state(option: QStyleOptionViewItem, index: QModelIndex) -> tuple[bool, bool]:
        """(selected, hovered) as the style sheet's rules saw the row."""
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        view = option.widget
        if isinstance(view, NavigationView):
            hovered = view.hovered(index)
        else:
            hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        return selected, hovered and bool(state & QStyle.StateFlag.State_Enabled)

    @staticmethod
    def _paint_group(painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        font = QFont(option.font)
        font.setPointSizeF(font.pointSizeF() - 1)
        font.setWeight(QFont.Weight.DemiBold)
        font.setCapitalization(QFont.Capitalization.AllUppercase)
        painter.setFont(font)
        painter.setPen(option.palette.placeholderText().color())
        rect = option.rect.adjusted(4, 8, 0, 0)
        painter.drawText(
            rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, index.data()
        )
        painter.restore()

    @staticmethod
    def _paint_label(painter: QPainter, label: QStyleOptionViewItem, selected: bool) -> None:
        """The row's text inside its padding, by the style, with no background, hover or
        focus rectangle of the style's own."""
        label.rect = label.rect.adjusted(
            LOOK.padding_x, LOOK.padding_y, -LOOK.padding_x, -LOOK.padding_y
        )
        label.state &= ~(
            QStyle.StateFlag.State_Selected
            | QStyle.StateFlag.State_MouseOver
            | QStyle.StateFlag.State_HasFocus
        )
        label.palette.setColor(
            QPalette.ColorRole.Text, LOOK.selected_text if selected else LOOK.text
        )
        widget = label.widget
        style = widget.style() if widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, label, painter, widget)

    @staticmethod
    def _paint_pill(
        painter: QPainter, option: QStyleOptionViewItem, text: str, width: int, count: int
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        height = metrics.height() + 2
        rect = option.rect
        pill = rect.adjusted(
            rect.width() - width - PILL_MARGIN, (rect.height() - height) // 2, -PILL_MARGIN, 0
        )
        pill.setHeight(height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ACCENT if count else option.palette.mid().color())
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

"""A history table's cells painted as Qt's own delegate paints them, each text laid out once.

Qt's ``QStyledItemDelegate`` asks the model for seven roles per cell on every paint (seven
calls into Python) and lays the cell's text out again each time: the style sizes it for the
item's layout, lays it out once more to see whether it must be elided and once more to draw
it. On the history tables that was most of a scroll step's time (issue 16): a step paints
the rows it brings into view, eight or six cells each, and much of what they show repeats
(the inbox, the agent, the status, a short duration) or was shown a moment ago.

``HistoryCells`` paints a plain cell (not selected, current, hovered or being edited, in an
enabled view, one line of text) from its text's glyphs as laid out the first time, kept by
text, width, height and alignment: the same glyphs at the same place, in the same pen, as
Qt's own code draws (``QCommonStyle``'s ``CE_ItemViewItem``: the text inset by the focus
frame's margin and one pixel, elided to the width when longer, centred on the line's height).
Any other cell is Qt's own paint. The model answers the text, foreground and alignment
directly (``PagedTableModel.kept_texts`` and ``cell``), not through ``data``; its kept
texts are checked against the locale and time zone once per paint, not once per cell.

The layouts are bounded (``LAYOUTS_KEPT``, the oldest dropped first) and dropped when what
shapes them changes: the view's font, style, palette, layout direction or locale, a column's
width, the elide mode, or the model's texts written for another locale or time zone.
"""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGlyphRun,
    QPainter,
    QPalette,
    QTextLayout,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView

from convos_desktop.models.paged_table import PagedTableModel

# How many laid-out texts a table keeps: a few screens of cells (a screen of the Ticket table
# is ~30 rows of eight).
LAYOUTS_KEPT = 1024

DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole)
ALIGNMENT_ROLE = int(Qt.ItemDataRole.TextAlignmentRole)
# a model answering any of these gets Qt's own paint for every cell
QT_ONLY_ROLES = frozenset(
    int(role)
    for role in (
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.BackgroundRole,
    )
)
# a cell in any of these states is Qt's own paint (a highlight, a focus frame)
QT_STATES = (
    QStyle.StateFlag.State_Selected
    | QStyle.StateFlag.State_HasFocus
    | QStyle.StateFlag.State_MouseOver
    | QStyle.StateFlag.State_Editing
).value
ENABLED = QStyle.StateFlag.State_Enabled.value
ACTIVE = QStyle.StateFlag.State_Active.value
# a text that Qt would lay out on more than one line
LINE_BREAKS = ("\n", "\u2028", "\u2029")
# what the view tells it when something that shapes a text changed
SHAPING_EVENTS = frozenset(
    {
        QEvent.Type.FontChange,
        QEvent.Type.StyleChange,
        QEvent.Type.PaletteChange,
        QEvent.Type.LayoutDirectionChange,
        QEvent.Type.LocaleChange,
    }
)
DEFAULT_ALIGNMENT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# the glyphs of a laid-out text and where they go below the text rectangle's top
Layout = tuple[tuple[QGlyphRun, ...], int]


class HistoryCells(QStyledItemDelegate):
    """See the module docstring. ``laid_out`` counts the texts laid out (for tests)."""

    def __init__(self, view: QTableView, model: PagedTableModel, kept: int = LAYOUTS_KEPT) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._kept = kept
        self._layouts: dict[tuple[str, int, int, int | None], Layout] = {}
        self._pens: dict[int, QColor] = {}  # the palette's text colour by active state
        self._text_options: dict[int | None, QTextOption] = {}  # by alignment
        self._tops: dict[tuple[float, int, int | None], int] = {}  # by line and cell height
        self._font = QFont(view.font())
        self._metrics = QFontMetrics(self._font)
        self._margin = self._text_margin()
        self._elide = view.textElideMode()
        roles = model.roles
        # the model answers the text, foreground and alignment alone: cells Python can paint
        self._plain = not roles & QT_ONLY_ROLES and not view.wordWrap()
        self._coloured = FOREGROUND_ROLE in roles
        self._aligned = ALIGNMENT_ROLE in roles
        self.laid_out = 0
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self.forget)

    @property
    def kept(self) -> int:
        """How many laid-out texts are kept."""
        return len(self._layouts)

    def forget(self, *_args: object) -> None:
        """Drop the kept layouts (what shapes them changed)."""
        self._layouts.clear()
        self._pens.clear()
        self._text_options.clear()
        self._tops.clear()
        view = self._view
        self._font = QFont(view.font())
        self._metrics = QFontMetrics(self._font)
        self._margin = self._text_margin()

    def _text_margin(self) -> int:
        view = self._view
        return view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Paint:
            # once per paint, not per cell: texts written for another locale or zone go
            if self._model.check_text_formats():
                self.forget()
            view = self._view
            self._plain = not self._model.roles & QT_ONLY_ROLES and not view.wordWrap()
            if view.textElideMode() != self._elide:
                self._elide = view.textElideMode()
                self.forget()
        elif kind in SHAPING_EVENTS:
            self.forget()
        return False

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        state = option.state.value
        model = self._model
        row = model.row_at(index.row())
        if not self._plain or state & QT_STATES or not state & ENABLED or row is None:
            super().paint(painter, option, index)
            return
        column = index.column()
        text = model.kept_texts(row)[column]
        colour = model.cell(row, column, FOREGROUND_ROLE) if self._coloured else None
        alignment = model.cell(row, column, ALIGNMENT_ROLE) if self._aligned else None
        if (colour is not None and not isinstance(colour, QColor)) or (
            alignment is not None and not isinstance(alignment, int)
        ):
            super().paint(painter, option, index)
            return
        if not text:
            return  # Qt draws nothing for an empty text in a plain cell
        rect = option.rect
        x, y, width, height = cast(tuple[int, int, int, int], rect.getRect())  # one call
        margin = self._margin
        width -= 2 * margin
        key = (text, width, height, alignment)
        layout = self._layouts.get(key)
        if layout is None:
            if any(mark in text for mark in LINE_BREAKS):
                super().paint(painter, option, index)
                return
            layout = self._lay_out(key, option.direction)
        runs, top = layout
        if colour is None:
            colour = self._pens.get(state & ACTIVE)
            if colour is None:
                colour = self._pens[state & ACTIVE] = option.palette.color(
                    QPalette.ColorGroup.Active if state & ACTIVE else QPalette.ColorGroup.Inactive,
                    QPalette.ColorRole.Text,
                )
        painter.save()
        painter.setClipRect(rect, Qt.ClipOperation.IntersectClip)
        painter.setPen(colour)
        position = QPointF(x + margin, y + top)
        for run in runs:
            painter.drawGlyphRun(position, run)
        painter.restore()

    def _lay_out(
        self, key: tuple[str, int, int, int | None], direction: Qt.LayoutDirection
    ) -> Layout:
        """As ``QCommonStyle`` lays a cell's text out to draw it: on one line as wide as the
        text rectangle, in the view's direction, elided when longer; its top where the text's
        whole height is aligned in the rectangle."""
        text, width, height, alignment = key
        text_option = self._text_options.get(alignment)
        if text_option is None:
            text_option = self._text_options[alignment] = QTextOption()
            text_option.setWrapMode(QTextOption.WrapMode.ManualWrap)
            text_option.setTextDirection(direction)
            text_option.setAlignment(QStyle.visualAlignment(direction, aligned(alignment)))
        layout, line = self._one_line(text, text_option, width)
        line_height = line.height()  # the layout's bounding height: one line's, whole pixels
        top = self._tops.get((line_height, height, alignment))
        if top is None:
            top = self._tops[(line_height, height, alignment)] = QStyle.alignedRect(
                Qt.LayoutDirection.LayoutDirectionAuto,
                aligned(alignment),
                QSize(width, round(line_height)),
                QRect(0, 0, width, height),
            ).top()
        if line.naturalTextWidth() > width:
            shown = self._metrics.elidedText(text, self._elide, width)
            layout, line = self._one_line(shown, text_option, width)
        laid_out = (tuple(layout.glyphRuns()), top)
        kept = self._layouts
        if len(kept) >= self._kept:
            del kept[next(iter(kept))]  # the oldest
        kept[key] = laid_out
        self.laid_out += 1
        return laid_out

    def _one_line(
        self, text: str, text_option: QTextOption, width: int
    ) -> tuple[QTextLayout, QTextLine]:
        layout = QTextLayout(text, self._font)
        layout.setTextOption(text_option)
        layout.beginLayout()
        line = layout.createLine()  # at (0, 0)
        line.setLineWidth(width)
        layout.endLayout()
        return layout, line


def aligned(alignment: int | None) -> Qt.AlignmentFlag:
    """A cell's alignment: the model's, else the view's default."""
    return DEFAULT_ALIGNMENT if alignment is None else Qt.AlignmentFlag(alignment)

"""Paints chat messages: bubbles, notes, system lines, day separators, quotes, files, reactions.

One :class:`MessageLayout` per row and width holds every rectangle; ``sizeHint``, ``paint``
and the view's hit tests (links, files, reactions) share it, so what is clicked is what is
drawn. Layouts are cached per (row identity, revision, day header, sender line, width): the
recently used ones whole (a repaint or a scroll back builds no text layout again), every
row's height in a bigger table (a relayout of the view measures only rows it has not seen).
The painted rows themselves are kept as pixmaps within a budget of views (rows with pictures,
whose thumbnails arrive later, are always painted), so a repaint after a new message or a
scroll step draws only the rows it has not drawn before. A row's pixmap spans only the
columns its bubble, day separator and chips take (the rest of the row is the view's own
background, which the view paints anyway): the budget counts the rows' whole areas, so the
same rows are kept in fewer bytes. Rows painted for the first time by the view's paint of a
live burst (:meth:`MessageDelegate.painting_arrivals`) are painted straight onto the view
instead, at half the cost, and get their picture when they are painted again. At rest the open
conversation keeps no picture (:meth:`MessageDelegate.drop_pictures_at_rest`): what is on
screen is the window's own pixels, and a row painted after the rest is painted straight
until it is painted again; so is a row painted first after an open
(:meth:`MessageDelegate.paint_new_rows_straight`).
Message text is plain text
laid out with ``QTextLayout`` (never parsed as HTML); links are found by a pattern and only
``http``/``https`` ones are offered.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import OrderedDict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from convos_desktop.core.types import Delivery, Direction, FileInfo, Message, Reaction
from convos_desktop.models.thread import MessageRole, ThreadModel
from convos_desktop.ui.chat.emoji_text import (
    BIG_EMOJI_MAX,
    emoji_only_count,
    emoji_spans,
    to_utf16,
    utf16_length,
)
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.errors import failed_send_sentence
from convos_desktop.ui.formatting import clock_time, day_label, format_size
from convos_desktop.ui.system_text import SystemWording
from convos_desktop.ui.theme import CHAT

ModelIndex = QModelIndex | QPersistentModelIndex

SIDE_MARGIN = 16
BUBBLE_PAD_X = 11
BUBBLE_PAD_Y = 7
BUBBLE_RADIUS = 10
MAX_BUBBLE_FRACTION = 0.72
MAX_BUBBLE_WIDTH = 620
DAY_BAND = 36
FILE_ROW_HEIGHT = 42
FILE_ROW_WIDTH = 280
IMAGE_MAX = QSize(260, 220)
STICKER_EDGE = 140
CHIP_HEIGHT = 24
GAP = 4

URL_PATTERN = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}'\""
EMOJI_IN_TEXT_SCALE = 1.3
BIG_EMOJI_SCALE = 2.6
KIND_GLYPHS = {"document": "📄", "audio": "🎵", "video": "🎬", "image": "🖼", "sticker": "🌟"}


def find_links(text: str) -> list[tuple[int, int, QUrl]]:
    """``(start, length, url)`` of every http(s) link in plain text."""
    links = []
    for match in URL_PATTERN.finditer(text):
        raw = match.group(0).rstrip(TRAILING_PUNCTUATION)
        url = QUrl(raw if "://" in raw else f"https://{raw}", QUrl.ParsingMode.StrictMode)
        if url.isValid() and url.scheme().lower() in ("http", "https") and url.host():
            links.append((match.start(), len(raw), url))
    return links


def _utf16_links(text: str) -> list[tuple[int, int, QUrl]]:
    """:func:`find_links` in the UTF-16 positions of a text layout (emoji take two)."""
    return [
        (to_utf16(text, start), utf16_length(text[start : start + length]), url)
        for start, length, url in find_links(text)
    ]


@dataclass(slots=True)
class Hit:
    """What is under the mouse in a message row."""

    kind: str  # "link", "file", "reaction"
    url: QUrl | None = None
    file: FileInfo | None = None
    reaction: Reaction | None = None


@dataclass(slots=True)
class MessageLayout:
    """Every rectangle of one message row, relative to the row's top-left corner."""

    height: int = 0
    day_rect: QRect | None = None
    day_text: str = ""
    sender_rect: QRect | None = None
    sender_text: str = ""
    bubble: QRect = field(default_factory=QRect)
    quote_rect: QRect | None = None
    text_layout: QTextLayout | None = None
    text_origin: QPointF = field(default_factory=QPointF)
    links: list[tuple[int, int, QUrl]] = field(default_factory=list)
    files: list[tuple[QRect, FileInfo]] = field(default_factory=list)
    reactions: list[tuple[QRect, Reaction, str]] = field(default_factory=list)
    meta_rect: QRect = field(default_factory=QRect)
    meta_text: str = ""
    failed_rect: QRect | None = None
    failed_text: str = ""


class Fonts:
    """The fonts of a chat row, derived from the view's font."""

    def __init__(self, base: QFont) -> None:
        self.body = QFont(base)
        self.small = QFont(base)
        self.small.setPointSizeF(max(7.5, base.pointSizeF() - 1.5))
        self.bold_small = QFont(self.small)
        self.bold_small.setWeight(QFont.Weight.DemiBold)
        self.body_metrics = QFontMetrics(self.body)
        self.small_metrics = QFontMetrics(self.small)
        self.bold_small_metrics = QFontMetrics(self.bold_small)
        # Colour emoji come out smaller than the letters at the same size: scale them up a
        # little in text, and a lot in a message of a few emoji alone.
        point_size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
        self.emoji_point_size = point_size * EMOJI_IN_TEXT_SCALE
        self.big_emoji = QFont(base)
        self.big_emoji.setPointSizeF(point_size * BIG_EMOJI_SCALE)


def tr(text: str) -> str:
    return QCoreApplication.translate("MessageDelegate", text)


def _text_layout(
    text: str,
    font: QFont,
    width: int,
    links: list[tuple[int, int, QUrl]],
    emoji: tuple[list[tuple[int, int]], float] = ([], 0.0),
) -> QTextLayout:
    """Lay ``text`` out; ``links`` and ``emoji`` (spans, point size) in UTF-16 positions."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    if links or emoji[0]:
        ranges = []
        spans, point_size = emoji
        for start, length in spans:
            fmt = QTextCharFormat()
            fmt.setFontPointSize(point_size)
            emoji_range = QTextLayout.FormatRange()
            emoji_range.start, emoji_range.length, emoji_range.format = start, length, fmt
            ranges.append(emoji_range)
        for start, length, _url in links:
            fmt = QTextCharFormat()
            fmt.setForeground(CHAT.link)
            fmt.setFontUnderline(True)
            link_range = QTextLayout.FormatRange()
            link_range.start, link_range.length, link_range.format = start, length, fmt
            ranges.append(link_range)
        layout.setFormats(ranges)
    layout.beginLayout()
    y = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, y))
        y += line.height()
    layout.endLayout()
    return layout


def _layout_size(layout: QTextLayout) -> QSize:
    width = 0.0
    height = 0.0
    for i in range(layout.lineCount()):
        line = layout.lineAt(i)
        width = max(width, line.naturalTextWidth())
        height = line.y() + line.height()
    return QSize(int(width + 0.999), int(height + 0.999))


def fill_outlined_rounded_rect(
    painter: QPainter, rect: QRect, radius: float, fill: QColor, border: QColor, width: float
) -> None:
    """A rounded rectangle with a ``width`` pixels border inside ``rect``, as two fills.

    Looks like a stroke with a thin pen, but Qt's antialiased stroker takes ~20 times as long
    as a fill for those, and a chat repaint draws one per bubble, chip and file.
    """
    outer = QRectF(rect)
    inner = outer.adjusted(width, width, -width, -width)
    inner_radius = max(0.0, radius - width / 2)
    body = QPainterPath()
    body.addRoundedRect(inner, inner_radius, inner_radius)
    ring = QPainterPath()
    ring.setFillRule(Qt.FillRule.OddEvenFill)
    ring.addRoundedRect(outer, radius + width / 2, radius + width / 2)
    ring.addPath(body)
    painter.fillPath(ring, border)
    painter.fillPath(body, fill)


PICTURE_MARGIN_PX = 4  # beyond the painted rectangles: antialiased edges, glyph overhang


@dataclass(frozen=True, slots=True)
class RowPicture:
    """A painted row: ``pixmap`` is the columns from ``x`` (row coordinates) that the row
    paints on, over the whole row height; ``row_bytes`` is what a pixmap of the whole row
    would take (what the picture budget counts)."""

    pixmap: QPixmap
    x: int
    row_bytes: int


def painted_columns(layout: MessageLayout, width: int) -> tuple[int, int]:
    """The columns ``[left, right)`` of a row ``width`` wide that its painting touches:
    every rectangle of ``layout`` (and its text's bounds) with :data:`PICTURE_MARGIN_PX`
    either side, within the row."""
    rects = [layout.bubble, layout.meta_rect]
    rects += [r for r in (layout.day_rect, layout.sender_rect, layout.quote_rect) if r]
    rects += [r for r in (layout.failed_rect,) if r]
    rects += [rect for rect, _file in layout.files]
    rects += [rect for rect, _reaction, _label in layout.reactions]
    lefts = [rect.left() for rect in rects if not rect.isEmpty()]
    rights = [rect.right() + 1 for rect in rects if not rect.isEmpty()]
    if layout.text_layout is not None:
        bounds = layout.text_layout.boundingRect().translated(layout.text_origin)
        if not bounds.isEmpty():
            lefts.append(int(bounds.left()))
            rights.append(int(bounds.right()) + 1)
    if not lefts:
        return 0, width
    left = max(0, min(lefts) - PICTURE_MARGIN_PX)
    right = min(width, max(rights) + PICTURE_MARGIN_PX)
    return (left, right) if left < right else (0, width)


def _image_size(file: FileInfo) -> QSize:
    if file.kind == "sticker":
        return QSize(STICKER_EDGE, STICKER_EDGE)
    if not file.width or not file.height:
        return QSize(200, 150)
    size = QSize(file.width, file.height)
    return size.scaled(IMAGE_MAX, Qt.AspectRatioMode.KeepAspectRatio).boundedTo(size)


def sender_label(message: Message) -> str:
    if message.direction is Direction.NOTE:
        return tr("Internal note · {name}").format(name=message.sender_name)
    return message.sender_name


def delivery_mark(message: Message) -> str:
    if message.direction is Direction.IN:
        return ""
    return {Delivery.PENDING: " ◷", Delivery.SENT: " ✓", Delivery.FAILED: " ⚠"}[message.delivery]


def layout_message(
    message: Message,
    day: dt.date | None,
    show_sender: bool,
    width: int,
    fonts: Fonts,
    system_text: str | None = None,
) -> MessageLayout:
    """Lay out one row for a view ``width`` pixels wide (``system_text``: a system line's
    words in the UI language, instead of the server's English ``body``)."""
    result = MessageLayout()
    y = 2
    if day is not None:
        result.day_text = day_label(day)
        text_width = fonts.bold_small_metrics.horizontalAdvance(result.day_text) + 24
        result.day_rect = QRect((width - text_width) // 2, y + 7, text_width, DAY_BAND - 14)
        y += DAY_BAND
    if message.direction is Direction.SYSTEM:
        text = message.body if system_text is None else system_text
        return _layout_system(result, text, y, width, fonts)

    max_bubble = max(120, min(MAX_BUBBLE_WIDTH, int(width * MAX_BUBBLE_FRACTION)))
    max_content = max_bubble - 2 * BUBBLE_PAD_X
    if show_sender:
        result.sender_text = sender_label(message)
        y += 6
        sender_height = fonts.bold_small_metrics.height()
        result.sender_rect = QRect(0, y, max_bubble, sender_height)
        y += sender_height + 2

    content_width = 0
    parts_height = 0
    quote_height = 0
    if message.reply_preview is not None:
        quote_height = fonts.bold_small_metrics.height() + fonts.small_metrics.height() + 10
        content_width = min(max_content, 220)
        parts_height += quote_height + GAP

    file_sizes: list[QSize] = []
    for file in message.files:
        if file.kind in ("image", "sticker"):
            size = _image_size(file).boundedTo(QSize(max_content, 10_000))
        else:
            size = QSize(min(FILE_ROW_WIDTH, max_content), FILE_ROW_HEIGHT)
        file_sizes.append(size)
        content_width = max(content_width, size.width())
        parts_height += size.height() + GAP

    if message.body:
        result.links = _utf16_links(message.body)
        if 0 < emoji_only_count(message.body) <= BIG_EMOJI_MAX:
            result.text_layout = _text_layout(message.body, fonts.big_emoji, max_content, [])
        else:
            emoji = (emoji_spans(message.body), fonts.emoji_point_size)
            result.text_layout = _text_layout(
                message.body, fonts.body, max_content, result.links, emoji
            )
        text_size = _layout_size(result.text_layout)
        content_width = max(content_width, text_size.width())
        parts_height += text_size.height() + GAP

    result.meta_text = clock_time(message.created_at) + delivery_mark(message)
    meta_width = fonts.small_metrics.horizontalAdvance(result.meta_text)
    content_width = min(max_content, max(content_width, meta_width))
    meta_height = fonts.small_metrics.height()
    bubble_height = 2 * BUBBLE_PAD_Y + parts_height + meta_height
    bubble_width = content_width + 2 * BUBBLE_PAD_X
    on_right = message.direction in (Direction.OUT, Direction.NOTE)
    x = width - SIDE_MARGIN - bubble_width if on_right else SIDE_MARGIN
    result.bubble = QRect(x, y, bubble_width, bubble_height)
    if result.sender_rect is not None:
        sender_width = min(
            max_bubble, fonts.bold_small_metrics.horizontalAdvance(result.sender_text) + 4
        )
        sender_x = width - SIDE_MARGIN - sender_width if on_right else SIDE_MARGIN
        result.sender_rect = QRect(
            sender_x + (0 if on_right else 4),
            result.sender_rect.y(),
            sender_width,
            result.sender_rect.height(),
        )

    inner_x = x + BUBBLE_PAD_X
    inner_y = y + BUBBLE_PAD_Y
    if quote_height:
        result.quote_rect = QRect(inner_x, inner_y, content_width, quote_height)
        inner_y += quote_height + GAP
    for file, size in zip(message.files, file_sizes, strict=True):
        result.files.append(
            (QRect(inner_x, inner_y, min(size.width(), content_width), size.height()), file)
        )
        inner_y += size.height() + GAP
    if result.text_layout is not None:
        result.text_origin = QPointF(inner_x, inner_y)
        inner_y += _layout_size(result.text_layout).height() + GAP
    result.meta_rect = QRect(inner_x, inner_y, content_width, meta_height)
    y += bubble_height

    if message.reactions:
        y += GAP
        chips = []
        for reaction in message.reactions:
            label = f"{reaction.emoji} {len(reaction.agent_ids)}"
            chip_width = fonts.body_metrics.horizontalAdvance(label) + 16
            chips.append((chip_width, reaction, label))
        total = sum(w for w, _r, _l in chips) + GAP * (len(chips) - 1)
        chip_x = x if not on_right else x + bubble_width - total
        for chip_width, reaction, label in chips:
            result.reactions.append((QRect(chip_x, y, chip_width, CHIP_HEIGHT), reaction, label))
            chip_x += chip_width + GAP
        y += CHIP_HEIGHT

    if message.delivery is Delivery.FAILED:
        result.failed_text = tr("{reason}. Right-click to retry or discard.").format(
            reason=failed_send_sentence(message.error)
        )
        y += GAP
        text_width = min(
            width - 2 * SIDE_MARGIN, fonts.small_metrics.horizontalAdvance(result.failed_text) + 2
        )
        result.failed_rect = QRect(
            width - SIDE_MARGIN - text_width, y, text_width, fonts.small_metrics.height()
        )
        y += fonts.small_metrics.height()
    result.height = y + 4
    return result


def _layout_system(
    result: MessageLayout, text: str, y: int, width: int, fonts: Fonts
) -> MessageLayout:
    y += 6
    max_text = max(80, int(width * 0.8) - 24)
    result.text_layout = _text_layout(text, fonts.small, max_text, [])
    size = _layout_size(result.text_layout)
    pill = QRect((width - size.width() - 24) // 2, y, size.width() + 24, size.height() + 8)
    result.bubble = pill
    result.text_origin = QPointF(pill.x() + 12, pill.y() + 4)
    result.height = pill.bottom() + 8
    return result


LayoutKey = tuple[Any, ...]  # (row key, revision, day header, sender line, width, system text)


def height_key(parts: LayoutKey, width: int, system_text: str) -> str:
    """A row height's key: the ``LAYOUT_KEY`` ``parts`` (row key, revision, day header,
    sender line), ``width`` and ``system_text`` in one NUL-separated string, the row key
    first. One string a row instead of a tuple with its row-key string, date and width int:
    the table keeps every row measured (10,000 in a thread scrolled through)."""
    row, revision, day, show_sender = parts
    ordinal = day.toordinal() if day is not None else ""
    return f"{row}\0{revision}\0{ordinal}\0{show_sender:d}\0{width}\0{system_text}"


def height_row_key(key: str) -> str:
    """The row key a :func:`height_key` starts with."""
    return key.partition("\0")[0]


class MessageDelegate(QStyledItemDelegate):
    """Paints :class:`~convos_desktop.models.thread.ThreadModel` rows; see the module doc."""

    system_texts_changed = Signal()  # an agent was renamed: system rows need a new layout

    HEIGHT_CACHE_LIMIT = 2_000  # row heights in two generations of 1,000 (see _known_height):
    # a thread model holds 200 rows and its pages read ahead 100 each, so several
    # conversations' windows (~75 bytes a height: a 10k-message thread scrolled through kept
    # 0.74 MiB of them when every one stayed)
    LAYOUT_CACHE_LIMIT = 100  # whole layouts (~9 KiB each): a page read ahead and some views
    PICTURE_CACHE_BYTES = 8 * 1024 * 1024  # painted rows at most (a full-screen view is ~8)
    PICTURE_VIEWS = 3  # painted rows kept, in views full: two conversations switched between + 1
    PAINTED_ONCE_LIMIT = 500  # rows painted straight on arrival, remembered (a few views)
    IDLE_PICTURE_HALF_VIEWS = 3  # kept by an idle window: the rows on screen (1.5 views: the
    # rows cut by the view's edges), the last painted; a scroll paints the next ones again

    def __init__(
        self,
        thumbnails: ThumbnailCache | None = None,
        parent: QWidget | None = None,
        wording: SystemWording | None = None,
    ) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._wording = wording or SystemWording(parent=self)
        self._wording.names_changed.connect(self.system_texts_changed)
        self._heights: dict[str, int] = {}  # height_key -> row height, the newer generation
        self._older_heights: dict[str, int] = {}  # the generation before it
        self._layouts: OrderedDict[LayoutKey, MessageLayout] = OrderedDict()
        self._pictures: OrderedDict[tuple[Any, ...], RowPicture] = OrderedDict()
        self._arrivals = False  # painting rows that just arrived (see painting_arrivals)
        self._rested = False  # the pictures were dropped at rest (see drop_pictures_at_rest)
        self._painted_once: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._picture_bytes = 0  # the whole rows' bytes of the pictures kept (the budget's unit)
        self._view_bytes = 0  # one view of the device last painted on (0: none yet)
        self._fonts: Fonts | None = None
        self._day_ends = 0.0  # when the local day ends (time.time()): day labels change
        self._start_day()
        self.layouts_computed = 0  # how many row layouts were built (tests, benchmarks)
        self.rows_painted = 0  # how many rows were painted, not copied from a picture

    def _start_day(self) -> None:
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        self._day_ends = dt.datetime.combine(tomorrow, dt.time()).timestamp()

    # --- geometry -------------------------------------------------------------------------------

    def display_text(self, message: Message) -> str:
        """The row's text as shown: a system line worded in the UI language, else the body."""
        return self._wording.message_text(message)

    def _system_key(self, index: ModelIndex) -> str:
        """A system row's shown text: part of its cache keys, so a rename lays it out again."""
        message: Message | None = index.data(MessageRole.MESSAGE)
        return "" if message is None else self._system_text(message)

    def _fonts_for(self, font: QFont) -> Fonts:
        """The row fonts of ``font``; another font makes every cached layout stale."""
        if self._fonts is None or self._fonts.body != font:
            self._fonts = Fonts(font)
            self.forget_heights()
            self._layouts.clear()
            self._forget_pictures()
        return self._fonts

    def row_layout(self, option: QStyleOptionViewItem, index: ModelIndex) -> MessageLayout | None:
        """The layout of ``index`` for ``option.rect``'s width, from the cache when it has it."""
        parts = index.data(MessageRole.LAYOUT_KEY)
        if parts is None:
            return None
        return self._layout(option, index, parts, option.rect.width())

    def _layout(
        self, option: QStyleOptionViewItem, index: ModelIndex, parts: LayoutKey, width: int
    ) -> MessageLayout:
        key = (*parts, width, self._system_key(index))
        layout = self._cached_layout(key)
        if layout is not None:  # the message is not even read from the model
            return layout
        message: Message = index.data(MessageRole.MESSAGE)
        return self._build_layout(message, key, self._fonts_for(option.font))

    def _layout_of(
        self, message: Message, parts: LayoutKey, width: int, system_text: str, font: QFont
    ) -> MessageLayout:
        """:meth:`_layout` for a row whose message and system text are known already."""
        key = (*parts, width, system_text)
        layout = self._cached_layout(key)
        if layout is not None:
            return layout
        return self._build_layout(message, key, self._fonts_for(font))

    def _cached_layout(self, key: LayoutKey) -> MessageLayout | None:
        """The layout kept under ``key``, now the most recently used one; None if none is."""
        layout = self._layouts.get(key)
        if layout is not None:
            self._layouts.move_to_end(key)
        return layout

    def shortest_row_px(self, font: QFont) -> int:
        """No row is shorter: a bubble holding its time line alone (no sender line, day
        header, text or file; a system line's pill is taller)."""
        fonts = self._fonts_for(font)
        return 2 + 2 * BUBBLE_PAD_Y + fonts.small_metrics.height() + 4

    def measure_ahead(self, message: Message, parts: LayoutKey, width: int, font: QFont) -> None:
        """Lay out a row that is not in the model yet (a page read ahead), with the
        ``LAYOUT_KEY`` ``parts`` it will have there: its insertion then finds its height."""
        fonts = self._fonts_for(font)
        system_text = self._system_text(message)
        if self._known_height(height_key(parts, width, system_text)) is None:
            self._build_layout(message, (*parts, width, system_text), fonts)

    def _build_layout(self, message: Message, key: LayoutKey, fonts: Fonts) -> MessageLayout:
        _row_key, _revision, day, show_sender, width, system_text = key
        self.layouts_computed += 1
        layout = layout_message(message, day, show_sender, width, fonts, system_text or None)
        self._layouts[key] = layout
        if len(self._layouts) > self.LAYOUT_CACHE_LIMIT:
            self._layouts.popitem(last=False)
        self._remember_height(key, layout.height)
        return layout

    def forget_heights(self) -> None:
        """Drop every row height kept (both generations)."""
        self._heights.clear()
        self._older_heights.clear()

    def _remember_height(self, key: LayoutKey, height: int) -> None:
        self._keep_height(height_key(key[:4], key[4], key[5]), height)

    def _keep_height(self, name: str, height: int) -> None:
        """Keep a height in the newer generation; once it holds half ``HEIGHT_CACHE_LIMIT``
        it becomes the older one and the generation before it goes."""
        if len(self._heights) >= self.HEIGHT_CACHE_LIMIT // 2:
            self._older_heights = self._heights
            self._heights = {}
        self._heights[name] = height

    def _known_height(self, name: str) -> int | None:
        """The height kept under the :func:`height_key` ``name``, None if none is.

        Two generations, not a least-recently-used order: a height asked for (every row
        of the model, on each layout of the view) is a plain lookup in the newer one, and
        one found in the older generation moves to the newer, so the rows in use outlive
        the pages measured since (no reordering on the hot path: ``sizeHint``)."""
        height = self._heights.get(name)
        if height is None:
            height = self._older_heights.pop(name, None)
            if height is not None:
                self._keep_height(name, height)
        return height

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        width = option.rect.width()
        if width <= 0 and option.widget is not None:  # rows are as wide as the viewport
            widget = option.widget
            if isinstance(widget, QAbstractScrollArea):
                widget = widget.viewport()
            width = widget.width()
        model = index.model()
        if isinstance(model, ThreadModel):  # asked for every row on each layout: no QVariant
            row = index.row()
            parts = model.layout_key(row)
            message = model.message_at(row)
            system_text = "" if message is None else self._system_text(message)
        else:
            parts = index.data(MessageRole.LAYOUT_KEY)
            system_text = self._system_key(index)
        if parts is None:
            return QSize(width, 0)
        self._fonts_for(option.font)
        name = height_key(parts, width, system_text)
        height = self._heights.get(name)  # the newer generation: no call on the hot path
        if height is None:
            height = self._known_height(name)
        if height is None:
            height = self._layout(option, index, parts, width).height
        return QSize(width, height)

    def hit_at(self, option: QStyleOptionViewItem, index: ModelIndex, pos: QPoint) -> Hit | None:
        """What lies under ``pos`` (view coordinates) in the row drawn in ``option.rect``."""
        layout = self.row_layout(option, index)
        if layout is None:
            return None
        local = pos - option.rect.topLeft()
        for rect, file in layout.files:
            if rect.contains(local):
                return Hit("file", file=file)
        for rect, reaction, _label in layout.reactions:
            if rect.contains(local):
                return Hit("reaction", reaction=reaction)
        if layout.text_layout is not None and layout.links:
            point = QPointF(local) - layout.text_origin
            for i in range(layout.text_layout.lineCount()):
                line = layout.text_layout.lineAt(i)
                if line.rect().contains(point):
                    cursor = line.xToCursor(point.x())
                    for start, length, url in layout.links:
                        if start <= cursor < start + length:
                            return Hit("link", url=url)
        return None

    # --- painting -------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        if time.time() >= self._day_ends:  # "Today" / "Yesterday" in the separators moved on
            self._start_day()
            self._layouts.clear()
            self._forget_pictures()
        parts, message = self._row_of(index)
        if parts is None or message is None:
            return
        system_text = self._system_text(message)
        width = option.rect.width()
        if any(file.kind in ("image", "sticker") for file in message.files):
            layout = self._layout_of(message, parts, width, system_text, option.font)
            self._paint_straight(painter, message, layout, option)
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        size = option.rect.size().toTuple()
        key = (parts, size, selected, option.palette.cacheKey(), system_text)
        picture = self._pictures.get(key)
        if picture is None:
            layout = self._layout_of(message, parts, width, system_text, option.font)
            if (self._arrivals or self._rested) and self._first_paint(key):
                self._paint_straight(painter, message, layout, option)
                return
            picture = self._picture(painter, message, layout, option)
            self._remember_picture(key, picture, self._picture_budget(painter))
            self._rested = False  # a row painted twice since the rest: the view is in use
        else:
            self._pictures.move_to_end(key)
        painter.drawPixmap(option.rect.topLeft() + QPoint(picture.x, 0), picture.pixmap)

    @staticmethod
    def _row_of(index: ModelIndex) -> tuple[LayoutKey | None, Message | None]:
        """The row's ``LAYOUT_KEY`` and message: from a :class:`ThreadModel` directly (once
        per painted row, no ``QVariant`` round trips), else through ``data``."""
        model = index.model()
        if isinstance(model, ThreadModel):
            row = index.row()
            return model.layout_key(row), model.message_at(row)
        return index.data(MessageRole.LAYOUT_KEY), index.data(MessageRole.MESSAGE)

    def _system_text(self, message: Message) -> str:
        """A system row's shown text (part of its cache keys), ``""`` for any other row."""
        if message.direction is not Direction.SYSTEM:
            return ""
        return self._wording.message_text(message)

    def _paint_straight(
        self,
        painter: QPainter,
        message: Message,
        layout: MessageLayout,
        option: QStyleOptionViewItem,
    ) -> None:
        """Paint the row onto the view's painter itself, no picture made or kept."""
        painter.save()
        painter.translate(option.rect.topLeft())
        self._paint_row(painter, message, layout, option)
        painter.restore()

    @contextmanager
    def painting_arrivals(self) -> Iterator[None]:
        """Within: a row painted for the first time is painted straight onto the view, with
        no picture kept (half the cost: the rows of a big live burst are gone from the view
        at the next one); a row painted again gets its picture, as outside."""
        self._arrivals = True
        try:
            yield
        finally:
            self._arrivals = False

    def _first_paint(self, key: tuple[Any, ...]) -> bool:
        """Whether the row of picture ``key`` was not painted straight before (then it is now:
        remembered, among the last ``PAINTED_ONCE_LIMIT``)."""
        if key in self._painted_once:
            del self._painted_once[key]
            return False
        self._painted_once[key] = None
        if len(self._painted_once) > self.PAINTED_ONCE_LIMIT:
            self._painted_once.popitem(last=False)
        return True

    def _picture(
        self,
        painter: QPainter,
        message: Message,
        layout: MessageLayout,
        option: QStyleOptionViewItem,
    ) -> RowPicture:
        """The row painted on the view's background colour (opaque: text keeps its hinting),
        only the columns it paints on (:func:`painted_columns`)."""
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        size = option.rect.size()
        left, right = painted_columns(layout, size.width())
        pixmap = QPixmap(QSize(right - left, size.height()) * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(option.palette.base().color())
        row_painter = QPainter(pixmap)
        row_painter.translate(-left, 0)
        self._paint_row(row_painter, message, layout, option)
        row_painter.end()
        row_bytes = int(size.width() * ratio) * int(size.height() * ratio) * 4
        return RowPicture(pixmap, left, row_bytes)

    def _picture_budget(self, painter: QPainter) -> int:
        """Bytes of painted rows to keep: :attr:`PICTURE_VIEWS` of the device painted on (a
        scroll step or a repaint shows rows of about one view), :attr:`PICTURE_CACHE_BYTES`
        at most; scrolled-away rows' pictures would only hold memory."""
        device = painter.device()
        if device is None:
            return self.PICTURE_CACHE_BYTES
        ratio = device.devicePixelRatioF()
        view = int(device.width() * device.height() * 4 * ratio * ratio)
        self._view_bytes = view
        return min(self.PICTURE_CACHE_BYTES, self.PICTURE_VIEWS * view)

    def _remember_picture(self, key: tuple[Any, ...], picture: RowPicture, budget: int) -> None:
        self._pictures[key] = picture
        self._picture_bytes += picture.row_bytes
        self._drop_oldest_pictures(budget)

    def _drop_oldest_pictures(self, budget: int) -> None:
        """The least recently painted rows' pictures out until ``budget`` holds (the newest
        always stays)."""
        while self._picture_bytes > budget and len(self._pictures) > 1:
            _key, oldest = self._pictures.popitem(last=False)
            self._picture_bytes -= oldest.row_bytes

    def keep_rows(self, row_keys: Collection[str]) -> None:
        """Drop the layouts, heights and painted pictures of every row not in ``row_keys``
        (an idle window keeps the open conversation's rows; another one is laid out and
        painted again when it is opened), and the pictures of the rows scrolled away from:
        the last painted, about one view, stay, so a repaint copies what is on screen."""
        self._layouts = OrderedDict(
            (key, layout) for key, layout in self._layouts.items() if key[0] in row_keys
        )
        self._older_heights = {
            key: height
            for key, height in self._older_heights.items()
            if height_row_key(key) in row_keys
        }
        self._heights = {
            key: height for key, height in self._heights.items() if height_row_key(key) in row_keys
        }
        self._pictures = OrderedDict(
            (key, picture) for key, picture in self._pictures.items() if key[0][0] in row_keys
        )
        self._picture_bytes = sum(picture.row_bytes for picture in self._pictures.values())
        self._painted_once.clear()
        if self._view_bytes:
            self._drop_oldest_pictures(self._view_bytes * self.IDLE_PICTURE_HALF_VIEWS // 2)

    def drop_pictures_at_rest(self, row_keys: Collection[str]) -> None:
        """Drop the pictures of the rows of ``row_keys`` (the open conversation's), those on
        screen too; other conversations' pictures stay (a switch back copies its view).
        Called once the app is at rest after a scroll or an open (``MemoryTrimmer``'s
        settle): the window keeps the screen's pixels itself, and the rows on screen held
        ~0.9 MiB of copies of them (issue 16). From then on a row without a picture is
        painted straight (1.2 ms for the benchmark's view against 1.7 making its pictures:
        a lone repaint, a hovered row, makes none) and gets its picture when painted again,
        as the arrivals of a live burst do; the first picture made ends that (the view is
        scrolled or repainted: in use again)."""
        self._pictures = OrderedDict(
            (key, picture) for key, picture in self._pictures.items() if key[0][0] not in row_keys
        )
        self._picture_bytes = sum(picture.row_bytes for picture in self._pictures.values())
        self._painted_once.clear()
        self._rested = True

    def paint_new_rows_straight(self) -> None:
        """A conversation was opened: a row it shows without a picture is painted straight
        (its first paint: 11 rows at 1280x800 in about half the time of making their
        pictures, issue 16) and gets its picture when painted again, as after the rest
        (:meth:`drop_pictures_at_rest`); rows with a picture (a switch back) use it."""
        self._rested = True

    def keep_layouts_near_screen(self, row_keys: Collection[str], near: Collection[str]) -> None:
        """Drop the whole layouts of the rows of ``row_keys`` (the open conversation's) that
        are not ``near`` the screen (on it or within a view of it: a wheel step after a rest
        finds its rows laid out); other conversations' layouts stay, as do every row's height.
        Called once the app is at rest (``MemoryTrimmer``'s settle): a row scrolled back to
        further away is laid out again (issue 16: ~5 KiB a row, up to ``LAYOUT_CACHE_LIMIT``)."""
        self._layouts = OrderedDict(
            (key, layout)
            for key, layout in self._layouts.items()
            if key[0] in near or key[0] not in row_keys
        )

    def picture_pixmap_bytes(self) -> int:
        """The bytes the painted-row pixmaps kept take (tests, benchmarks)."""
        return sum(
            p.pixmap.width() * p.pixmap.height() * max(1, p.pixmap.depth() // 8)
            for p in self._pictures.values()
        )

    def _forget_pictures(self) -> None:
        self._pictures.clear()
        self._painted_once.clear()
        self._picture_bytes = 0

    def _paint_row(
        self,
        painter: QPainter,
        message: Message,
        layout: MessageLayout,
        option: QStyleOptionViewItem,
    ) -> None:
        """Paint one row with its top-left corner at the painter's origin."""
        self.rows_painted += 1
        fonts = self._fonts_for(option.font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if layout.day_rect is not None:
            self._paint_pill(painter, layout.day_rect, layout.day_text, fonts, CHAT.day_pill)
        if message.direction is Direction.SYSTEM:
            self._paint_system(painter, layout)
        else:
            self._paint_bubble(painter, message, layout, fonts, option)

    def _paint_pill(
        self, painter: QPainter, rect: QRect, text: str, fonts: Fonts, color: QColor
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(CHAT.system_text)
        painter.setFont(fonts.bold_small)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_system(self, painter: QPainter, layout: MessageLayout) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CHAT.system_pill)
        painter.drawRoundedRect(layout.bubble, 8, 8)
        if layout.text_layout is not None:
            painter.setPen(CHAT.system_text)
            width = layout.bubble.width() - 24
            for i in range(layout.text_layout.lineCount()):
                line = layout.text_layout.lineAt(i)
                offset = (width - line.naturalTextWidth()) / 2
                line.draw(painter, layout.text_origin + QPointF(offset, 0))

    def _paint_bubble(
        self,
        painter: QPainter,
        message: Message,
        layout: MessageLayout,
        fonts: Fonts,
        option: QStyleOptionViewItem,
    ) -> None:
        fill, border = {
            Direction.IN: (CHAT.incoming, CHAT.incoming_border),
            Direction.OUT: (CHAT.outgoing, CHAT.outgoing_border),
            Direction.NOTE: (CHAT.note, CHAT.note_border),
        }[message.direction]
        if layout.sender_rect is not None:
            painter.setFont(fonts.bold_small)
            painter.setPen(CHAT.note_label if message.direction is Direction.NOTE else CHAT.muted)
            painter.drawText(
                layout.sender_rect,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                fonts.bold_small_metrics.elidedText(
                    layout.sender_text, Qt.TextElideMode.ElideRight, layout.sender_rect.width()
                ),
            )
        if message.delivery is Delivery.FAILED:
            fill_outlined_rounded_rect(
                painter, layout.bubble, BUBBLE_RADIUS, fill, CHAT.failed, 1.5
            )
        elif message.direction is Direction.NOTE:  # dashed: the stroker is needed here
            pen = QPen(border, 1.0)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(fill)
            painter.drawRoundedRect(
                QRectF(layout.bubble).adjusted(0.5, 0.5, -0.5, -0.5), BUBBLE_RADIUS, BUBBLE_RADIUS
            )
        else:
            fill_outlined_rounded_rect(painter, layout.bubble, BUBBLE_RADIUS, fill, border, 1.0)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(option.palette.highlight().color(), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(
                QRectF(layout.bubble).adjusted(1, 1, -1, -1), BUBBLE_RADIUS, BUBBLE_RADIUS
            )

        if layout.quote_rect is not None and message.reply_preview is not None:
            self._paint_quote(painter, layout.quote_rect, message, fonts)
        for rect, file in layout.files:
            self._paint_file(painter, rect, file, fonts)
        if layout.text_layout is not None:
            painter.setPen(option.palette.text().color())
            layout.text_layout.draw(painter, layout.text_origin)
        painter.setFont(fonts.small)
        painter.setPen(CHAT.failed if message.delivery is Delivery.FAILED else CHAT.muted)
        painter.drawText(
            layout.meta_rect,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            layout.meta_text,
        )
        for rect, _reaction, label in layout.reactions:
            fill_outlined_rounded_rect(
                painter, rect, rect.height() / 2, CHAT.chip, CHAT.chip_border, 1.0
            )
            painter.setPen(option.palette.text().color())
            painter.setFont(fonts.body)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        if layout.failed_rect is not None:
            painter.setFont(fonts.small)
            painter.setPen(CHAT.failed)
            painter.drawText(
                layout.failed_rect,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fonts.small_metrics.elidedText(
                    layout.failed_text, Qt.TextElideMode.ElideRight, layout.failed_rect.width()
                ),
            )

    def _paint_quote(self, painter: QPainter, rect: QRect, message: Message, fonts: Fonts) -> None:
        preview = message.reply_preview
        assert preview is not None
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CHAT.quote_background)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setBrush(CHAT.quote_bar)
        painter.drawRect(QRect(rect.x(), rect.y(), 3, rect.height()))
        inner = rect.adjusted(9, 4, -6, -4)
        painter.setFont(fonts.bold_small)
        painter.setPen(CHAT.quote_bar)
        name_height = fonts.bold_small_metrics.height()
        painter.drawText(
            QRect(inner.x(), inner.y(), inner.width(), name_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fonts.bold_small_metrics.elidedText(
                preview.sender_name, Qt.TextElideMode.ElideRight, inner.width()
            ),
        )
        painter.setFont(fonts.small)
        painter.setPen(CHAT.muted)
        body = " ".join(preview.body.split())
        painter.drawText(
            QRect(inner.x(), inner.y() + name_height, inner.width(), fonts.small_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fonts.small_metrics.elidedText(body, Qt.TextElideMode.ElideRight, inner.width()),
        )

    def _paint_file(self, painter: QPainter, rect: QRect, file: FileInfo, fonts: Fonts) -> None:
        if file.kind in ("image", "sticker"):
            image = self._thumbnails.image(file) if self._thumbnails else None
            if image is not None:
                scaled = image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
                target = QRect(rect.topLeft(), scaled)
                painter.drawImage(target, image)
                return
            if self._thumbnails is None or not self._thumbnails.has_failed(file.id):
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(0, 0, 0, 18))
                painter.drawRoundedRect(rect, 6, 6)
                painter.setPen(CHAT.muted)
                painter.setFont(fonts.body)
                painter.drawText(
                    rect, Qt.AlignmentFlag.AlignCenter, KIND_GLYPHS.get(file.kind, "📄")
                )
                return
        fill_outlined_rounded_rect(
            painter, rect, 6, QColor(255, 255, 255, 150), QColor(0, 0, 0, 30), 1.0
        )
        icon_rect = QRect(rect.x() + 6, rect.y(), 28, rect.height())
        painter.setFont(fonts.body)
        painter.drawText(icon_rect, Qt.AlignmentFlag.AlignCenter, KIND_GLYPHS.get(file.kind, "📄"))
        text_x = icon_rect.right() + 6
        text_width = rect.right() - text_x - 6
        half = rect.height() // 2
        painter.setPen(CHAT.link)
        painter.drawText(
            QRect(text_x, rect.y() + 3, text_width, half - 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fonts.body_metrics.elidedText(file.name, Qt.TextElideMode.ElideMiddle, text_width),
        )
        painter.setFont(fonts.small)
        painter.setPen(CHAT.muted)
        painter.drawText(
            QRect(text_x, rect.y() + half, text_width, half - 3),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            format_size(file.size),
        )

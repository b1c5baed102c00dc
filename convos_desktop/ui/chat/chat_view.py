"""The conversation view: one QListView over the thread model, painted by MessageDelegate.

Never a widget per message. It stays pinned to the bottom when new messages arrive while the
agent is at the bottom, asks for older history when scrolled near the top and keeps the
visible messages still while they are prepended, and turns clicks and the context menu into
signals (reply, react, open or save a file, retry or discard a failed send).

New rows that arrive while the view is pinned are painted as soon as the model's live change
is in (:attr:`ThreadModel.live_applied`): before the rest of the burst's work (the tail
window's trim, marking read, the next events), not after it on the event loop's posted
update; rows painted for the first time then are painted straight onto the view, without a
picture (:meth:`MessageDelegate.painting_arrivals`).

QListView measures every row again whenever rows are inserted or removed, so while the view
is pinned to the bottom it asks the model for a bounded tail of ``TAIL_ROWS`` rows: the cost
of a new message does not grow with the thread (older rows come back by scrolling up).
Scrolled away from the bottom it keeps a window of ``WINDOW_VIEWS`` views full in the model
(:meth:`ThreadModel.set_scroll_window`): pages load at the edge the agent scrolls towards and
drop rows at the other one, so memory does not grow with how far the agent scrolled. Every
insertion or removal away from the bottom keeps the row at the top of the view at the same
pixel position (its bottom edge: a day header or sender line above it may come or go).

Within ``PREFETCH_VIEWS`` views of either end of the window the next page is read ahead
(:meth:`ThreadModel.prefetch_older`) and its rows are measured a slice at a time on idle
passes of the event loop (``MEASURE_SLICE_S``), so the wheel notch that reaches the edge
inserts rows whose heights are known: it lays out cached heights only, not 50 new rows.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from functools import partial

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDesktopServices,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyleOptionViewItem, QWidget

from convos_desktop.core.types import Delivery, Direction, FileInfo, Message
from convos_desktop.models.thread import PAGE_SIZE, MessageRole, ThreadModel
from convos_desktop.ui.chat.message_delegate import Hit, MessageDelegate
from convos_desktop.ui.errors import failed_send_sentence
from convos_desktop.ui.theme import CHAT

log = logging.getLogger("convos.ui")

FREQUENT_EMOJI = ("👍", "❤️", "😂", "😮", "🙏", "✅")
FETCH_THRESHOLD_PX = 120
BOTTOM_SLACK_PX = 24
TAIL_ROWS = 60  # rows kept while pinned to the bottom: a few screens
TAIL_ROW_PX = 16  # and at least one per this many pixels of height: tall views stay filled
WINDOW_VIEWS = 3  # scrolled away from the bottom: rows kept, in views full of the shortest rows
PREFETCH_VIEWS = 3  # the next page is read ahead this many views before the window's edge
MEASURE_SLICE_S = 0.001  # rows of a page read ahead are measured this long per idle pass


class ChatView(QListView):
    """Shows a :class:`ThreadModel`; see the module docstring."""

    replyRequested = Signal(object)  # noqa: N815 (Message)
    reactionToggled = Signal(object, str)  # noqa: N815 (Message, emoji)
    moreReactionsRequested = Signal(object)  # noqa: N815 (Message)
    reactionRefused = Signal(str)  # noqa: N815 (why: a reaction chip clicked while blocked)
    openFileRequested = Signal(object)  # noqa: N815 (FileInfo)
    saveFileRequested = Signal(object)  # noqa: N815 (FileInfo)
    retryRequested = Signal(object)  # noqa: N815 (Message)
    discardRequested = Signal(object)  # noqa: N815 (Message)
    painted = Signal()  # after each paint of the messages (measuring, tests)

    def __init__(
        self, model: ThreadModel, delegate: MessageDelegate, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self._thread = model
        self._delegate = delegate
        # Before setModel: QListView's own handler moves the scroll bar while rows go.
        model.rowsAboutToBeRemoved.connect(self._before_remove)
        self.setModel(model)
        self.setItemDelegate(delegate)
        delegate.system_texts_changed.connect(self._relayout)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: rows are laid out at the viewport's width, and a scroll bar coming
        # or going would measure every row again (twice when a long thread opens).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.verticalScrollBar().setSingleStep(24)
        palette = self.palette()  # not a style sheet: it would style every row's painting
        palette.setColor(QPalette.ColorRole.Base, CHAT.background)
        self.setPalette(palette)
        self._pinned = True
        self._reaction_block = ""  # why reacting is refused now ("": allowed)
        self.read_only = False  # a history thread: no reply, reaction or resend offered
        model.set_tail_window(self._tail_rows())
        model.set_scroll_window(self._window_rows())
        self._anchor: tuple[str, int] | None = None  # (row key, its bottom) kept while rows change
        self._removing = False  # the scroll bar moves while rows go: not the agent scrolling
        self._paging = False  # a page is changing the rows: one layout and anchor at its end
        model.page_arriving.connect(self._before_page)
        model.page_ready.connect(self._on_page_ready)
        self._inserting_ready = False
        self._to_measure: deque[tuple[Message, tuple[object, ...]]] = deque()
        self._measuring = QTimer(self)
        self._measuring.setSingleShot(True)
        self._measuring.setInterval(0)
        self._measuring.timeout.connect(self._measure_slice)
        self._arrived = False  # live rows came in at the bottom: painted once the change is in
        self._measure_after_paint = False  # the open's older rows wait for the first paint
        model.rowsAboutToBeInserted.connect(self._before_insert)
        model.rowsInserted.connect(self._after_insert)
        model.live_applied.connect(self._paint_arrivals)
        model.rowsRemoved.connect(self._after_remove)
        model.modelReset.connect(self._after_reset)
        model.dataChanged.connect(self._after_data_changed)
        model.older_loaded.connect(lambda _n: self._after_page(older=True))
        model.newer_loaded.connect(lambda _n: self._after_page(older=False))
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)

    # --- scrolling ------------------------------------------------------------------------------

    def row_keys_on_screen(self, margin_views: int = 0) -> set[str]:
        """The row keys of the rows the viewport shows, those cut by its edges included, and
        of the rows within ``margin_views`` viewport heights above and below it."""
        rows = self._thread.rowCount()
        if rows == 0:
            return set()
        viewport = self.viewport()
        top = self.indexAt(QPoint(0, 0))
        bottom = self.indexAt(QPoint(0, viewport.height() - 1))
        first = top.row() if top.isValid() else 0
        last = bottom.row() if bottom.isValid() else rows - 1
        if margin_views:
            margin = viewport.height() * margin_views
            while first > 0 and self.visualRect(self._thread.index(first - 1)).bottom() >= -margin:
                first -= 1
            limit = viewport.height() + margin
            while last < rows - 1 and self.visualRect(self._thread.index(last + 1)).top() < limit:
                last += 1
        keys: set[str] = set()
        for row in range(first, last + 1):
            parts = self._thread.layout_key(row)
            if parts is not None:
                keys.add(parts[0])
        return keys

    def is_at_bottom(self) -> bool:
        """At the bottom of the conversation: of the view, with no newer rows left out."""
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - BOTTOM_SLACK_PX and not self._thread.has_newer

    def _tail_rows(self) -> int:
        """Rows kept while pinned: more than two views full even of the shortest rows, so
        the view never runs out of rows and asks for older ones while it drops them."""
        return max(TAIL_ROWS, self.viewport().height() // TAIL_ROW_PX)

    def rows_to_fill(self) -> int:
        """Rows that fill the view at its tallest (the window's height) and the fetch
        threshold above it even if every row is as short as a row can be: what a
        conversation opens with (``ThreadModel.open``'s ``first_rows``). The rest of its
        first page is measured on idle passes once the view is painted and inserted when
        a scroll reaches the top."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        shortest = max(1, self._delegate.shortest_row_px(option.font))
        tallest = max(self.viewport().height(), self.window().height())
        return -(-(tallest + FETCH_THRESHOLD_PX) // shortest) + 1

    def _window_rows(self) -> int:
        """Rows kept scrolled away from the bottom: a page beyond several views full."""
        return max(WINDOW_VIEWS * self._tail_rows(), 4 * PAGE_SIZE)

    def _set_pinned(self, pinned: bool) -> None:
        if pinned != self._pinned:
            self._pinned = pinned
            self._thread.set_tail_window(self._tail_rows() if pinned else None)

    def _capture_anchor(self) -> None:
        """Remember the row at the top of the view and where its bottom edge is, until the
        model's synchronous changes are over (a page: insertion, neighbours, dropped rows)."""
        if self._anchor is not None:
            return
        index = self.indexAt(QPoint(0, 0))
        if not index.isValid():
            index = self.indexAt(QPoint(0, self.spacing() + 1))
        if index.isValid():
            self._anchor = (index.data(MessageRole.ROW_KEY), self.visualRect(index).bottom())
            QTimer.singleShot(0, self._release_anchor)

    def _release_anchor(self) -> None:
        self._anchor = None

    def _restore_anchor(self) -> None:
        """Scroll so the remembered row is where it was (rows came or went elsewhere)."""
        self.executeDelayedItemsLayout()
        if self._anchor is None:
            return
        key, bottom = self._anchor
        row = self._thread.row_of_key(key)
        if row < 0:
            return
        moved = self.visualRect(self._thread.index(row)).bottom() - bottom
        if moved:
            bar = self.verticalScrollBar()
            self._removing = True  # not the agent scrolling
            bar.setValue(bar.value() + moved)
            self._removing = False

    def _before_page(self) -> None:
        if self._thread.rowCount() > 0 and not self._pinned:
            self._capture_anchor()
            self._paging = self._anchor is not None

    def _after_page(self, *, older: bool) -> None:
        """A page changed the rows: lay them out once and put the anchor back."""
        if self._paging:
            self._paging = False
            self._restore_anchor()
        if older:
            self._maybe_fetch_older()
        else:
            self._maybe_fetch_newer()
        self._maybe_prefetch()

    def _before_insert(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if self._thread.rowCount() == 0:
            return
        if first == 0 or not self._pinned:
            self._capture_anchor()
        else:
            self._set_pinned(self.is_at_bottom())
            if not self._pinned:
                self._capture_anchor()

    def _after_insert(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self._paging:
            return
        if self._anchor is not None:
            self._restore_anchor()
            return
        self.executeDelayedItemsLayout()
        if self._pinned:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
            self._arrived = True

    def _paint_arrivals(self) -> None:
        """Paint new rows at the bottom as soon as the model's live change is in: before the
        rest of the burst's work (the tail window's trim, marking read, the next events) and
        not after it, on the event loop's posted update. Scrolled up, nothing new is in view:
        the update waits for the loop as before."""
        if not self._arrived:
            return
        self._arrived = False
        if self._pinned and self.isVisible():
            with self._delegate.painting_arrivals():
                self.viewport().repaint()

    def _before_remove(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._removing = True
        if not self._pinned:
            self._capture_anchor()

    def _after_remove(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._removing = False
        if self._paging:
            return
        if self._anchor is not None:
            self.scheduleDelayedItemsLayout()
            self._restore_anchor()
        elif self._pinned:  # e.g. the oldest rows dropped by the tail window
            self.scheduleDelayedItemsLayout()
            self.executeDelayedItemsLayout()
            self.scrollToBottom()

    def _after_reset(self) -> None:
        self._anchor = None
        self._paging = False
        self._to_measure.clear()  # rows of another conversation's page read ahead
        self._measuring.stop()
        self._measure_after_paint = False
        self._delegate.paint_new_rows_straight()  # the open's first paint: no pictures made
        if self._thread.has_newer:  # the rows around one message: the revealer scrolls
            self._set_pinned(False)
            return
        self._set_pinned(True)
        QTimer.singleShot(0, self._settle_at_bottom)

    def _settle_at_bottom(self) -> None:
        self.executeDelayedItemsLayout()
        self.scrollToBottom()
        self._maybe_fetch_older()
        # The older rows of the page opened with (``rows_to_fill``): measured once the
        # rows shown are painted, not before.
        self._measure_after_paint = self._thread.has_ready_page(True)

    def _after_data_changed(self, _top_left: QModelIndex, *_args: object) -> None:
        # Reactions, delivery marks and day headers change row heights: relayout, stay pinned.
        # Scrolled up, the row at the top of the view stays where it is.
        # Not the delegate's sizeHintChanged: the view connects it to a *queued* full layout,
        # which would measure every row once more after the one done here.
        if self._paging:
            self.scheduleDelayedItemsLayout()
            return
        pinned = self.is_at_bottom()
        if not pinned:
            self._capture_anchor()
        self.scheduleDelayedItemsLayout()
        if pinned:
            self.executeDelayedItemsLayout()
            self.scrollToBottom()
        else:
            self._restore_anchor()

    def _on_scrolled(self, value: int) -> None:
        if self._removing or self._paging:
            return
        self._set_pinned(self.is_at_bottom())
        if value <= FETCH_THRESHOLD_PX:
            self._maybe_fetch_older()
        elif value >= self.verticalScrollBar().maximum() - FETCH_THRESHOLD_PX:
            self._maybe_fetch_newer()
        self._maybe_prefetch()

    def _prefetch_px(self) -> int:
        return FETCH_THRESHOLD_PX + PREFETCH_VIEWS * self.viewport().height()

    def _maybe_prefetch(self) -> None:
        """Read the next page ahead when the view is within a few views of an end, once the
        agent scrolled away from the bottom (not when a conversation opens: switching
        between conversations would read and measure a page each time for nothing)."""
        if self._pinned:
            return
        bar = self.verticalScrollBar()
        if bar.value() <= self._prefetch_px():
            self._thread.prefetch_older()
        elif bar.value() >= bar.maximum() - self._prefetch_px():
            self._thread.prefetch_newer()

    def _on_page_ready(self, older: bool) -> None:
        """A page read ahead is in: insert it when the view is at that edge already, else
        measure its rows on idle passes until the view gets there."""
        if older:
            self._maybe_fetch_older()
        else:
            self._maybe_fetch_newer()
        self._queue_ready_rows(older)

    def _queue_ready_rows(self, older: bool) -> None:
        """Measure the rows of the page read ahead in that direction on idle passes."""
        rows = self._thread.ready_rows(older)
        if rows:
            self._to_measure.extend(rows)
            self._measuring.start()

    def _measure_slice(self) -> None:
        """Measure rows of the pages read ahead for ``MEASURE_SLICE_S``, then yield."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        width = self.viewport().width()
        deadline = time.perf_counter() + MEASURE_SLICE_S
        while self._to_measure and time.perf_counter() < deadline:
            message, parts = self._to_measure.popleft()
            self._delegate.measure_ahead(message, parts, width, option.font)
        if self._to_measure:
            self._measuring.start()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if maximum == 0:
            self._maybe_fetch_older()  # not enough history to fill the view yet

    def _maybe_fetch_older(self) -> None:
        bar = self.verticalScrollBar()
        if bar.value() <= FETCH_THRESHOLD_PX and self._thread.can_fetch_older():
            self._fetch(older=True)

    def _maybe_fetch_newer(self) -> None:
        bar = self.verticalScrollBar()
        if bar.value() >= bar.maximum() - FETCH_THRESHOLD_PX and self._thread.can_fetch_newer():
            self._fetch(older=False)

    def _fetch(self, *, older: bool) -> None:
        """Ask for the next page; one read ahead is inserted on the next pass of the event
        loop, not inside the scroll bar's own handling of the scroll that reached the edge."""
        if not self._thread.has_ready_page(older):
            if older:
                self._thread.fetch_older()
            else:
                self._thread.fetch_newer()
        elif not self._inserting_ready:
            self._inserting_ready = True
            QTimer.singleShot(0, self._insert_ready)

    def _insert_ready(self) -> None:
        self._inserting_ready = False
        bar = self.verticalScrollBar()
        if bar.value() <= FETCH_THRESHOLD_PX and self._thread.has_ready_page(True):
            self._thread.fetch_older()
        elif bar.value() >= bar.maximum() - FETCH_THRESHOLD_PX and self._thread.has_ready_page(
            False
        ):
            self._thread.fetch_newer()

    def resizeEvent(self, event: QResizeEvent) -> None:
        pinned = self.is_at_bottom()
        super().resizeEvent(event)
        if self._pinned:
            self._thread.set_tail_window(self._tail_rows())
        self._thread.set_scroll_window(self._window_rows())
        if event.size().width() != event.oldSize().width():
            # QListView measures rows again only when the height changes (top-to-bottom
            # flow), but the text wraps at the width.
            self.scheduleDelayedItemsLayout()
        if pinned:
            self.executeDelayedItemsLayout()
            self.scrollToBottom()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._measure_after_paint:
            self._measure_after_paint = False
            self._queue_ready_rows(older=True)
        self.painted.emit()

    # --- hits -----------------------------------------------------------------------------------

    def _hit(self, pos: QPoint) -> tuple[QModelIndex, Hit | None]:
        index = self.indexAt(pos)
        if not index.isValid():
            return index, None
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        return index, self._delegate.hit_at(option, index, pos)

    def message_at(self, index: QModelIndex | QPersistentModelIndex) -> Message | None:
        return self._thread.message_at(index.row()) if index.isValid() else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        _index, hit = self._hit(event.position().toPoint())
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if hit else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            index, hit = self._hit(event.position().toPoint())
            message = self.message_at(index)
            if hit is not None and message is not None:
                self._activate(message, hit)
        super().mouseReleaseEvent(event)

    def _activate(self, message: Message, hit: Hit) -> None:
        if hit.kind == "link" and hit.url is not None:
            QDesktopServices.openUrl(hit.url)  # http(s) only: find_links refuses the rest
        elif hit.kind == "file" and hit.file is not None:
            self.openFileRequested.emit(hit.file)
        elif (
            hit.kind == "reaction"
            and hit.reaction is not None
            and message.id > 0
            and not self.read_only
        ):
            if self._reaction_block:
                self.reactionRefused.emit(self._reaction_block)
            else:
                self.reactionToggled.emit(message, hit.reaction.emoji)

    def set_reaction_block(self, reason: str) -> None:
        """Refuse reactions with ``reason`` (``""``: allow them again); see ``ticket_actions``."""
        self._reaction_block = reason

    def _relayout(self) -> None:
        """Measure the rows again (a system line's agent name changed)."""
        self.doItemsLayout()
        self.viewport().update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            message = self.message_at(self.currentIndex())
            if message is not None:
                QGuiApplication.clipboard().setText(self._delegate.display_text(message))
                return
        super().keyPressEvent(event)

    # --- context menu ---------------------------------------------------------------------------

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index, hit = self._hit(event.pos())
        message = self.message_at(index)
        if message is None:
            return
        self.setCurrentIndex(index)
        menu = self.build_context_menu(message, hit.file if hit else None)
        menu.popup(event.globalPos())

    def build_context_menu(self, message: Message, file: FileInfo | None = None) -> QMenu:
        """The actions offered for ``message`` (``file``: the attachment under the mouse)."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        confirmed = (
            message.id > 0 and message.direction is not Direction.SYSTEM and not self.read_only
        )
        if confirmed:
            menu.addAction(self.tr("Reply"), lambda: self.replyRequested.emit(message))
            react = menu.addMenu(self.tr("React"))
            if self._reaction_block:
                react.setEnabled(False)
                menu.addAction(self._reaction_block).setEnabled(False)
            for emoji in FREQUENT_EMOJI:
                react.addAction(emoji, partial(self.reactionToggled.emit, message, emoji))
            react.addSeparator()
            react.addAction(self.tr("More…"), lambda: self.moreReactionsRequested.emit(message))
        text = self._delegate.display_text(message)
        if text:
            menu.addAction(self.tr("Copy text"), lambda: QGuiApplication.clipboard().setText(text))
        files = [file] if file is not None else list(message.files)
        for attachment in files:
            suffix = f" “{attachment.name}”" if len(files) > 1 else ""
            menu.addAction(
                self.tr("Open attachment") + suffix,
                partial(self.openFileRequested.emit, attachment),
            )
            menu.addAction(
                self.tr("Save attachment…") + suffix,
                partial(self.saveFileRequested.emit, attachment),
            )
        if message.delivery is Delivery.FAILED:
            if not menu.isEmpty():
                menu.addSeparator()
            menu.addAction(failed_send_sentence(message.error)).setEnabled(False)
            menu.addAction(self.tr("Retry sending"), lambda: self.retryRequested.emit(message))
            menu.addAction(self.tr("Discard"), lambda: self.discardRequested.emit(message))
        return menu

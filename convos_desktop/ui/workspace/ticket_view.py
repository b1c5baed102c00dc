"""The ticket list view: uniform rows, so a changed ticket repaints its row and nothing else;
rows that arrive or jump to the top never move the rows the agent is looking at."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QPushButton, QWidget

PILL_MARGIN_PX = 8
PILL_HEIGHT_PX = 26
PILL_STYLE = (
    "#newTicketsPill { background: #2f6fd6; color: white; border: 1px solid #1f4f9e;"
    f" border-radius: {PILL_HEIGHT_PX // 2}px; padding: 0 14px; font-weight: 600; }}"
    "#newTicketsPill:hover { background: #245bb3; }"
)


class TicketListView(QListView):
    """A list of rows of one fixed height, where a data change never lays the list out again,
    and where new rows arrive above the viewport without moving the visible ones.

    Qt 6's ``QListView`` answers every ``dataChanged``, even of one row and with uniform item
    sizes, by laying out every row again: for a Python model that is two ``rowCount`` calls
    per row, 30-45 ms for 10,000 tickets each time one ticket is marked read or gets a draft.
    Ticket rows all have the delegate's fixed height and nothing in a ticket's data changes
    it, so a change only repaints the changed rows (``QAbstractItemView``'s own handling:
    editors, accessibility, repaint). Inserted, moved and removed rows are laid out as usual.

    Rows that stay still: before rows are inserted, moved or removed, the top visible row is
    remembered with its position; once the (delayed, so once per burst) layout is done the
    scroll position is corrected so that row, and every visible row with it, is where it was.
    This holds at the very top too, as in mail clients: new tickets land above the viewport
    and a pill ("3 new") says so and scrolls up when clicked; scrolling to the top clears it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        self._anchor: QPersistentModelIndex | None = None  # the top row before a change
        self._anchor_top = 0  # its top, in viewport pixels, before the change
        self._moving_from_below = False  # the rows moving now were below the anchor
        self._new_above = 0  # rows that arrived above the viewport, not seen yet
        super().__init__(parent)
        self.setUniformItemSizes(True)
        self.new_pill = QPushButton(self)
        self.new_pill.setObjectName("newTicketsPill")
        self.new_pill.setCursor(Qt.CursorShape.PointingHandCursor)
        self.new_pill.setFixedHeight(PILL_HEIGHT_PX)
        self.new_pill.clicked.connect(self.scroll_to_newest)
        self.new_pill.hide()
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

    # --- the new-rows pill ----------------------------------------------------------------------

    @property
    def new_above(self) -> int:
        """How many rows arrived above the viewport since the agent last saw the top."""
        return self._new_above

    def scroll_to_newest(self) -> None:
        self.verticalScrollBar().setValue(0)
        self._set_new_above(0)

    def _set_new_above(self, count: int) -> None:
        self._new_above = count
        if count <= 0:
            self.new_pill.hide()
            return
        if not self.new_pill.styleSheet():  # styled when first shown: hidden, it costs none
            self.new_pill.setStyleSheet(PILL_STYLE)
        self.new_pill.setText("↑ " + self.tr("%n new", "", count))
        self.new_pill.adjustSize()
        self._place_pill()
        self.new_pill.show()
        self.new_pill.raise_()

    def _place_pill(self) -> None:
        pill = self.new_pill
        x = (self.width() - pill.width()) // 2
        pill.move(max(0, x), self.viewport().y() + PILL_MARGIN_PX)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_pill()

    def _on_scrolled(self, value: int) -> None:
        if value == 0 and self._anchor is None:
            self._set_new_above(0)

    # --- keeping the visible rows still ---------------------------------------------------------

    def setModel(self, model: QAbstractItemModel | None) -> None:
        old = self.model()
        if old is not None:
            old.rowsAboutToBeInserted.disconnect(self._remember_anchor)
            old.rowsAboutToBeMoved.disconnect(self._before_move)
            old.rowsMoved.disconnect(self._after_move)
        super().setModel(model)
        if model is not None:
            model.rowsAboutToBeInserted.connect(self._remember_anchor)
            model.rowsAboutToBeMoved.connect(self._before_move)
            model.rowsMoved.connect(self._after_move)
            model.modelReset.connect(lambda: self._set_new_above(0))

    def _remember_anchor(self, *_args: object) -> None:
        if self._anchor is not None:
            return  # a burst: the first change of it remembered where the rows were
        top = self.indexAt(QPoint(1, 1))
        if not top.isValid():
            return
        self._anchor = QPersistentModelIndex(top)
        self._anchor_top = self.visualRect(top).top()

    def _before_move(
        self, _parent: QModelIndex, start: int, _end: int, _destination: QModelIndex, _row: int
    ) -> None:
        self._remember_anchor()
        anchor = self._anchor
        self._moving_from_below = anchor is not None and start >= anchor.row()

    def _after_move(
        self, _parent: QModelIndex, _start: int, _end: int, _destination: QModelIndex, row: int
    ) -> None:
        anchor = self._anchor
        if anchor is not None and self._moving_from_below and row <= anchor.row():
            self._new_above += 1
        self.scheduleDelayedItemsLayout()

    def rowsInserted(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        super().rowsInserted(parent, start, end)
        anchor = self._anchor
        if anchor is not None and anchor.isValid() and end < anchor.row():
            self._new_above += end - start + 1

    def rowsAboutToBeRemoved(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        self._remember_anchor()
        super().rowsAboutToBeRemoved(parent, start, end)

    def updateGeometries(self) -> None:
        """After each layout: put the remembered row back where it was."""
        super().updateGeometries()
        anchor, self._anchor = self._anchor, None
        bar = self.verticalScrollBar()
        if anchor is not None and anchor.isValid():
            index = self.model().index(anchor.row(), 0)
            bar.setValue(bar.value() + self.visualRect(index).top() - self._anchor_top)
        if self._new_above:  # none while Qt builds the view, before the pill exists
            self._set_new_above(self._new_above if bar.value() > 0 else 0)

    def dataChanged(
        self,
        topLeft: QModelIndex | QPersistentModelIndex,  # noqa: N803 (Qt's names)
        bottomRight: QModelIndex | QPersistentModelIndex,  # noqa: N803
        /,
        roles: Sequence[int] = (),
    ) -> None:
        QAbstractItemView.dataChanged(self, topLeft, bottomRight, roles)

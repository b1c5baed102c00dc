"""Message search (Ctrl+Shift+K): the agent's cached conversations offline, or the workspace.

"On this computer" asks the cache's full-text index (works without a connection, best
match first); "In the workspace" asks ``GET /search/messages`` (what the agent may see, newest
first, "More results" for the next page). Typing searches after a short pause. Each result
shows where it was said and its text with the words found highlighted; Enter or a double
click opens the conversation scrolled to that message (``openRequested``).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextLayout,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.core.types import Contact, Conversation, Direction, Message
from convos_desktop.models.message_search import MessageSearchModel, SearchHit, SearchRole
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.formatting import local_date_time
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.theme import set_text_color

DEBOUNCE_MS = 250
ROW_HEIGHT = 46
SNIPPET_LEAD = 40  # characters kept before the first match in a long text
MUTED = QColor("#6b7280")
MARK = QColor("#fde68a")


def snippet(text: str, ranges: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """One line of ``text`` starting a little before the first match, ranges moved along."""
    flat = " ".join(text.split("\n"))
    start = 0
    if ranges and ranges[0][0] > SNIPPET_LEAD:
        start = ranges[0][0] - SNIPPET_LEAD
    shown = ("…" if start else "") + flat[start:]
    shift = (1 if start else 0) - start
    return shown, [(s + shift, n) for s, n in ranges if s >= start]


class SearchDelegate(QStyledItemDelegate):
    """Where (muted), then the text with the found words marked."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # type: ignore[override]
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        widget = option.widget
        if widget is not None:
            element = QStyle.ControlElement.CE_ItemViewItem
            widget.style().drawControl(element, option, painter, widget)
        rect = option.rect.adjusted(10, 4, -10, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = option.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        painter.save()
        metrics = painter.fontMetrics()
        line = metrics.height()
        painter.setPen(text_color if selected else MUTED)
        where = str(index.data(SearchRole.WHERE) or "")
        painter.drawText(
            rect.left(),
            rect.top(),
            rect.width(),
            line,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(where, Qt.TextElideMode.ElideRight, rect.width()),
        )
        text, ranges = snippet(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
            list(index.data(SearchRole.RANGES) or []),
        )
        layout = QTextLayout(text, painter.font())
        formats = []
        for start, length in ranges:
            mark = QTextLayout.FormatRange()
            mark.start, mark.length = start, length
            char_format = QTextCharFormat()
            char_format.setFontWeight(QFont.Weight.Bold)
            char_format.setBackground(MARK)
            char_format.setForeground(QColor("#111827"))
            mark.format = char_format
            formats.append(mark)
        layout.setFormats(formats)
        layout.beginLayout()
        text_line = layout.createLine()
        if text_line.isValid():
            text_line.setLineWidth(100_000)  # one line, cut at the row's edge
        layout.endLayout()
        painter.setPen(text_color)
        painter.setClipRect(QRectF(rect.left(), rect.top() + line, rect.width(), line + 4))
        layout.draw(painter, rect.topLeft().toPointF() + QRectF(0, line + 2, 0, 0).topLeft())
        painter.restore()


class MessageSearchDialog(QDialog):
    """See the module docstring."""

    openRequested = Signal(object)  # noqa: N815 (Qt signal naming): Message

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageSearch")
        self.setWindowTitle(self.tr("Search messages"))
        self._context = context
        self._tasks = TaskRunner()
        self._generation = 0  # answers of an older search are dropped
        self._next_cursor: str | None = None
        self.model = MessageSearchModel(self)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("Words to find in the messages"))
        self.edit.setAccessibleName(self.tr("Search messages"))
        self.edit.setClearButtonEnabled(True)
        self.local_button = QRadioButton(self.tr("On this &computer"), self)
        self.local_button.setToolTip(
            self.tr("The conversations kept on this computer; works offline")
        )
        self.server_button = QRadioButton(self.tr("In the &workspace"), self)
        self.server_button.setToolTip(self.tr("Every conversation you may see, on the server"))
        self.scope = QButtonGroup(self)
        self.scope.addButton(self.local_button)
        self.scope.addButton(self.server_button)
        self.local_button.setChecked(True)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setItemDelegate(SearchDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setAccessibleName(self.tr("Messages found"))
        self.status = QLabel(self)
        set_text_color(self.status, MUTED)
        self.more_button = QPushButton(self.tr("More results"), self)
        self.more_button.hide()
        scopes = QHBoxLayout()
        scopes.addWidget(self.local_button)
        scopes.addWidget(self.server_button)
        scopes.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addLayout(scopes)
        layout.addWidget(self.list, 1)
        layout.addLayout(bottom)
        self.resize(680, 520)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search)
        self.edit.textChanged.connect(lambda _text: self._timer.start())
        self.scope.buttonToggled.connect(self._on_scope)
        self.edit.returnPressed.connect(self._on_return)
        self.list.activated.connect(lambda index: self.open_row(index.row()))
        self.more_button.clicked.connect(self.load_more)
        self.edit.installEventFilter(self)

    def _on_scope(self, _button: object, checked: bool) -> None:
        if checked:
            self.search()

    @property
    def online(self) -> bool:
        """Whether the workspace is searched (else the cache)."""
        return self.server_button.isChecked()

    def present(self) -> None:
        """Show the dialog with the text field focused (the last search kept)."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()
        self.edit.selectAll()

    def _on_return(self) -> None:
        if self._timer.isActive() or self.model.query != self.edit.text():
            self._timer.stop()
            self.search()
        elif self.model.rowCount() > 0:
            self.open_row(max(0, self.list.currentIndex().row()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
        ):
            QApplication.sendEvent(self.list, event)  # move in the results, typing goes on
            return True
        return super().eventFilter(watched, event)

    # --- searching ------------------------------------------------------------------------

    def search(self) -> None:
        """Search now for the text typed, in the chosen scope."""
        self._timer.stop()
        text = self.edit.text().strip()
        self._generation += 1
        self._next_cursor = None
        self.more_button.hide()
        self.model.reset(text)
        if not text:
            self.status.setText("")
            return
        self.status.setText(self.tr("Searching…"))
        generation = self._generation
        work = self._search_server(text, None, generation) if self.online else None
        if work is None:
            work = self._search_cache(text, generation)
        self._tasks.run(work, on_error=lambda error: self._failed(error, generation))

    def load_more(self) -> None:
        """The next page of the workspace search."""
        if self._next_cursor is None or not self.online:
            return
        self.more_button.setEnabled(False)
        self._tasks.run(
            self._search_server(self.model.query, self._next_cursor, self._generation),
            on_error=lambda error: self._failed(error, self._generation),
        )

    async def _search_cache(self, text: str, generation: int) -> None:
        messages = await self._context.store.search_messages(text)
        if generation == self._generation:
            self.model.reset(text, [self._cached_hit(m) for m in messages])
            self._show_count(more=False)

    async def _search_server(self, text: str, cursor: str | None, generation: int) -> None:
        page = await self._context.api.search_messages(text, cursor)
        if generation != self._generation:
            return
        self._context.directory.upsert_contacts(page.contacts)
        hits = self._server_hits(page.items, page.conversations, page.contacts)
        self.model.append(hits)
        self._next_cursor = page.next_cursor
        self.more_button.setEnabled(True)
        self.more_button.setVisible(page.next_cursor is not None)
        self._show_count(more=page.next_cursor is not None)

    def _failed(self, error: str, generation: int) -> None:
        if generation == self._generation:
            self.more_button.setEnabled(True)
            self.status.setText(error)

    def _show_count(self, *, more: bool) -> None:
        count = self.model.rowCount()
        if count == 0:
            self.status.setText(self.tr("No message contains these words"))
        elif more:
            self.status.setText(self.tr("%n message(s) shown, more in the workspace", "", count))
        else:
            self.status.setText(self.tr("%n message(s) found", "", count))
        if count and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.model.index(0, 0))

    # --- where a message was said -----------------------------------------------------------

    def _cached_hit(self, message: Message) -> SearchHit:
        store = self._context.store
        ticket = store.ticket(message.ticket_id) if message.ticket_id else None
        ticket = ticket or store.ticket_for_conversation(message.conversation_id)
        conversation = store.conversation(message.conversation_id)
        place = ticket or conversation
        contact_id = place.contact_id if place else None
        inbox_id = place.inbox_id if place else None
        return SearchHit(message, self._where(message, contact_id, inbox_id))

    def _server_hits(
        self,
        messages: Iterable[Message],
        conversations: Iterable[Conversation],
        contacts: Iterable[Contact],
    ) -> list[SearchHit]:
        by_id = {c.id: c for c in conversations}
        names = {c.id: c.name for c in contacts}
        hits = []
        for message in messages:
            conversation = by_id.get(message.conversation_id)
            contact_id = conversation.contact_id if conversation else None
            inbox_id = conversation.inbox_id if conversation else None
            where = self._where(message, contact_id, inbox_id, names.get(contact_id or 0))
            hits.append(SearchHit(message, where))
        return hits

    def _where(
        self,
        message: Message,
        contact_id: int | None,
        inbox_id: int | None,
        contact_name: str | None = None,
    ) -> str:
        directory = self._context.directory
        contact = contact_name or directory.contact_name(contact_id) or self.tr("Unknown contact")
        sender = message.sender_name or contact
        if message.direction is Direction.NOTE:
            sender = self.tr("Note by {name}").format(name=sender)
        when = local_date_time(message.created_at)
        parts = [contact, directory.inbox_name(inbox_id), sender, when]
        return "  ·  ".join(part for part in parts if part)

    # --- opening ------------------------------------------------------------------------------

    def open_row(self, row: int) -> None:
        """Ask to open the message at ``row``."""
        hit = self.model.hit_at(row)
        if hit is not None:
            self.hide()  # the conversation shows; Ctrl+Shift+K brings the results back
            self.openRequested.emit(hit.message)

    async def shutdown(self) -> None:
        """Wait for the searches still running (before the client closes)."""
        await self._tasks.wait_idle()

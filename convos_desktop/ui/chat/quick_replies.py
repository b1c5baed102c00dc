"""Quick replies (canned responses): a list model, a menu button and a ``/shortcut`` completer.

Embedded by the main window through the composer. Canned texts may hold the placeholders
``{contact_name}`` and ``{agent_name}`` (docs/protocol.md: filled by the client); replies in
the UI language come first and hide another language's reply with the same shortcut.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QWidget,
)

from convos_desktop.core.types import Canned
from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.canned_delegate import CannedDelegate

log = logging.getLogger("convos.ui.quick_replies")

ModelIndex = QModelIndex | QPersistentModelIndex

PLACEHOLDERS = ("contact_name", "agent_name")
_MENU_TEXT_LIMIT = 60


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{contact_name}`` and ``{agent_name}``; other braces are left untouched."""
    for name in PLACEHOLDERS:
        if name in values:
            text = text.replace("{" + name + "}", values[name])
    return text


def first_line(text: str, limit: int = _MENU_TEXT_LIMIT) -> str:
    """The first line of ``text``, cut to ``limit`` characters with an ellipsis."""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def resolve_language(replies: Iterable[Canned], language: str) -> list[Canned]:
    """Replies to offer for the UI ``language``, by shortcut.

    A reply in ``language`` wins over a language-neutral one, which wins over one in another
    language with the same shortcut. Order: alphabetical, replies that exist only in another
    language last.
    """
    by_shortcut: dict[str, Canned] = {}
    for reply in replies:
        key = reply.shortcut.casefold()
        current = by_shortcut.get(key)
        if current is None or (_rank(reply, language) < _rank(current, language)):
            by_shortcut[key] = reply
    return sorted(
        by_shortcut.values(), key=lambda r: (_rank(r, language) == 2, r.shortcut.casefold())
    )


def _rank(reply: Canned, language: str) -> int:
    if reply.language == language:
        return 0
    return 1 if reply.language is None else 2


class CannedModel(RecordListModel[Canned]):
    """The canned replies on offer, already resolved for the UI language."""

    CANNED_ROLE = RecordListModel.RECORD_ROLE
    SHORTCUT_ROLE = RecordListModel.RECORD_ROLE + 1

    def __init__(self, language: str = "en", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._language = language
        self._all: list[Canned] = []

    def set_canned(self, replies: Iterable[Canned]) -> None:
        """Replace the replies (the directory's ``canned`` list changed)."""
        self._all = list(replies)
        self.set_records(resolve_language(self._all, self._language))

    def set_language(self, language: str) -> None:
        """Prefer replies in ``language`` (``"it"`` or ``"en"``)."""
        self._language = language
        self.set_records(resolve_language(self._all, self._language))

    def replies(self) -> list[Canned]:
        """The replies on offer, in display order."""
        return self.records()

    def record_data(self, record: Canned, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"/{record.shortcut}  —  {first_line(record.text)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.text
        if role == self.SHORTCUT_ROLE:
            return record.shortcut
        return None


class ShortcutFilterModel(QSortFilterProxyModel):
    """Rows whose key (``key_role``: a reply's shortcut, a colleague's name) starts with (or,
    failing that, contains) the typed prefix."""

    def __init__(
        self, parent: QObject | None = None, key_role: int = CannedModel.SHORTCUT_ROLE
    ) -> None:
        super().__init__(parent)
        self._prefix = ""
        self._key_role = key_role

    def set_prefix(self, prefix: str) -> None:
        """Filter on ``prefix`` (without the slash)."""
        self._prefix = prefix.casefold()
        self.invalidate()  # filter and order both depend on the prefix

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        shortcut = str(index.data(self._key_role)).casefold()
        return self._prefix in shortcut

    def lessThan(self, left: ModelIndex, right: ModelIndex) -> bool:
        def key(index: ModelIndex) -> tuple[bool, int]:
            shortcut = str(index.data(self._key_role)).casefold()
            return (not shortcut.startswith(self._prefix), index.row())

        return key(left) < key(right)


def insert_reply(
    edit: QPlainTextEdit, reply: Canned, values: Mapping[str, str], replace_chars: int = 0
) -> None:
    """Insert ``reply`` (placeholders filled) at the cursor, replacing the typed shortcut."""
    cursor = edit.textCursor()
    if replace_chars:
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, replace_chars
        )
    cursor.insertText(fill_placeholders(reply.text, values))
    edit.setTextCursor(cursor)


class QuickRepliesButton(QToolButton):
    """A button whose menu lists the quick replies; emits ``replyChosen(Canned)``."""

    replyChosen = Signal(object)  # noqa: N815 (Qt signal naming)

    def __init__(self, model: CannedModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setText(self.tr("Quick replies"))
        self.setToolTip(self.tr("Quick replies (or type / in the message)"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._menu = QMenu(self)
        self._menu.aboutToShow.connect(self._fill_menu)
        self.setMenu(self._menu)

    def _fill_menu(self) -> None:
        self._menu.clear()
        replies = self._model.replies()
        if not replies:
            empty = self._menu.addAction(self.tr("No quick replies yet"))
            empty.setEnabled(False)
            return
        for reply in replies:
            label = f"/{reply.shortcut}  —  {first_line(reply.text)}".replace("&", "&&")
            action = self._menu.addAction(label)
            action.setToolTip(reply.text)
            action.triggered.connect(lambda _=False, r=reply: self.replyChosen.emit(r))


class PrefixCompleter(QObject):
    """Pops the matching rows of ``model`` when a word starting with ``trigger`` is typed in
    ``edit`` (``/`` quick replies, ``@`` colleagues in notes).

    Up/Down choose, Enter or Tab insert (``insert_record``), Esc closes. Works on any
    ``QPlainTextEdit``: it watches the edit's keys through an event filter. ``key_role`` is
    the role filtered on; ``enabled`` False keeps it closed.
    """

    def __init__(
        self, edit: QPlainTextEdit, model: RecordListModel[Any], trigger: str, key_role: int
    ) -> None:
        super().__init__(edit)
        self._edit = edit
        self._pattern = re.compile(rf"(?:^|\s){re.escape(trigger)}(\S*)$")
        self._typed = ""  # typed so far, without the trigger
        self.enabled = True
        self.filter_model = ShortcutFilterModel(self, key_role)
        self.filter_model.setSourceModel(model)
        self.filter_model.sort(0)
        self.popup = QListView(edit)  # a tool-tip window owned (and deleted) by the edit
        self.popup.setWindowFlags(Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.popup.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.popup.setModel(self.filter_model)
        self.popup.setUniformItemSizes(True)
        self.popup.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.popup.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.popup.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.popup.clicked.connect(self._insert)
        edit.textChanged.connect(self._update)
        edit.cursorPositionChanged.connect(self._update)
        edit.installEventFilter(self)

    def is_active(self) -> bool:
        """Whether the list of matches is showing (Enter then inserts, it does not send)."""
        return self.popup.isVisible()

    def insert_record(self, record: object, replace_chars: int) -> bool:
        """Insert ``record`` over the ``replace_chars`` typed; False when it is not one."""
        raise NotImplementedError

    def _update(self) -> None:
        cursor = self._edit.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        match = self._pattern.search(before)
        if match is None or cursor.hasSelection() or not self.enabled:
            self.popup.hide()
            return
        self._typed = match.group(1)
        self.filter_model.set_prefix(self._typed)
        if self.filter_model.rowCount() == 0:
            self.popup.hide()
            return
        self.popup.setCurrentIndex(self.filter_model.index(0, 0))
        self._show_popup()

    def _show_popup(self) -> None:
        rows = min(self.filter_model.rowCount(), 8)
        row_height = max(self.popup.sizeHintForRow(0), 18)
        height = rows * row_height + 2 * self.popup.frameWidth()
        width = min(max(self._edit.width() * 2 // 3, 360), max(self._edit.width(), 240))
        self.popup.resize(width, height)
        rect = self._edit.cursorRect()
        left = max(0, min(rect.left(), self._edit.viewport().width() - width))  # stay on the edit
        top_left = self._edit.viewport().mapToGlobal(QPoint(left, rect.top() - height))
        self.popup.move(top_left)
        self.popup.show()

    def _insert(self, index: QModelIndex) -> None:
        record = index.data(RecordListModel.RECORD_ROLE)
        if self.insert_record(record, len(self._typed) + 1):
            self.popup.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and self.popup.isVisible()
        ):
            return self._popup_key(event)
        if watched is self._edit and event.type() == QEvent.Type.FocusOut:
            self.popup.hide()
        return super().eventFilter(watched, event)

    def _popup_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            rows = self.filter_model.rowCount()
            row = (self.popup.currentIndex().row() + step) % rows
            self.popup.setCurrentIndex(self.filter_model.index(row, 0))
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
            self._insert(self.popup.currentIndex())
            return True
        if key == Qt.Key.Key_Escape:
            self.popup.hide()
            return True
        return False


class ShortcutCompleter(PrefixCompleter):
    """Quick replies by ``/shortcut``, placeholders filled from :meth:`set_values`."""

    replyInserted = Signal(object)  # noqa: N815 (Qt signal naming)

    def __init__(self, edit: QPlainTextEdit, model: CannedModel) -> None:
        super().__init__(edit, model, "/", CannedModel.SHORTCUT_ROLE)
        self._values: dict[str, str] = {}
        self.delegate = CannedDelegate(lambda text: fill_placeholders(text, self._values), edit)
        self.popup.setItemDelegate(self.delegate)

    def set_values(self, values: Mapping[str, str]) -> None:
        """The placeholder values (``contact_name``, ``agent_name``)."""
        self._values = dict(values)

    def insert_record(self, record: object, replace_chars: int) -> bool:
        if not isinstance(record, Canned):
            return False
        self.popup.hide()
        insert_reply(self._edit, record, self._values, replace_chars=replace_chars)
        self.replyInserted.emit(record)
        return True

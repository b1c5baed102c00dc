"""The emoji picker: a searchable, categorised emoji grid with a persisted "recent" row.

Embedded by the main window (through the composer's emoji button). The grid is one
``QListView`` in icon mode over :class:`EmojiListModel`; categories jump to their first emoji.
Names come from the ``emoji`` package (English, plus Italian after ``load_language("it")``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.models.records import RecordListModel
from convos_desktop.ui.chat.emoji_keywords import keyword_hits

log = logging.getLogger("convos.ui.emoji")

ModelIndex = QModelIndex | QPersistentModelIndex

RECENT_KEY = "emoji/recent"
RECENT_LIMIT = 16
# Emoji 16+ draw as empty boxes with the colour fonts most desktops ship today (Noto 2.042,
# Segoe UI Emoji): leave them out rather than offer a box.
MAX_EMOJI_VERSION = 15.1
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_ZWJ = "\u200d"


class Category(StrEnum):
    """The picker's emoji groups, derived from Unicode block ranges."""

    SMILEYS_PEOPLE = "smileys_people"
    ANIMALS_NATURE = "animals_nature"
    FOOD = "food"
    TRAVEL_PLACES = "travel_places"
    ACTIVITIES = "activities"
    OBJECTS = "objects"
    SYMBOLS = "symbols"
    FLAGS = "flags"


# First matching range wins, so narrow exceptions come before the wide blocks they sit in.
_RANGES: tuple[tuple[int, int, Category], ...] = (
    (0x1F1E6, 0x1F1FF, Category.FLAGS),
    (0x1F3F3, 0x1F3F4, Category.FLAGS),
    (0x1F3C1, 0x1F3C1, Category.FLAGS),
    (0x1F6A9, 0x1F6A9, Category.FLAGS),
    (0x1F38C, 0x1F38C, Category.FLAGS),
    (0x1F490, 0x1F490, Category.ANIMALS_NATURE),
    (0x1F4A1, 0x1F4A1, Category.OBJECTS),
    (0x1F600, 0x1F64F, Category.SMILEYS_PEOPLE),
    (0x1F442, 0x1F4AB, Category.SMILEYS_PEOPLE),
    (0x1F90C, 0x1F93E, Category.SMILEYS_PEOPLE),
    (0x1F970, 0x1F97A, Category.SMILEYS_PEOPLE),
    (0x1F9B0, 0x1F9B9, Category.SMILEYS_PEOPLE),
    (0x1F9CD, 0x1F9DF, Category.SMILEYS_PEOPLE),
    (0x1F9E1, 0x1F9E1, Category.SMILEYS_PEOPLE),
    (0x1FAE0, 0x1FAFF, Category.SMILEYS_PEOPLE),
    (0x1F574, 0x1F57A, Category.SMILEYS_PEOPLE),
    (0x1F590, 0x1F596, Category.SMILEYS_PEOPLE),
    (0x1F5E3, 0x1F5E3, Category.SMILEYS_PEOPLE),
    (0x1F6B4, 0x1F6B6, Category.SMILEYS_PEOPLE),
    (0x1F6C0, 0x1F6C0, Category.SMILEYS_PEOPLE),
    (0x1F6CC, 0x1F6CC, Category.SMILEYS_PEOPLE),
    (0x261D, 0x261D, Category.SMILEYS_PEOPLE),
    (0x2639, 0x263A, Category.SMILEYS_PEOPLE),
    (0x26F9, 0x26F9, Category.SMILEYS_PEOPLE),
    (0x270A, 0x270D, Category.SMILEYS_PEOPLE),
    (0x2763, 0x2764, Category.SMILEYS_PEOPLE),
    (0x1F300, 0x1F32C, Category.ANIMALS_NATURE),
    (0x1F330, 0x1F344, Category.ANIMALS_NATURE),
    (0x1F400, 0x1F43F, Category.ANIMALS_NATURE),
    (0x1F54A, 0x1F54A, Category.ANIMALS_NATURE),
    (0x1F577, 0x1F578, Category.ANIMALS_NATURE),
    (0x1F980, 0x1F9AE, Category.ANIMALS_NATURE),
    (0x1FAB0, 0x1FABF, Category.ANIMALS_NATURE),
    (0x2600, 0x2604, Category.ANIMALS_NATURE),
    (0x2614, 0x2614, Category.ANIMALS_NATURE),
    (0x2618, 0x2618, Category.ANIMALS_NATURE),
    (0x26A1, 0x26A1, Category.ANIMALS_NATURE),
    (0x26C4, 0x26C8, Category.ANIMALS_NATURE),
    (0x2744, 0x2744, Category.ANIMALS_NATURE),
    (0x1F32D, 0x1F32F, Category.FOOD),
    (0x1F345, 0x1F37F, Category.FOOD),
    (0x1F950, 0x1F96F, Category.FOOD),
    (0x1F9C0, 0x1F9CB, Category.FOOD),
    (0x1FAD0, 0x1FADF, Category.FOOD),
    (0x2615, 0x2615, Category.FOOD),
    (0x1F680, 0x1F6FF, Category.TRAVEL_PLACES),
    (0x1F3D4, 0x1F3F0, Category.TRAVEL_PLACES),
    (0x1F5FA, 0x1F5FF, Category.TRAVEL_PLACES),
    (0x2693, 0x2693, Category.TRAVEL_PLACES),
    (0x26E9, 0x26FD, Category.TRAVEL_PLACES),
    (0x2708, 0x2708, Category.TRAVEL_PLACES),
    (0x1F380, 0x1F393, Category.ACTIVITIES),
    (0x1F3A0, 0x1F3CF, Category.ACTIVITIES),
    (0x1F93A, 0x1F94F, Category.ACTIVITIES),
    (0x1F9E7, 0x1F9E9, Category.ACTIVITIES),
    (0x1FA80, 0x1FA8F, Category.ACTIVITIES),
    (0x1F004, 0x1F004, Category.ACTIVITIES),
    (0x1F0CF, 0x1F0CF, Category.ACTIVITIES),
    (0x265F, 0x265F, Category.ACTIVITIES),
    (0x26BD, 0x26BE, Category.ACTIVITIES),
    (0x26F3, 0x26F3, Category.ACTIVITIES),
    (0x26F8, 0x26F8, Category.ACTIVITIES),
    (0x1F500, 0x1F53D, Category.SYMBOLS),
    (0x1F4AC, 0x1F4FF, Category.OBJECTS),
    (0x1F56F, 0x1F5FF, Category.OBJECTS),
    (0x1F9E0, 0x1F9FF, Category.OBJECTS),
    (0x1FA70, 0x1FAFF, Category.OBJECTS),
    (0x2300, 0x23FF, Category.OBJECTS),
    (0x260E, 0x260E, Category.OBJECTS),
    (0x2692, 0x269C, Category.OBJECTS),
    (0x26CF, 0x26D4, Category.OBJECTS),
    (0x2702, 0x2702, Category.OBJECTS),
    (0x2709, 0x2709, Category.OBJECTS),
    (0x270F, 0x2712, Category.OBJECTS),
)


def _range_index(char: str) -> int:
    """The index of the first range of ``_RANGES`` holding ``char`` (len when none does)."""
    point = ord(char[0])
    for index, (start, end, _) in enumerate(_RANGES):
        if start <= point <= end:
            return index
    return len(_RANGES)


def category_of(char: str) -> Category:
    """The picker group of an emoji, by its first code point (symbols when nothing matches)."""
    index = _range_index(char)
    return _RANGES[index][2] if index < len(_RANGES) else Category.SYMBOLS


def category_title(category: Category) -> str:
    """The translated, user-visible name of a category."""
    titles = {
        Category.SMILEYS_PEOPLE: "Smileys & people",
        Category.ANIMALS_NATURE: "Animals & nature",
        Category.FOOD: "Food & drink",
        Category.TRAVEL_PLACES: "Travel & places",
        Category.ACTIVITIES: "Activities",
        Category.OBJECTS: "Objects",
        Category.SYMBOLS: "Symbols",
        Category.FLAGS: "Flags",
    }
    return QCoreApplication.translate("EmojiPicker", titles[category])


def _readable(name: str) -> str:
    """``:grinning_face:`` -> ``grinning face``."""
    return name.strip(":").replace("_", " ")


@dataclass(frozen=True, slots=True)
class EmojiEntry:
    """One emoji with its searchable names."""

    char: str
    name: str  # English, readable
    italian: str  # Italian, readable; empty when the package has none
    aliases: tuple[str, ...]
    category: Category
    is_variant: bool  # a skin-tone or ZWJ sequence: searchable, not on the grid

    def matches(self, words: list[str]) -> bool:
        """Whether every word occurs in one of the names."""
        haystack = " ".join((self.name, self.italian, *self.aliases)).casefold()
        return all(word in haystack for word in words)

    def starts_with(self, word: str) -> bool:
        """Whether a name starts with ``word`` (ranks search results)."""
        return any(n.casefold().startswith(word) for n in (self.name, self.italian, *self.aliases))


class EmojiCatalog:
    """Every fully-qualified emoji, grouped and searchable; build once and share."""

    def __init__(self) -> None:
        import emoji  # 6.6 MiB: loaded when the picker first opens, not at launch

        emoji.config.load_language("it")
        entries: list[EmojiEntry] = []
        fully_qualified = emoji.STATUS["fully_qualified"]
        for char, data in emoji.EMOJI_DATA.items():
            if data.get("status") != fully_qualified or data["E"] > MAX_EMOJI_VERSION:
                continue
            is_variant = _ZWJ in char or any(ord(c) in _SKIN_TONES for c in char)
            entries.append(
                EmojiEntry(
                    char=char,
                    name=_readable(data["en"]),
                    italian=_readable(data.get("it", "")),
                    aliases=tuple(_readable(a) for a in data.get("alias", ())),
                    category=category_of(char),
                    is_variant=is_variant,
                )
            )
        order = {category: i for i, category in enumerate(Category)}
        self.all_entries: tuple[EmojiEntry, ...] = tuple(entries)
        self.grid_entries: tuple[EmojiEntry, ...] = tuple(
            sorted(
                (e for e in entries if not e.is_variant),
                key=lambda e: (order[e.category], _range_index(e.char), [ord(c) for c in e.char]),
            )
        )
        self._by_char = {e.char: e for e in entries}
        log.debug("emoji catalog: %d on the grid, %d in all", len(self.grid_entries), len(entries))

    def entry(self, char: str) -> EmojiEntry | None:
        """The entry of ``char``, or ``None`` for a string that is not a known emoji."""
        return self._by_char.get(char)

    def search(self, query: str) -> list[EmojiEntry]:
        """Entries whose names contain every word of ``query``, or that an everyday word of
        :mod:`emoji_keywords` names ("triste", "sad"): keyword hits, base emoji and prefixes
        first."""
        words = query.casefold().replace("_", " ").split()
        if not words:
            return list(self.grid_entries)
        phrase = keyword_hits(" ".join(words))
        if phrase:
            words_hits = [phrase]
            words = [" ".join(words)]
        else:
            words_hits = [keyword_hits(word) for word in words]
        ranked = {char: rank for rank, char in enumerate(words_hits[0])}
        found = [
            e
            for e in self.all_entries
            if all(
                e.char in hits or e.matches([word])
                for word, hits in zip(words, words_hits, strict=True)
            )
        ]
        found.sort(
            key=lambda e: (
                e.is_variant,
                ranked.get(e.char, len(ranked)),
                not e.starts_with(words[0]),
            )
        )
        return found

    def first_row_of(self, category: Category) -> int:
        """The grid row where ``category`` starts (-1 when it is empty)."""
        for row, entry in enumerate(self.grid_entries):
            if entry.category is category:
                return row
        return -1


class EmojiListModel(RecordListModel[EmojiEntry]):
    """A flat list of emoji (the grid, the search results or the recent row)."""

    CHAR_ROLE = RecordListModel.RECORD_ROLE + 1
    language = "en"  # the UI language: its name comes first in the tooltip

    def record_data(self, record: EmojiEntry, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, self.CHAR_ROLE):
            return record.char
        if role == Qt.ItemDataRole.ToolTipRole:
            if not record.italian:
                return record.name
            names = (record.italian, record.name)
            return " / ".join(names if self.language == "it" else reversed(names))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        return None


def _emoji_grid(model: EmojiListModel, parent: QWidget) -> QListView:
    view = QListView(parent)
    view.setModel(model)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setMovement(QListView.Movement.Static)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setUniformItemSizes(True)
    view.setGridSize(QSize(40, 40))
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setWordWrap(False)
    view.setFont(_enlarged(view.font(), 18))
    return view


def _enlarged(font: QFont, point_size: int) -> QFont:
    bigger = QFont(font)
    bigger.setPointSize(point_size)
    return bigger


class EmojiPicker(QDialog):
    """A non-modal emoji popup: search, categories, recent row; emits ``emojiChosen(str)``.

    The catalog is built at the first show (or passed in, to share it) and reused; the
    recent row is stored in the ``QSettings`` given by the caller.
    """

    emojiChosen = Signal(str)  # noqa: N815 (Qt signal naming)

    def __init__(
        self,
        settings: QSettings,
        parent: QWidget | None = None,
        catalog: EmojiCatalog | None = None,
    ) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowTitle(self.tr("Emoticon"))
        self._settings = settings
        self._catalog = catalog
        self.grid_model = EmojiListModel(self)
        self.recent_model = EmojiListModel(self)

        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText(self.tr("Search emoji (English or Italian)"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search)
        self.search_edit.installEventFilter(self)

        self.recent_label = QLabel(self.tr("Recent"), self)
        self.recent_view = _emoji_grid(self.recent_model, self)
        self.recent_view.setFlow(QListView.Flow.LeftToRight)
        self.recent_view.setWrapping(False)
        self.recent_view.setFixedHeight(46)
        self.recent_view.setFrameShape(QListView.Shape.NoFrame)
        self.recent_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.grid = _emoji_grid(self.grid_model, self)
        self.empty_label = QLabel(self.tr("No emoji matches your search"), self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()

        self._category_buttons = QButtonGroup(self)
        category_bar = QHBoxLayout()
        category_bar.setSpacing(2)
        for category in Category:
            button = QToolButton(self)
            button.setText(_CATEGORY_ICONS[category])
            button.setToolTip(category_title(category))
            button.setAccessibleName(category_title(category))
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setFont(_enlarged(button.font(), 14))
            button.clicked.connect(lambda _=False, c=category: self.show_category(c))
            self._category_buttons.addButton(button)
            category_bar.addWidget(button)
        category_bar.addStretch(1)

        for view in (self.grid, self.recent_view):
            view.activated.connect(self._on_activated)
            view.clicked.connect(self._on_activated)

        layout = QVBoxLayout(self)
        layout.addWidget(self.search_edit)
        layout.addLayout(category_bar)
        layout.addWidget(self.recent_label)
        layout.addWidget(self.recent_view)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.empty_label)
        self.resize(380, 420)

    @property
    def catalog(self) -> EmojiCatalog:
        """The emoji catalog, built on first use."""
        if self._catalog is None:
            self._catalog = EmojiCatalog()
        return self._catalog

    def showEvent(self, event: QShowEvent) -> None:
        catalog = self.catalog
        if self.grid_model.rowCount() == 0 and not self.search_edit.text():
            self.grid_model.set_records(list(catalog.grid_entries))
        self._load_recent()
        self.search_edit.setFocus()
        super().showEvent(event)

    def set_language(self, language: str) -> None:
        """The UI language (``it`` or ``en``): its emoji names are shown first."""
        for model in (self.grid_model, self.recent_model):
            model.language = language

    def search(self, query: str) -> None:
        """Show the emoji matching ``query`` (every emoji when it is empty)."""
        self.search_edit.setText(query)

    def show_category(self, category: Category) -> None:
        """Clear the search and scroll the grid to ``category``."""
        if self.search_edit.text():
            self.search_edit.clear()
        row = self.catalog.first_row_of(category)
        if row >= 0:
            index = self.grid_model.index(row)
            self.grid.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
            self.grid.setCurrentIndex(index)

    def recent(self) -> list[str]:
        """The recently chosen emoji, most recent first."""
        value = self._settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _load_recent(self) -> None:
        entries = [e for c in self.recent() if (e := self.catalog.entry(c)) is not None]
        self.recent_model.set_records(entries)
        has_recent = bool(entries)
        self.recent_label.setVisible(has_recent)
        self.recent_view.setVisible(has_recent)

    def _remember(self, char: str) -> None:
        recent = [char, *(c for c in self.recent() if c != char)][:RECENT_LIMIT]
        self._settings.setValue(RECENT_KEY, recent)
        self._load_recent()

    def _on_search(self, text: str) -> None:
        results = self.catalog.search(text)
        self.grid_model.set_records(results)
        self.empty_label.setVisible(not results)
        self.grid.setVisible(bool(results))
        if results:
            self.grid.setCurrentIndex(self.grid_model.index(0))

    def _on_activated(self, index: QModelIndex) -> None:
        char = index.data(EmojiListModel.CHAR_ROLE)
        if isinstance(char, str):
            self.choose(char)

    def choose(self, char: str) -> None:
        """Remember ``char`` as recent and emit it (the picker stays open for more)."""
        self._remember(char)
        self.emojiChosen.emit(char)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        is_key_press = isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress
        if watched is self.search_edit and isinstance(event, QKeyEvent) and is_key_press:
            if event.key() == Qt.Key.Key_Down:
                self.grid.setFocus()
                if not self.grid.currentIndex().isValid():
                    self.grid.setCurrentIndex(self.grid_model.index(0))
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                current = self.grid.currentIndex()
                if current.isValid():
                    self._on_activated(current)
                return True
        return super().eventFilter(watched, event)


_CATEGORY_ICONS: dict[Category, str] = {
    Category.SMILEYS_PEOPLE: "😀",
    Category.ANIMALS_NATURE: "🐻",
    Category.FOOD: "🍔",
    Category.TRAVEL_PLACES: "🚗",
    Category.ACTIVITIES: "⚽",
    Category.OBJECTS: "💡",
    Category.SYMBOLS: "🔣",
    Category.FLAGS: "🏁",
}

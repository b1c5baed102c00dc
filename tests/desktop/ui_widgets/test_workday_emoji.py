"""Issue 10 (item 6): the emoji picker takes the keyboard and finds everyday words."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from convos_desktop.core.types import Draft
from convos_desktop.ui.chat.composer import Composer
from convos_desktop.ui.chat.emoji_picker import EmojiCatalog


@pytest.fixture(scope="module")
def catalog() -> EmojiCatalog:
    return EmojiCatalog()


def test_the_picker_opens_with_the_keyboard_in_its_search(
    qtbot: QtBot, settings: QSettings, catalog: EmojiCatalog
) -> None:
    composer = Composer(settings, emoji_catalog=catalog)
    qtbot.addWidget(composer)
    composer.set_draft(Draft(5, "Buongiorno ", None))
    composer.show()
    qtbot.waitExposed(composer)
    composer.activateWindow()
    composer.edit.setFocus()
    picker = composer.show_emoji_picker()
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is picker.search_edit, timeout=2000)
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClicks(focused, "triste")
    assert composer.edit.toPlainText() == "Buongiorno "  # nothing typed into the message
    assert picker.grid_model.record_at(0).char == "😢"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("triste", {"😢", "🙁", "😞"}),
        ("sad", {"😢", "🙁", "😞"}),
        ("felice", {"😊", "😀"}),
        ("grazie", {"🙏"}),
        ("thank you", {"🙏"}),
        ("arrabbiato", {"😠", "😡"}),
        ("spedizione", {"📦"}),
        ("faccina che piange", {"😢"}),  # the Italian CLDR name still works
    ],
)
def test_everyday_words_find_their_emoji_in_italian_and_english(
    catalog: EmojiCatalog, query: str, expected: set[str]
) -> None:
    found = [entry.char for entry in catalog.search(query)]
    assert expected <= set(found[:10]), (query, found[:10])


def test_keyword_hits_come_first_then_names(catalog: EmojiCatalog) -> None:
    found = [entry.char for entry in catalog.search("triste")]
    assert found[0] == "😢"
    names = [entry.char for entry in catalog.search("pizza")]
    assert "🍕" in names


def test_names_in_the_ui_language_come_first(
    qtbot: QtBot, settings: QSettings, catalog: EmojiCatalog
) -> None:
    composer = Composer(settings, emoji_catalog=catalog)
    qtbot.addWidget(composer)
    composer.set_language("it")
    picker = composer.show_emoji_picker()
    qtbot.addWidget(picker)
    picker.search("triste")
    tooltip = picker.grid_model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "faccina che piange / crying face"
    composer.set_language("en")
    tooltip = picker.grid_model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "crying face / faccina che piange"

"""The emoji picker: search in English and Italian, categories, recent row, model view."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWidget

from convos_desktop.ui.chat.emoji_picker import (
    RECENT_KEY,
    Category,
    EmojiCatalog,
    EmojiListModel,
    EmojiPicker,
    category_of,
)


def chars(model: EmojiListModel) -> list[str]:
    return [model.record_at(row).char for row in range(model.rowCount())]


def test_search_finds_by_english_and_italian_name(qtbot, settings):
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    picker.search("grinning face")
    assert chars(picker.grid_model)[0] == "😀"
    picker.search("pizza")
    assert "🍕" in chars(picker.grid_model)
    picker.search("faccina con un gran sorriso")  # Italian name of 😀
    assert chars(picker.grid_model) == ["😀"]
    picker.search("zzqqxx")
    assert picker.grid_model.rowCount() == 0
    assert picker.empty_label.isVisibleTo(picker)


def test_search_reaches_skin_tone_variants_the_grid_skips():
    catalog = EmojiCatalog()
    grid = {e.char for e in catalog.grid_entries}
    assert "👍" in grid
    assert "👍🏽" not in grid
    results = [e.char for e in catalog.search("thumbs up medium skin")]
    assert "👍🏽" in results


def test_grid_is_one_model_view_over_every_base_emoji(qtbot, settings):
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    rows = picker.grid_model.rowCount()
    assert 1500 < rows < 2500
    assert picker.grid.model() is picker.grid_model
    # No widget per emoji: the dialog's widgets are a few dozen at most.
    assert len(picker.findChildren(QWidget)) < 60


def test_categories_group_by_unicode_block_and_scroll(qtbot, settings):
    assert category_of("😀") is Category.SMILEYS_PEOPLE
    assert category_of("🐶") is Category.ANIMALS_NATURE
    assert category_of("🍕") is Category.FOOD
    assert category_of("🚗") is Category.TRAVEL_PLACES
    assert category_of("⚽") is Category.ACTIVITIES
    assert category_of("📎") is Category.OBJECTS
    assert category_of("🔣") is Category.SYMBOLS
    assert category_of("🇮🇹") is Category.FLAGS
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    picker.show_category(Category.FLAGS)
    current = picker.grid.currentIndex()
    assert picker.grid_model.record_at(current.row()).category is Category.FLAGS
    assert picker.grid_model.record_at(current.row() - 1).category is not Category.FLAGS


def test_choosing_emits_and_recent_row_persists(qtbot, settings, tmp_path):
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    assert not picker.recent_view.isVisibleTo(picker)
    picker.search("pizza")
    with qtbot.waitSignal(picker.emojiChosen) as chosen:
        qtbot.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert chosen.args == ["🍕"]
    picker.choose("😀")
    picker.choose("🍕")
    assert chars(picker.recent_model) == ["🍕", "😀"]
    settings.sync()

    reopened = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert reopened.value(RECENT_KEY) == ["🍕", "😀"]
    second = EmojiPicker(reopened, catalog=picker.catalog)
    qtbot.addWidget(second)
    second.show()
    assert chars(second.recent_model) == ["🍕", "😀"]
    assert second.recent_view.isVisibleTo(second)


def test_keyboard_down_enters_grid_and_escape_closes(qtbot, settings):
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    picker.search("cat")
    qtbot.keyClick(picker.search_edit, Qt.Key.Key_Down)
    assert picker.grid.hasFocus() or picker.grid.currentIndex().isValid()
    with qtbot.waitSignal(picker.emojiChosen):
        qtbot.keyClick(picker.grid, Qt.Key.Key_Return)
    qtbot.keyClick(picker, Qt.Key.Key_Escape)
    assert not picker.isVisible()


def test_reopening_reuses_the_catalog_and_the_grid(qtbot, settings):
    """Reopening is cheap because nothing is built again (its time is a benchmark's business,
    not a test's: 50 ms was missed at load 8)."""
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    catalog, rows = picker.catalog, picker.grid_model.rowCount()
    assert rows > 1000
    picker.hide()
    resets: list[bool] = []
    picker.grid_model.modelReset.connect(lambda: resets.append(True))
    picker.show()
    assert picker.catalog is catalog
    assert picker.grid_model.rowCount() == rows
    assert resets == []


def test_models_pass_the_model_tester(qtmodeltester, settings):
    model = EmojiListModel()
    model.set_records(list(EmojiCatalog().grid_entries[:50]))
    qtmodeltester.check(model)


def test_screenshot(qtbot, settings, shoot):
    picker = EmojiPicker(settings)
    qtbot.addWidget(picker)
    picker.show()
    picker.choose("😀")
    picker.choose("👍")
    shoot(picker, "emoji_picker")
    picker.search("heart")
    shoot(picker, "emoji_picker_search")

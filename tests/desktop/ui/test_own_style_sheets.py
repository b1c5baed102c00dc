"""Issue 16: the main window's widgets look as their style sheets made them, without one each.

Each widget with its own style sheet (and every widget under it) is drawn through a
``QStyleSheetStyle`` with its rules, palette and font cached per widget: ~1.5 MiB for the
window's sheets (``benchmarks/RESULTS.md``, branch mem16g). Colours, fonts and boxes now go
through the palette and font (``ui.theme``), bars paint themselves, and widgets hidden at
launch set their sheet when first shown. These tests hold the look to what the sheets drew,
pixel for pixel, and count the sheets left at launch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins
from PySide6.QtGui import QColor, QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.theme import set_font_parts, set_label_box, set_text_color
from convos_desktop.ui.widgets.menu_button import MenuButton, PaddedMenuButton
from tests.desktop.ui.workday import close_window, populate, quiet, window_context
from tests.fakes import FakeClock

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# The widgets that keep a sheet of their own at launch: none (the navigation tree's app.qss,
# the last one, is painted by NavigationView since mem16i; test_navigation_look.py).
SHEETS_AT_LAUNCH: set[str] = set()


def grabbed(widget: QWidget) -> QImage:
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def pair(qtbot: QtBot, make: type[QWidget] = QLabel) -> tuple[QWidget, QWidget, QWidget]:
    """Two widgets side by side in one parent (the same fonts and palette around them)."""
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = QVBoxLayout(parent)
    first, second = make(parent), make(parent)
    layout.addWidget(first)
    layout.addWidget(second)
    return parent, first, second


@pytest.mark.parametrize(
    ("sheet", "look"),
    [
        ("color: #a4400f;", {"color": "#a4400f"}),
        ("color: palette(placeholder-text);", {"role": QPalette.ColorRole.PlaceholderText}),
        ("font-weight: bold;", {"weight": QFont.Weight.Bold}),
        ("color: #7a5200; font-weight: bold;", {"color": "#7a5200", "weight": QFont.Weight.Bold}),
        (
            "font-weight: bold; font-size: 14pt; color: #2f6fdb;",
            {"color": "#2f6fdb", "weight": QFont.Weight.Bold, "point_size": 14},
        ),
        ("font-size: 15px; font-weight: bold;", {"pixel_size": 15, "weight": QFont.Weight.Bold}),
        ("color: #1b6e3a; font-style: italic;", {"color": "#1b6e3a", "italic": True}),
        ("font-weight: bold; margin-top: 6px;", {"weight": QFont.Weight.Bold, "box": (0, 6, 0, 0)}),
        (
            "font-weight: 600; padding: 10px 14px 6px 14px;",
            {"weight": QFont.Weight.DemiBold, "box": (14, 10, 14, 6)},
        ),
        ("color: #6b7785; padding: 24px;", {"color": "#6b7785", "box": (24, 24, 24, 24)}),
    ],
)
def test_a_label_looks_as_its_style_sheet_made_it(qtbot: QtBot, sheet: str, look: dict) -> None:
    parent, styled, plain = pair(qtbot)
    for label in (styled, plain):
        assert isinstance(label, QLabel)
        label.setText("Assegnato a Bartolomeo: gyj 123")
    styled.setStyleSheet(sheet)
    if "color" in look or "role" in look:
        set_text_color(plain, look.get("color", look.get("role")))
    parts = {k: look[k] for k in ("weight", "point_size", "pixel_size", "italic") if k in look}
    if parts:
        set_font_parts(plain, **parts)
    if "box" in look:
        assert isinstance(plain, QLabel)
        set_label_box(plain, *look["box"])
    parent.show()
    qtbot.waitExposed(parent)
    assert plain.sizeHint() == styled.sizeHint()
    plain.resize(styled.size())
    assert grabbed(plain) == grabbed(styled)
    assert not plain.styleSheet()


def test_a_menu_button_looks_as_the_sheet_without_its_arrow(qtbot: QtBot) -> None:
    parent, styled, plain = pair(qtbot, QToolButton)
    assert isinstance(styled, QToolButton)
    menu_button = MenuButton(parent)
    parent.layout().replaceWidget(plain, menu_button)
    plain.deleteLater()
    styled.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    styled.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
    for button in (styled, menu_button):
        button.setText("⋯")
        button.setMenu(QMenu(button))
    parent.show()
    qtbot.waitExposed(parent)
    assert menu_button.sizeHint() == styled.sizeHint()
    menu_button.resize(styled.size())
    assert grabbed(menu_button) == grabbed(styled)
    with_arrow = QToolButton(parent)
    with_arrow.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    with_arrow.setText("⋯")
    with_arrow.setMenu(QMenu(with_arrow))
    with_arrow.resize(styled.size())
    with_arrow.show()
    assert grabbed(with_arrow) != grabbed(styled)  # the arrow is really left out


@pytest.mark.parametrize(("text", "pixels", "padding"), [("⚙", 17, (2, 10)), ("Ab", 13, (4, 6))])
def test_a_padded_menu_button_has_the_sheets_size_and_look(
    qtbot: QtBot, text: str, pixels: int, padding: tuple[int, int]
) -> None:
    parent, styled, plain = pair(qtbot, QToolButton)
    assert isinstance(styled, QToolButton)
    vertical, horizontal = padding
    button = PaddedMenuButton(QMargins(horizontal, vertical, horizontal, vertical), parent)
    parent.layout().replaceWidget(plain, button)
    plain.deleteLater()
    styled.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    styled.setStyleSheet(
        f"QToolButton {{ font-size: {pixels}px; padding: {vertical}px {horizontal}px; }}"
        "QToolButton::menu-indicator { image: none; width: 0; }"
    )
    set_font_parts(button, pixel_size=pixels)
    for each in (styled, button):
        each.setText(text)
        each.setAutoRaise(True)
        each.setMenu(QMenu(each))
    parent.show()
    qtbot.waitExposed(parent)
    assert button.sizeHint() == styled.sizeHint()
    button.resize(styled.size())
    assert grabbed(button) == grabbed(styled)


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    context = window_context(tmp_path, FakeClock())
    main = MainWindow(context)
    main.resize(1280, 800)
    main.show()
    populate(context, main)
    await quiet()
    yield main
    await close_window(context, main)


def own_sheets(window: MainWindow) -> set[str]:
    return {
        widget.objectName() or type(widget).__name__
        for widget in window.findChildren(QWidget)
        if widget.styleSheet()
    }


async def test_the_launched_window_has_few_widgets_with_a_sheet_of_their_own(
    window: MainWindow,
) -> None:
    assert own_sheets(window) == SHEETS_AT_LAUNCH  # about thirty before issue 16's mem16g
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert not app.styleSheet()
    # No widget is drawn through the style sheet engine: it costs ~0.7 MiB once used at all.
    widgets = [window, *window.findChildren(QWidget)]
    styles = {widget.style().metaObject().className() for widget in widgets}
    assert styles == {"QFusionStyle"}  # the navigation tree's was QStyleSheetStyle


async def test_hidden_widgets_set_their_sheet_when_first_shown(window: MainWindow) -> None:
    space = window.workspace
    toast, pill = space.undo_toast, space.ticket_view.new_pill
    assert not toast.styleSheet()
    assert not pill.styleSheet()
    toast.show_message("Ticket closed")
    space.ticket_view._set_new_above(2)
    assert "#undoToast" in toast.styleSheet()
    assert toast.isVisible()
    assert "#newTicketsPill" in pill.styleSheet()
    assert pill.isVisible()
    palette = window.commands.open_palette()
    assert "font-size: 15px" in palette.edit.styleSheet()
    palette.hide()


async def test_the_composer_has_a_sheet_only_as_a_note(window: MainWindow) -> None:
    composer = window.workspace.composer
    assert not composer.styleSheet()
    composer.note_button.setChecked(True)
    assert "#composer" in composer.styleSheet()
    composer.note_button.setChecked(False)
    assert not composer.styleSheet()


async def test_the_header_bar_paints_white_with_its_rule_at_the_bottom(window: MainWindow) -> None:
    """White from the product's name to the window's edge, the buttons after the header's own
    widgets (the contact card's toggle, the app menu) on white too, not on the window's grey."""
    bar = window.header.parentWidget()
    assert bar is not None
    image = grabbed(bar)
    menu = window.app_menu.button
    toggle = bar.widgetForAction(window.contact_toggle)
    assert toggle is not None
    header_x = window.header.width() // 2 - 40  # between the name and the connection line
    beside_buttons = (header_x, toggle.geometry().left() - 1, bar.width() - 1)
    for x in (*beside_buttons, toggle.geometry().center().x(), menu.geometry().center().x()):
        assert QColor(image.pixel(x, image.height() - 1)) == QColor("#dde1e6"), x
        assert QColor(image.pixel(x, 1)) == QColor("#ffffff"), x  # above the buttons
    for x in beside_buttons:
        assert QColor(image.pixel(x, image.height() // 2)) == QColor("#ffffff"), x


async def test_labels_keep_their_colours_and_fonts(window: MainWindow) -> None:
    header, chat = window.header, window.workspace.header
    assert header.product.palette().color(QPalette.ColorRole.WindowText) == QColor("#2f6fdb")
    assert header.product.font().bold()
    assert header.product.font().pointSizeF() == 14
    assert chat.subtitle.palette().color(QPalette.ColorRole.WindowText) == QColor("#5d6875")
    assert chat.live.font().italic()
    assert window.workspace.list_title.font().weight() == QFont.Weight.DemiBold
    assert window.workspace.list_title.contentsMargins().left() == 14
    assert window.workspace.empty_list.contentsMargins().top() == 24  # kept through its polish

"""The admin screens' shared form pieces: a form bounded in width on a wide window, the
read-only look of a field, the disabled field's background, one title style for all screens."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QFormLayout, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from convos_desktop.ui.theme import SCREEN_TITLE_POINTS, light_palette, screen_title
from convos_desktop.ui.widgets.admin_list import FORM_MAX_WIDTH, set_editable, width_bounded

WHITE = QColor("#ffffff")


def form_with_a_field(parent: QWidget) -> tuple[QWidget, QLineEdit]:
    form = QWidget(parent)
    field = QLineEdit(form)
    QFormLayout(form).addRow("Name", field)
    return form, field


@pytest.mark.parametrize("width", [500, FORM_MAX_WIDTH + 40, 1500])
def test_a_bounded_form_fills_a_narrow_pane_and_stops_in_a_wide_one(
    qtbot: QtBot, width: int
) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    form, field = form_with_a_field(holder)
    pane = width_bounded(form)
    pane.resize(width, 200)
    pane.show()
    qtbot.waitExposed(pane)
    assert form.x() == 0  # on the pane's left, by the list
    assert form.width() == min(width, FORM_MAX_WIDTH)
    assert field.geometry().right() < FORM_MAX_WIDTH


@pytest.mark.parametrize("make", [QLineEdit, QPlainTextEdit])
def test_a_read_only_field_takes_the_windows_background_and_gives_it_back(
    qtbot: QtBot, make: type[QLineEdit] | type[QPlainTextEdit]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    window = QColor("#f3f5f8")
    palette = parent.palette()
    palette.setColor(QPalette.ColorRole.Window, window)
    palette.setColor(QPalette.ColorRole.Base, WHITE)
    parent.setPalette(palette)
    field = make(parent)
    set_editable(field, False)
    assert field.isReadOnly()
    assert field.palette().color(QPalette.ColorRole.Base) == window
    assert field.palette().color(QPalette.ColorRole.Text) == parent.palette().color(
        QPalette.ColorRole.Text
    )  # only the background is the field's own
    set_editable(field, True)
    assert not field.isReadOnly()
    assert field.palette().color(QPalette.ColorRole.Base) == WHITE


def test_the_theme_greys_a_disabled_fields_background() -> None:
    palette = light_palette()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base)
    assert disabled == palette.color(QPalette.ColorRole.Window)
    assert palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Base) == WHITE


def test_every_screen_title_has_one_size_and_weight(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    title = screen_title("Caselle di posta", parent)
    assert title.text() == "Caselle di posta"
    assert title.font().pointSizeF() == SCREEN_TITLE_POINTS
    assert title.font().weight() == QFont.Weight.DemiBold
    assert not title.styleSheet()

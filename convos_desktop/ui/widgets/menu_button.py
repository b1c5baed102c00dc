"""A tool button that opens its menu at a click and draws no menu arrow.

What ``QToolButton::menu-indicator { image: none; width: 0; }`` gave, without a style sheet:
each widget with one is drawn through a ``QStyleSheetStyle`` with its rules cached per widget
(issue 16). The arrow is left out of the painted option; the size is ``QToolButton``'s (an
instant popup's arrow takes no room of its own).
"""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QStyle, QStyleOptionToolButton, QStylePainter, QToolButton, QWidget


class MenuButton(QToolButton):
    """An instant-popup tool button without the menu's arrow (the "⋯" and "⚙" buttons)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

    def _option(self) -> QStyleOptionToolButton:
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        option.features &= ~QStyleOptionToolButton.ToolButtonFeature.HasMenu
        return option

    def paintEvent(self, event: QPaintEvent) -> None:
        """The button as the style draws one without a menu."""
        painter = QStylePainter(self)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ToolButton, self._option())

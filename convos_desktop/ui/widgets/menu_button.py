"""A tool button that opens its menu at a click and draws no menu arrow.

What ``QToolButton::menu-indicator { image: none; width: 0; }`` gave, without a style sheet:
each widget with one is drawn through a ``QStyleSheetStyle`` with its rules cached per widget
(issue 16). The arrow is left out of the painted option; the size is ``QToolButton``'s (an
instant popup's arrow takes no room of its own).
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QSize, Qt
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


class PaddedMenuButton(MenuButton):
    """A :class:`MenuButton` sized as a style sheet's ``padding`` sized it (the settings
    button: ``QToolButton { padding: 2px 10px; }``): its text with a space either side, the
    padding, and the :data:`STYLE_SHEET_ROOM` a style sheet's tool button had around them."""

    STYLE_SHEET_ROOM = QSize(5, 5)  # measured: any text, font size and padding (mem16g)

    def __init__(self, padding: QMargins, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._padding = padding

    def sizeHint(self) -> QSize:
        """The text, a space either side, the padding and the room around them."""
        metrics = self.fontMetrics()
        text = metrics.size(Qt.TextFlag.TextShowMnemonic, self.text())
        pad = self._padding
        return (
            QSize(
                text.width() + 2 * metrics.horizontalAdvance(" ") + pad.left() + pad.right(),
                text.height() + pad.top() + pad.bottom(),
            )
            + self.STYLE_SHEET_ROOM
        )

    def minimumSizeHint(self) -> QSize:
        """As big as its size hint (what the sheet's box gave)."""
        return self.sizeHint()

"""A tool bar that packs its items edge to edge and paints one flat bar behind them all.

What ``QToolBar { border: none; padding: 0; spacing: 0; }`` gave the window's header, without
a style sheet: each widget with one (and every widget in it) is drawn through a
``QStyleSheetStyle`` with its rules cached per widget (issue 16).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QToolBar, QWidget

from convos_desktop.ui.theme import paint_bottom_rule


class FlatToolBar(QToolBar):
    """No panel, no margins, no spacing (the style sets them again at a style change or a
    polish: set back after each). ``background`` with a 1-px ``rule`` along the bottom is
    painted under every item, the actions' buttons at the bar's end included."""

    def __init__(
        self, title: str, background: QColor, rule: QColor, parent: QWidget | None = None
    ) -> None:
        super().__init__(title, parent)
        self._background = background
        self._rule = rule
        self._flatten()

    def _flatten(self) -> None:
        layout = self.layout()
        if layout is None:  # a tool bar always has its layout
            return
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

    def event(self, event: QEvent) -> bool:
        """Flat again after the style has set its margins and spacing."""
        handled = super().event(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.Polish):
            self._flatten()
        return handled

    def paintEvent(self, event: QPaintEvent) -> None:
        """The bar's background and its bottom rule, edge to edge."""
        painter = QPainter(self)
        paint_bottom_rule(painter, self.rect(), self._rule, background=self._background)

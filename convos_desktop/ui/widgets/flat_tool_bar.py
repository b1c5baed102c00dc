"""A tool bar that draws nothing of its own and packs its items edge to edge.

What ``QToolBar { border: none; padding: 0; spacing: 0; }`` gave the window's header, without
a style sheet: each widget with one (and every widget in it) is drawn through a
``QStyleSheetStyle`` with its rules cached per widget (issue 16).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QToolBar, QWidget


class FlatToolBar(QToolBar):
    """No panel, no margins, no spacing (the style sets them again at a style change or a
    polish: set back after each)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
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
        """Nothing: the header bar in it paints itself, the window shows elsewhere."""

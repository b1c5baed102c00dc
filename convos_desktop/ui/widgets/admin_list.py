"""Pieces the admin list-and-form screens share (Scorciatoie, Caselle di posta, Team).

An inline error label, the editor keys (Ctrl+N new, Ctrl+S save, Esc cancel, Del on the list
deletes) and the new/delete button row under a list, built once instead of in each screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


def error_label(parent: QWidget) -> QLabel:
    """A hidden, wrapping, red plain-text label for a validation or server error."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setStyleSheet("color: #a11;")
    label.hide()
    return label


def editor_keys(
    scope: QWidget,
    list_view: QWidget,
    *,
    new: Callable[[], object],
    save: Callable[[], object],
    cancel: Callable[[], object],
    delete: Callable[[], object],
) -> None:
    """Ctrl+N, Ctrl+S and Esc anywhere in ``scope``; Del when ``list_view`` has the focus."""
    for keys, slot in (
        (QKeySequence(QKeySequence.StandardKey.New), new),
        (QKeySequence(QKeySequence.StandardKey.Save), save),
        (QKeySequence(Qt.Key.Key_Escape), cancel),
    ):
        shortcut = QShortcut(keys, scope)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
    remove = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), list_view)
    remove.setContext(Qt.ShortcutContext.WidgetShortcut)
    remove.activated.connect(delete)


def list_buttons(*buttons: QPushButton) -> QHBoxLayout:
    """The row of buttons under a list, left-aligned."""
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row

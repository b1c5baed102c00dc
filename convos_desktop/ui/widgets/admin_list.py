"""Pieces the admin list-and-form screens share (Scorciatoie, Caselle di posta, Team).

An inline error label, the editor keys (Ctrl+N new, Ctrl+S save, Esc cancel, Del on the list
deletes), the new/delete button row under a list, the form's pane bounded in width and the
read-only look of a field, built once instead of in each screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

# A form's fields, and its Cancel and Save at their right, stop this wide: at 1920 px a field
# across the whole pane (1,200 px) puts Save a screen's width from the label it saves.
FORM_MAX_WIDTH = 760


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


def width_bounded(form: QWidget, max_width: int = FORM_MAX_WIDTH) -> QWidget:
    """``form`` in a pane that takes all the room a splitter gives it while ``form`` stops at
    ``max_width`` on the pane's left; narrower, the form narrows with the pane."""
    pane = QWidget(form.parentWidget())
    form.setMaximumWidth(max_width)
    layout = QHBoxLayout(pane)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(form, 1)
    layout.addStretch(0)  # the room past max_width: the form's stretch wins up to its maximum
    return pane


def set_editable(field: QLineEdit | QPlainTextEdit, editable: bool) -> None:
    """``field`` read-only unless ``editable``. A read-only field keeps its text readable and
    selectable but loses the white of an input, taking the window's background as a disabled
    field does: white read the same as editable beside the greyed combo boxes."""
    field.setReadOnly(not editable)
    palette = QPalette()
    palette.setResolveMask(0)  # only Base is the field's own; the rest follows its parent
    if not editable:
        palette.setColor(QPalette.ColorRole.Base, field.palette().color(QPalette.ColorRole.Window))
    field.setPalette(palette)

"""A row of buttons that gives up the less-used ones to a "⋯" menu when it is narrow.

The chat header's actions (Assign to me, Unassign, Finalize, Snooze…) must fit a 1280-pixel
window in Italian next to the contact's name. :class:`ActionRow` lays its buttons out left to
right; when its width is short of what they need, the overflowable buttons go, in the order
given, into the menu of a "⋯" button as their :class:`QAction` (the same action object, so
the text, enabled state and shortcut are the same in the menu). Keys never depend on the
row: the shortcuts belong to the actions, which the owner adds to a widget that stays visible.

``minimumSizeHint`` is the row with every overflowable button in the menu; ``sizeHint`` the
row with all of them shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from convos_desktop.ui.widgets.menu_button import MenuButton

SPACING = 6


@dataclass(slots=True)
class _Item:
    widget: QWidget
    action: QAction | None  # what the "⋯" menu shows for it
    offered: bool = True


class ActionRow(QWidget):
    """See the module docstring. Add widgets with :meth:`add`, offer them with
    :meth:`set_offered`; ``overflowed()`` says which actions are in the menu now."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._items: list[_Item] = []
        self._overflow_order: list[QWidget] = []
        self._overflowed: list[QAction] = []
        self.more = MenuButton(self)
        self.more.setObjectName("moreActions")
        self.more.setText("⋯")
        self.more.setAccessibleName(self.tr("More actions"))
        self.more.setToolTip(self.tr("More actions"))
        self.more_menu = QMenu(self.more)
        self.more.setMenu(self.more_menu)
        self.more.hide()

    def add(self, widget: QWidget, action: QAction | None = None) -> None:
        """Append ``widget``; ``action`` stands for it in the "⋯" menu (when in the overflow
        order)."""
        widget.setParent(self)
        self._items.append(_Item(widget, action))
        self.updateGeometry()

    def set_overflow_order(self, widgets: list[QWidget]) -> None:
        """The overflowable widgets, the first to go into the menu first."""
        self._overflow_order = list(widgets)
        self._relayout()

    def set_offered(self, widget: QWidget, offered: bool) -> None:
        """Whether ``widget`` belongs in the row now (else neither shown nor in the menu)."""
        for item in self._items:
            if item.widget is widget and item.offered != offered:
                item.offered = offered
                self.updateGeometry()
                self._relayout()

    def is_offered(self, widget: QWidget) -> bool:
        return any(item.widget is widget and item.offered for item in self._items)

    def overflowed(self) -> list[QAction]:
        """The actions in the "⋯" menu now, in the row's order."""
        return list(self._overflowed)

    def _width_of(self, widgets: list[QWidget]) -> int:
        if not widgets:
            return 0
        return sum(w.sizeHint().width() for w in widgets) + SPACING * (len(widgets) - 1)

    def _offered(self) -> list[_Item]:
        return [item for item in self._items if item.offered]

    def sizeHint(self) -> QSize:
        widgets = [item.widget for item in self._offered()]
        return QSize(self._width_of(widgets), self._height())

    def minimumSizeHint(self) -> QSize:
        offered = self._offered()
        movable = {id(w) for w in self._overflow_order}
        fixed = [item.widget for item in offered if id(item.widget) not in movable]
        if len(fixed) < len(offered):
            fixed.append(self.more)
        return QSize(self._width_of(fixed), self._height())

    def _height(self) -> int:
        heights = [item.widget.sizeHint().height() for item in self._items]
        return max([self.more.sizeHint().height(), *heights])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        offered = self._offered()
        shown = [item.widget for item in offered]
        gone: set[int] = set()
        order = [w for w in self._overflow_order if any(i.widget is w for i in offered)]
        while order and self._width_of([*shown, self.more] if gone else shown) > self.width():
            widget = order.pop(0)
            shown = [w for w in shown if w is not widget]
            gone.add(id(widget))
        visible = {id(w) for w in shown}
        self._overflowed = [
            item.action for item in offered if id(item.widget) in gone and item.action is not None
        ]
        self.more_menu.clear()
        for action in self._overflowed:
            self.more_menu.addAction(action)
        x = 0
        height = self.height()
        for item in self._items:
            item.widget.setVisible(id(item.widget) in visible)
            if id(item.widget) in visible:
                hint = item.widget.sizeHint()
                top = max(0, (height - hint.height()) // 2)
                item.widget.setGeometry(x, top, hint.width(), hint.height())
                x += hint.width() + SPACING
        self.more.setVisible(bool(self._overflowed))
        if self._overflowed:
            hint = self.more.sizeHint()
            top = max(0, (height - hint.height()) // 2)
            self.more.setGeometry(x, top, hint.width(), hint.height())

"""Issue 16: the navigation tree looks as its style sheet (the app's last, app.qss) made it.

The reference is the tree as main drew it until mem16i: a ``QTreeView`` named ``navigation``
with the sheet below and the delegate of that time (group titles, count pills; the rows'
backgrounds, padding, hover and selection left to the sheet). :class:`NavigationView` with
its :class:`NavigationDelegate` paints all of it itself; both are grabbed in the same states
(nothing, selected with and without focus, hovered rows, groups and inboxes, the pointer on
an expand arrow, a hovered selected row, a collapsed view, a scroll bar) and must be the same
pixel for pixel, but for one change made on purpose: a selected or hovered indented row's
background is one rounded shape from its indentation on (the sheet had a notch there).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from convos_desktop.core.types import Counts, Inbox
from convos_desktop.models.navigation import NavigationModel, NavRole, NavTarget
from convos_desktop.ui.formatting import whole_number
from convos_desktop.ui.shell.navigation_view import (
    LOOK,
    NavigationDelegate,
    NavigationView,
    navigation_column,
)
from convos_desktop.ui.theme import ACCENT

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# resources/styles/app.qss as it was (the look these tests hold the tree to).
REFERENCE_SHEET = """
#navigation {
    background: #eef1f5; border: none; padding-top: 4px; outline: 0;
    show-decoration-selected: 0;
}
#navigation::item { padding: 4px 6px; border-radius: 6px; color: #1f2328; }
#navigation::item:selected { background: #d6e3fa; color: #0f3d91; }
#navigation::item:hover:!selected { background: #e3e8ef; }
"""
PILL_MARGIN = 10


class SheetDelegate(QStyledItemDelegate):
    """The navigation delegate as it was beside the sheet (the reference's)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # type: ignore[override]
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + (14 if index.data(NavRole.IS_GROUP) else 12))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # type: ignore[override]
        if index.data(NavRole.IS_GROUP):
            painter.save()
            font = QFont(option.font)
            font.setPointSizeF(font.pointSizeF() - 1)
            font.setWeight(QFont.Weight.DemiBold)
            font.setCapitalization(QFont.Capitalization.AllUppercase)
            painter.setFont(font)
            painter.setPen(option.palette.placeholderText().color())
            rect = option.rect.adjusted(4, 8, 0, 0)
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(rect, align, index.data())
            painter.restore()
            return
        count = index.data(NavRole.COUNT)
        if count is None:
            super().paint(painter, option, index)
            return
        text = whole_number(count)
        metrics = option.fontMetrics
        width = max(22, metrics.horizontalAdvance(text) + 12)
        label = QStyleOptionViewItem(option)
        self.initStyleOption(label, index)
        room = option.rect.width() - width - 2 * PILL_MARGIN - 2 * metrics.averageCharWidth()
        label.text = metrics.elidedText(label.text, Qt.TextElideMode.ElideRight, max(room, 0))
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, label, painter, option.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        height = metrics.height() + 2
        rect = option.rect
        pill = rect.adjusted(
            rect.width() - width - PILL_MARGIN, (rect.height() - height) // 2, -PILL_MARGIN, 0
        )
        pill.setHeight(height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ACCENT if count else option.palette.mid().color())
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def navigation_model() -> NavigationModel:
    model = NavigationModel()
    model.set_inboxes(
        [
            Inbox(
                1, "WhatsApp Assistenza Clienti Premium Nord-Ovest e Isole", "whatsapp", 1, "", None
            ),
            Inbox(2, "Email", "email", 1, "", None),
        ]
    )
    model.set_inbox_counts({1: Counts(mine=2, unassigned=1234, all=5)})
    model.set_count(NavTarget.MINE, 3)
    model.set_count(NavTarget.UNASSIGNED, 1234)
    return model


Tree = tuple[QWidget, QTreeView, NavigationModel]


def tree(qtbot: QtBot, painted: bool, height: int) -> Tree:
    """A window holding the navigation tree: the painted one, or the reference."""
    window = QWidget()
    qtbot.addWidget(window)
    layout = QHBoxLayout(window)
    layout.setContentsMargins(0, 0, 0, 0)
    model = navigation_model()
    view: QTreeView
    if painted:
        view = NavigationView(window)
        view.setItemDelegate(NavigationDelegate(view))
    else:
        view = QTreeView(window)
        view.setObjectName("navigation")
        view.setItemDelegate(SheetDelegate(view))
    view.setModel(model)
    view.setHeaderHidden(True)
    view.setRootIsDecorated(False)
    view.setIndentation(14)
    if painted:
        assert isinstance(view, NavigationView)
        layout.addWidget(navigation_column(view))
    else:
        view.setStyleSheet(REFERENCE_SHEET)
        layout.addWidget(view)
    view.expandAll()
    window.resize(210, height)
    window.show()
    assert QTest.qWaitForWindowExposed(window)
    return window, view, model


def point_on(view: QTreeView, index: QModelIndex, dx: int = 40) -> QPoint:
    rect = view.visualRect(index)
    return QPoint(rect.left() + dx, rect.center().y())


def nothing(window: QWidget, view: QTreeView, model: NavigationModel) -> None:
    # The pointer on the empty space under the rows (a window appears under it otherwise).
    QTest.mouseMove(view.viewport(), QPoint(100, view.viewport().height() - 3))


def select(target: NavTarget, inbox: int | None = None, focus: bool = True) -> Callable:
    def act(window: QWidget, view: QTreeView, model: NavigationModel) -> None:
        nothing(window, view, model)
        view.setCurrentIndex(model.index_of(target, inbox))
        if focus:
            view.setFocus()

    return act


def hover(target: NavTarget | None, inbox: int | None = None, dx: int = 40, then=None) -> Callable:
    def act(window: QWidget, view: QTreeView, model: NavigationModel) -> None:
        if then is not None:
            then(window, view, model)
        index = model.index(0, 0) if target is None else model.index_of(target, inbox)
        QTest.mouseMove(view.viewport(), point_on(view, index, dx))

    return act


STATES: dict[str, Callable] = {
    "nothing": nothing,
    "collapsed": lambda w, v, m: (nothing(w, v, m), v.collapse(m.index_of(NavTarget.MINE))),
    "selected with focus": select(NavTarget.UNASSIGNED),
    "selected without focus": select(NavTarget.UNASSIGNED, focus=False),
    "an inbox selected": select(NavTarget.ALL, 2),
    "a screen selected": select(NavTarget.SHORTCUTS),
    "a view hovered": hover(NavTarget.SNOOZED),
    "a screen hovered": hover(NavTarget.INBOXES),
    "a group hovered": hover(None),
    "an inbox hovered": hover(NavTarget.ALL, 1),
    "the pointer on an expand arrow": hover(NavTarget.MINE, dx=-7),
    "the pointer in an inbox's indentation": hover(NavTarget.ALL, 2, dx=-7),
    "the selected row hovered": hover(NavTarget.UNASSIGNED, then=select(NavTarget.UNASSIGNED)),
    "another row hovered": hover(NavTarget.MINE, then=select(NavTarget.UNASSIGNED)),
    "hovered then left": lambda w, v, m: (hover(NavTarget.SNOOZED)(w, v, m), nothing(w, v, m)),
    "scrolled under a pointer that stayed": lambda w, v, m: (
        hover(NavTarget.SNOOZED)(w, v, m),
        v.scrollTo(m.index_of(NavTarget.PERFORMANCE)),
    ),
}


def grab(qtbot: QtBot, painted: bool, height: int, act: Callable) -> tuple[QImage, list[QRect]]:
    """The tree in a state, and the window rectangles of the indented rows it shows
    selected or hovered (from the painted view only: the reference's are the same rows)."""
    window, view, model = tree(qtbot, painted, height)
    act(window, view, model)
    qtbot.wait(30)
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    lit: list[QRect] = []
    if isinstance(view, NavigationView):
        for index in every_index(model):
            rect = view.visualRect(index)
            shown = rect.isValid() and view.viewport().rect().intersects(rect)
            if shown and rect.left() > 0 and (view.hovered(index) or is_selected(view, index)):
                origin = view.viewport().mapTo(window, rect.topLeft())
                lit.append(QRect(origin, rect.size()))
    window.close()
    return image, lit


def every_index(model: NavigationModel, parent: QModelIndex | None = None) -> list[QModelIndex]:
    parent = parent or QModelIndex()
    found = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        found += [index, *every_index(model, index)]
    return found


def is_selected(view: QTreeView, index: QModelIndex) -> bool:
    selection = view.selectionModel()
    return selection is not None and selection.isSelected(index)


def outside(image: QImage, strips: list[QRect]) -> QImage:
    """``image`` with ``strips`` blanked (the same in both images compared)."""
    copy = image.copy()
    painter = QPainter(copy)
    for strip in strips:
        painter.fillRect(strip, Qt.GlobalColor.black)
    painter.end()
    return copy


@pytest.mark.parametrize("height", [760, 420], ids=["all rows", "a scroll bar"])
@pytest.mark.parametrize("state", list(STATES))
def test_the_tree_paints_as_its_style_sheet_did(qtbot: QtBot, state: str, height: int) -> None:
    """Pixel for pixel as the sheet, but for the left end of a selected or hovered indented
    row: one rounded background from the indentation on, where the sheet rounded the
    indentation and the item each on its own (a notch between them)."""
    act = STATES[state]
    reference, _ = grab(qtbot, False, height, act)
    painted, lit = grab(qtbot, True, height, act)
    ends = [QRect(0, row.top(), row.left() + 2 * LOOK.radius, row.height()) for row in lit]
    assert outside(painted, ends) == outside(reference, ends)
    for row in lit:
        y = row.top() + 2  # above an expand arrow, below the rounded corners' reach
        colours = {painted.pixel(x, y) for x in range(LOOK.radius + 1, row.left() + 8)}
        assert len(colours) == 1, state  # no notch where the indentation meets the item
        assert QColor(colours.pop()) in (LOOK.selected, LOOK.hovered)


def test_the_tree_has_no_style_sheet_and_its_rows_the_sheets_size(qtbot: QtBot) -> None:
    _window, view, model = tree(qtbot, True, 760)
    _other, reference, reference_model = tree(qtbot, False, 760)
    assert not view.styleSheet()
    assert view.style().metaObject().className() == "QFusionStyle"
    assert reference.style().metaObject().className() == "QStyleSheetStyle"
    for target in (NavTarget.MINE, NavTarget.NEW_TICKET):
        index, other = model.index_of(target), reference_model.index_of(target)
        assert view.sizeHintForIndex(index) == reference.sizeHintForIndex(other)
        assert view.visualRect(index) == reference.visualRect(other)
    group, other = model.index(0, 0), reference_model.index(0, 0)
    assert view.sizeHintForIndex(group) == reference.sizeHintForIndex(other)


def test_a_row_is_repainted_as_the_pointer_moves_on_and_off_its_arrow(qtbot: QtBot) -> None:
    _window, view, model = tree(qtbot, True, 760)
    assert isinstance(view, NavigationView)
    mine = model.index_of(NavTarget.MINE)
    QTest.mouseMove(view.viewport(), point_on(view, mine))
    assert view.hovered(mine)
    QTest.mouseMove(view.viewport(), point_on(view, mine, dx=-7))
    assert not view.hovered(mine)  # on its expand arrow
    inbox = model.index_of(NavTarget.MINE, 1)
    QTest.mouseMove(view.viewport(), point_on(view, inbox, dx=-7))
    assert view.hovered(inbox)  # an inbox has no arrow: its indentation is the row's
    QTest.mouseMove(view.viewport(), QPoint(100, view.viewport().height() - 3))
    assert not view.hovered(inbox)

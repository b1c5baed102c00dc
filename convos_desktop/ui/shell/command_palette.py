"""The command palette (Ctrl+K): type to find an action, a screen, a ticket or a contact.

Keyboard only: the text field keeps the focus; Up/Down/Page Up/Page Down move in the list,
Enter runs the selected entry (and closes), Esc closes. Each row shows the title, what kind
of entry it is and, for actions, the shortcut. Tickets and contacts come from the local cache,
read off the GUI thread after the palette is shown (``add_commands``).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.models.commands import Command, CommandKind, CommandModel, CommandRole

ROW_HEIGHT = 34
WIDTH = 620
EDIT_STYLE = "QLineEdit { font-size: 15px; padding: 6px; }"  # set when first shown
VISIBLE_ROWS = 11
MUTED = QColor("#6b7280")
NAVIGATION_KEYS = {
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}


def kind_label(kind: str) -> str:
    """The translated name of a command kind, shown on its rows."""
    tr = QCoreApplication.translate
    labels = {
        CommandKind.ACTION.value: tr("CommandPalette", "Action"),
        CommandKind.SCREEN.value: tr("CommandPalette", "Screen"),
        CommandKind.TICKET.value: tr("CommandPalette", "Ticket"),
        CommandKind.CONTACT.value: tr("CommandPalette", "Contact"),
    }
    return labels.get(kind, "")


class CommandDelegate(QStyledItemDelegate):
    """Title, then the kind and detail muted; the shortcut right-aligned."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # type: ignore[override]
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        rect: QRect = option.rect.adjusted(12, 0, -12, 0)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = option.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = text_color if selected else MUTED
        painter.save()
        painter.setFont(option.font)
        shortcut = str(index.data(CommandRole.SHORTCUT) or "")
        metrics = painter.fontMetrics()
        right = rect.right()
        if shortcut:
            width = metrics.horizontalAdvance(shortcut) + 12
            key = QRect(right - width, rect.center().y() - 10, width, 20)
            painter.setPen(muted)
            painter.drawRoundedRect(key, 4, 4)
            painter.drawText(key, Qt.AlignmentFlag.AlignCenter, shortcut)
            right = key.left() - 10
        kind = kind_label(str(index.data(CommandRole.KIND) or ""))
        detail = str(index.data(CommandRole.DETAIL) or "")
        side = "  ·  ".join(part for part in (kind, detail) if part)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        title_width = min(metrics.horizontalAdvance(title) + 4, (right - rect.left()) * 2 // 3)
        painter.setPen(text_color)
        title_rect = QRect(rect.left(), rect.top(), title_width, rect.height())
        painter.drawText(
            title_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(title, Qt.TextElideMode.ElideRight, title_width),
        )
        side_rect = QRect(title_rect.right() + 14, rect.top(), right - title_rect.right() - 14, 0)
        side_rect.setHeight(rect.height())
        if side and side_rect.width() > 20:
            painter.setPen(muted)
            painter.drawText(
                side_rect,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                metrics.elidedText(side, Qt.TextElideMode.ElideRight, side_rect.width()),
            )
        painter.restore()


class CommandPalette(QDialog):
    """See the module docstring. Built once; :meth:`present` shows it with fresh commands."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("commandPalette")
        self.setAccessibleName(self.tr("Command palette"))
        self.model = CommandModel(self)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("Type a command, a screen, a ticket or a contact"))
        self.edit.setAccessibleName(self.tr("Command"))
        self.edit.setClearButtonEnabled(True)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setItemDelegate(CommandDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setMinimumHeight(ROW_HEIGHT * VISIBLE_ROWS + 4)
        self.list.setAccessibleName(self.tr("Matching commands"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.setFixedWidth(WIDTH)
        self.edit.textChanged.connect(self._on_text)
        self.edit.installEventFilter(self)
        self.list.clicked.connect(lambda index: self.run_row(index.row()))
        self.model.modelReset.connect(self._select_first)

    def present(self, commands: Sequence[Command]) -> None:
        """Show the palette over the top of the parent window with ``commands``."""
        if not self.edit.styleSheet():  # styled when first shown: each widget with a style
            self.edit.setStyleSheet(EDIT_STYLE)  # sheet has its rules cached (issue 16)
        self.edit.clear()
        self.model.set_query("")
        self.model.set_commands(commands)
        parent = self.parentWidget()
        if parent is not None:
            top_left = parent.mapToGlobal(parent.rect().topLeft())
            x = top_left.x() + (parent.width() - self.width()) // 2
            self.move(x, top_left.y() + 60)
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus()

    def add_commands(self, commands: Sequence[Command]) -> None:
        """Entries read later (tickets and contacts), merged into the current results."""
        if self.isVisible():
            self.model.add_commands(commands)

    def _on_text(self, text: str) -> None:
        self.model.set_query(text)

    def _select_first(self) -> None:
        if self.model.rowCount() > 0:
            self.list.setCurrentIndex(self.model.index(0, 0))

    def run_row(self, row: int) -> None:
        """Close the palette and run the entry at ``row``."""
        command = self.model.command_at(row)
        if command is None:
            return
        self.accept()
        command.run()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in NAVIGATION_KEYS:
                QApplication.sendEvent(self.list, event)  # moves the row as in the list
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_row(self.list.currentIndex().row())
                return True
        return super().eventFilter(watched, event)

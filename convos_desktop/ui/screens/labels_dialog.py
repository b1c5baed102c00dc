"""Manage the workspace's labels (admins): add, rename, recolour, delete.

The list follows the directory (``label.changed`` events reach it through sync), so a change
made here, or by another admin, shows as soon as the server announces it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.tasks import TaskRunner
from convos_desktop.ui.widgets.label_widgets import label_icon

DEFAULT_COLOR = "#4a90d9"


class LabelsDialog(QDialog):
    """The labels with their colours and the buttons that change them."""

    def __init__(self, context: ClientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelsDialog")
        self.setWindowTitle(self.tr("Labels"))
        self.resize(420, 380)
        self._context = context
        self._tasks = TaskRunner()
        self.list = QListWidget(self)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(self.tr("New label name"))
        self.name_edit.setMaxLength(64)
        self.add_button = QPushButton(self.tr("Add"), self)
        self.rename_button = QPushButton(self.tr("Rename…"), self)
        self.color_button = QPushButton(self.tr("Colour…"), self)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #a4400f;")
        self.error.setWordWrap(True)
        add_row = QHBoxLayout()
        add_row.addWidget(self.name_edit, 1)
        add_row.addWidget(self.add_button)
        edit_row = QHBoxLayout()
        for button in (self.rename_button, self.color_button, self.delete_button):
            edit_row.addWidget(button)
        edit_row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(edit_row)
        layout.addLayout(add_row)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.add_button.clicked.connect(self.add_label)
        self.name_edit.returnPressed.connect(self.add_label)
        self.rename_button.clicked.connect(self.rename_label)
        self.color_button.clicked.connect(self.recolor_label)
        self.delete_button.clicked.connect(self.delete_label)
        self.list.currentRowChanged.connect(lambda _row: self._enable())
        context.directory.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """List the directory's labels (the selection is kept by id)."""
        chosen = self.current_id()
        self.list.clear()
        for label in self._context.directory.labels():
            item = QListWidgetItem(label_icon(label.color), label.name)
            item.setData(Qt.ItemDataRole.UserRole, label.id)
            item.setToolTip(label.color)
            self.list.addItem(item)
            if label.id == chosen:
                self.list.setCurrentItem(item)
        self._enable()

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _enable(self) -> None:
        chosen = self.current_id() is not None
        for button in (self.rename_button, self.color_button, self.delete_button):
            button.setEnabled(chosen)

    def _run(self, coroutine: object) -> None:
        self.error.setText("")
        self._tasks.run(coroutine, on_error=self.error.setText)  # type: ignore[arg-type]

    def add_label(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            return
        self.name_edit.clear()
        self._run(self._context.api.create_label(name, DEFAULT_COLOR))

    def rename_label(self) -> None:
        label_id, item = self.current_id(), self.list.currentItem()
        if label_id is None or item is None:
            return
        name, ok = QInputDialog.getText(
            self, self.tr("Rename label"), self.tr("Name:"), text=item.text()
        )
        if ok and name.strip():
            self._run(self._context.api.update_label(label_id, {"name": name.strip()}))

    def recolor_label(self) -> None:
        label_id, item = self.current_id(), self.list.currentItem()
        if label_id is None or item is None:
            return
        color = QColorDialog.getColor(QColor(item.toolTip()), self, self.tr("Label colour"))
        if color.isValid():
            self._run(self._context.api.update_label(label_id, {"color": color.name()}))

    def delete_label(self) -> None:
        label_id = self.current_id()
        if label_id is not None:
            self._run(self._context.api.delete_label(label_id))

"""A yes/cancel question that never blocks: the box is opened, ``on_yes`` runs on Yes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


def ask(parent: QWidget, title: str, text: str, on_yes: Callable[[], Any]) -> QMessageBox:
    """Open a window-modal question (Cancel is the default); call ``on_yes`` on Yes."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def clicked(button: QAbstractButton) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            on_yes()

    box.buttonClicked.connect(clicked)
    box.finished.connect(box.deleteLater)
    box.open()
    return box

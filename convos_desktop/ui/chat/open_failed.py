"""Opening a received file with the system's application, and saying so when none can.

``QDesktopServices.openUrl`` returns ``False`` when the desktop has no application for the
file (or no desktop services at all): the agent is told, with a "Save as…" way out, instead
of a click that does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("convos.ui.files")


class OpenFailedBox(QMessageBox):
    """A non-modal box: the file could not be opened; "Save as…" or Close."""

    def __init__(self, name: str, save: Callable[[], None], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Information)
        self.setWindowTitle(self.tr("Cannot open the file"))
        self.setText(self.tr("No application on this computer opens “%1”.").replace("%1", name))
        self.setInformativeText(
            self.tr("Save it somewhere with Save as…, then open it from there.")
        )
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.save_button = self.addButton(self.tr("Save as…"), QMessageBox.ButtonRole.AcceptRole)
        self.addButton(QMessageBox.StandardButton.Close)
        self.setDefaultButton(self.save_button)
        self.save_button.clicked.connect(save)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


def open_local_file(
    path: Path, name: str, save: Callable[[], None], parent: QWidget | None
) -> OpenFailedBox | None:
    """Open ``path`` with the system's application; when none can, show (and return) the box
    that says so and offers ``save`` ("Save as…")."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return None
    log.info("no application opens %s", path.suffix or path.name)
    box = OpenFailedBox(name, save, parent)
    box.open()
    return box

"""About Convos Desktop: icon, version, the Qt/PySide6/Python it runs on, the log folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from convos_desktop import __version__
from convos_desktop.product import APP_NAME, version_text
from convos_desktop.resources import icon_path

ICON_SIZE = 96


class AboutDialog(QDialog):
    """The About box (modeless): what runs, and where its log is."""

    def __init__(self, log_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log_folder = log_folder
        self.setWindowTitle(self.tr("About Convos Desktop"))
        icon = QLabel(self)
        icon.setPixmap(QIcon(str(icon_path("app"))).pixmap(ICON_SIZE, ICON_SIZE))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(f"{APP_NAME} {__version__}", self)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        tagline = QLabel(self.tr("The desktop app of Convos for customer-service agents."), self)
        tagline.setWordWrap(True)
        self.details = QLabel(version_text(), self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("color: #5d6875;")
        log_label = QLabel(self.tr("Log files: %1").replace("%1", str(log_folder)), self)
        log_label.setWordWrap(True)
        log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copyright_label = QLabel(self.tr("© 2026 Convos. All rights reserved."), self)
        copyright_label.setStyleSheet("color: #5d6875;")
        text = QVBoxLayout()
        for widget in (title, tagline, self.details, log_label, copyright_label):
            text.addWidget(widget)
        text.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addSpacing(12)
        top.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_logs = QPushButton(self.tr("Open log folder"), self)
        self.copy = QPushButton(self.tr("Copy details"), self)
        buttons.addButton(self.open_logs, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_logs.clicked.connect(self._on_open_logs)
        self.copy.clicked.connect(self._on_copy)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(540)

    def details_text(self) -> str:
        """What Copy details puts on the clipboard (for a support ticket)."""
        return f"{version_text()}\n{self._log_folder}"

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())

    def _on_open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_folder)))

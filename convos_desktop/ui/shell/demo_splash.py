"""What ``--demo`` shows while its server starts, and what it says about keeping nothing.

The embedded demo server takes several seconds to start (a Python process, a fresh
database, seeded conversations). A small window appears at once with a moving progress bar
and the seconds elapsed, so the app does not look dead; it also says that the demo keeps
nothing: its server and cache live in a temporary folder removed at quit, drafts included.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget


def demo_notice() -> str:
    """The sentence that tells the demo keeps nothing."""
    return QCoreApplication.translate(
        "DemoStartingWindow",
        "This is a demo: its server runs on this computer and keeps nothing. "
        "Conversations, changes and drafts are gone when you quit.",
    )


def demo_window_title(title: str) -> str:
    """The main window's title in the demo (it keeps nothing after quitting)."""
    suffix = QCoreApplication.translate("DemoStartingWindow", "demo, nothing is kept")
    return f"{title} — {suffix}"


class DemoStartingWindow(QWidget):
    """ "Starting the demo…": an indeterminate bar, the seconds elapsed and the notice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Convos demo"))
        self.setWindowFlag(Qt.WindowType.Dialog)
        self._started = time.monotonic()
        heading = QLabel(self.tr("Starting the demo server…"), self)
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setWeight(QFont.Weight.DemiBold)
        heading.setFont(font)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the server says nothing until it is ready
        self.progress.setTextVisible(False)
        self.elapsed = QLabel(self)
        self.elapsed.setStyleSheet("color: palette(placeholder-text);")
        notice = QLabel(demo_notice(), self)
        notice.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.progress)
        layout.addWidget(self.elapsed)
        layout.addWidget(notice)
        self.setFixedWidth(460)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._tick()

    def _tick(self) -> None:
        seconds = int(time.monotonic() - self._started)
        self.elapsed.setText(self.tr("Elapsed: %1 s").replace("%1", str(seconds)))

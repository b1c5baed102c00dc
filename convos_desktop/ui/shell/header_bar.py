"""The window header: the agent's name, presence selector, connection indicator, sound toggle."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from convos_desktop.core.types import ConnectionState, Status
from convos_desktop.ui.theme import (
    CONNECTION_COLORS,
    STATUS_COLORS,
    set_font_parts,
    set_text_color,
)

SOUND_KEY = "notifications/sound"
BACKGROUND = QColor("#ffffff")  # the header's tool bar paints it, under the header's end too
RULE = QColor("#dde1e6")  # the line under the header


def dot_icon(color: QColor, size: int = 12) -> QIcon:
    """A filled circle, the status and connection marker."""
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def status_names() -> dict[Status, str]:
    """The agent statuses as the header and the tray name them, in the UI language."""
    return {
        Status.ONLINE: QCoreApplication.translate("HeaderBar", "Online"),
        Status.BUSY: QCoreApplication.translate("HeaderBar", "Busy"),
        Status.UNAVAILABLE: QCoreApplication.translate("HeaderBar", "Unavailable"),
    }


class HeaderBar(QFrame):
    """Emits ``statusChosen(Status)``; shows the effective status and the connection.

    It paints nothing itself: the window's header tool bar paints ``BACKGROUND`` and ``RULE``
    under it and under the buttons that follow it."""

    statusChosen = Signal(object)  # noqa: N815

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headerBar")
        self._settings = settings
        self.product = QLabel("Convos", self)
        set_font_parts(self.product, weight=QFont.Weight.Bold, point_size=14)
        set_text_color(self.product, "#2f6fdb")
        self.agent_name = QLabel(self)
        self.agent_name.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label = QLabel(self.tr("Status"), self)
        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName(self.tr("Agent status"))
        for status, label in status_names().items():
            self.status_combo.addItem(dot_icon(STATUS_COLORS[status]), label, status.value)
        self.status_combo.activated.connect(self._on_activated)
        self.effective_label = QLabel(self)
        set_text_color(self.effective_label, "#6b7785")
        self.connection = QLabel(self)
        self.connection.setTextFormat(Qt.TextFormat.PlainText)
        self.connection_dot = QLabel(self)
        self.sound_button = QToolButton(self)
        self.sound_button.setCheckable(True)
        self.sound_button.setAutoRaise(True)
        self.sound_button.toggled.connect(self._on_sound_toggled)
        self.sound_button.setChecked(bool(settings.value(SOUND_KEY, True, type=bool)))
        self._on_sound_toggled(self.sound_button.isChecked())

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(10)
        layout.addWidget(self.product)
        layout.addSpacing(12)
        layout.addWidget(self.agent_name)
        layout.addStretch(1)
        layout.addWidget(self.connection_dot)
        layout.addWidget(self.connection)
        layout.addSpacing(16)
        layout.addWidget(self.status_label)
        layout.addWidget(self.status_combo)
        layout.addWidget(self.effective_label)
        layout.addSpacing(8)
        layout.addWidget(self.sound_button)
        self.set_connection(ConnectionState.CONNECTING)

    @property
    def sound_enabled(self) -> bool:
        return self.sound_button.isChecked()

    def chosen_status(self) -> Status:
        return Status(self.status_combo.currentData())

    def set_agent_name(self, name: str) -> None:
        self.agent_name.setText(name)

    def set_chosen(self, status: Status) -> None:
        self.status_combo.setCurrentIndex(self.status_combo.findData(status.value))

    def set_effective(self, status: Status) -> None:
        """The effective status differs from the chosen one on other screens or when away."""
        if status is self.chosen_status():
            self.effective_label.clear()
            self.effective_label.setToolTip("")
            return
        self.effective_label.setText(self.tr("(now Unavailable)"))
        self.effective_label.setToolTip(
            self.tr(
                "Outside the conversation screens, or away, you count as Unavailable; "
                "your chosen status comes back when you return."
            )
        )

    def set_connection(self, state: ConnectionState) -> None:
        texts = {
            ConnectionState.CONNECTED: self.tr("Connected"),
            ConnectionState.CONNECTING: self.tr("Connecting…"),
            ConnectionState.RECONNECTING: self.tr("Reconnecting…"),
            ConnectionState.OFFLINE: self.tr("Offline: showing cached data"),
        }
        self.connection.setText(texts[state])
        self.connection_dot.setPixmap(dot_icon(CONNECTION_COLORS[state]).pixmap(12, 12))

    def _on_activated(self, _row: int) -> None:
        self.statusChosen.emit(self.chosen_status())

    def _on_sound_toggled(self, on: bool) -> None:
        self._settings.setValue(SOUND_KEY, on)
        self.sound_button.setText("🔔" if on else "🔕")
        tip = (
            self.tr("Sound for new unassigned tickets: on")
            if on
            else self.tr("Sound for new unassigned tickets: off")
        )
        self.sound_button.setToolTip(tip)
        self.sound_button.setAccessibleName(tip)

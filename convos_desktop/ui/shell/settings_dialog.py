"""The settings dialog: connection, language, sound, notifications, system.

Saved to QSettings when the agent presses Save (see ``convos_desktop/preferences.py`` for
when each applies: sound, volume, tray messages and close-to-tray at once; the language after
a restart; server address and profile at the next sign-in). Opened modeless with ``open()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from convos_desktop import preferences as prefs
from convos_desktop.platform.autostart import set_start_at_login

log = logging.getLogger("convos.ui")


class SettingsDialog(QDialog):
    """The agent's preferences; ``saved`` after they were written."""

    saved = Signal()

    def __init__(
        self,
        settings: QSettings,
        parent: QWidget | None = None,
        *,
        play_sound: Callable[[], object] | None = None,
        apply_start_at_login: Callable[[bool], None] = set_start_at_login,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._play_sound = play_sound
        self._apply_start_at_login = apply_start_at_login
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(540)
        layout = QVBoxLayout(self)
        layout.addWidget(self._connection_group())
        layout.addWidget(self._language_group())
        layout.addWidget(self._sound_group())
        layout.addWidget(self._system_group())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.load()

    # --- layout -------------------------------------------------------------------------------

    def _connection_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Connection"), self)
        form = QFormLayout(group)
        self.server = QLineEdit(group)
        self.server.setPlaceholderText("https://convos.example.com")
        self.profile = QLineEdit(group)
        self.profile.setPlaceholderText("default")
        form.addRow(self.tr("Server address"), self.server)
        form.addRow(self.tr("Profile"), self.profile)
        form.addRow(self._note(self.tr("Used at the next sign-in."), group))
        return group

    def _language_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Language"), self)
        form = QFormLayout(group)
        self.language = QComboBox(group)
        self.language.addItem(self.tr("System language"), "")
        self.language.addItem("Italiano", "it")
        self.language.addItem("English", "en")
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self._note(self.tr("Applies when Convos starts again."), group))
        return group

    def _sound_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Sound and notifications"), self)
        form = QFormLayout(group)
        self.sound = QCheckBox(self.tr("Play a sound for new unassigned tickets"), group)
        self.volume = QSlider(Qt.Orientation.Horizontal, group)
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume_label = QLabel(group)
        self.volume_label.setMinimumWidth(40)
        self.volume.valueChanged.connect(lambda v: self.volume_label.setText(f"{v}%"))
        self.test_sound = QPushButton(self.tr("Test"), group)
        self.test_sound.clicked.connect(self._on_test_sound)
        self.test_sound.setEnabled(self._play_sound is not None)
        row = QHBoxLayout()
        row.addWidget(self.volume, 1)
        row.addWidget(self.volume_label)
        row.addWidget(self.test_sound)
        self.sound.toggled.connect(self.volume.setEnabled)
        self.messages = QCheckBox(self.tr("Show a message for new tickets and messages"), group)
        form.addRow(self.sound)
        form.addRow(self.tr("Volume"), row)
        form.addRow(self.messages)
        return group

    def _system_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("System"), self)
        form = QFormLayout(group)
        self.start_at_login = QCheckBox(self.tr("Start Convos when I log in"), group)
        self.close_to_tray = QCheckBox(
            self.tr("Closing the window keeps Convos running in the tray"), group
        )
        form.addRow(self.start_at_login)
        form.addRow(self.close_to_tray)
        return group

    @staticmethod
    def _note(text: str, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setStyleSheet("color: #6b7785;")
        label.setWordWrap(True)
        return label

    # --- values -------------------------------------------------------------------------------

    def load(self) -> None:
        """Show the saved values."""
        s = self._settings
        self.server.setText(str(s.value(prefs.SERVER_KEY, "") or ""))
        self.server.setCursorPosition(0)  # a long address shows its start
        self.profile.setText(str(s.value(prefs.PROFILE_KEY, "") or ""))
        index = self.language.findData(prefs.saved_language(s) or "")
        self.language.setCurrentIndex(max(0, index))
        self.sound.setChecked(prefs.read_bool(s, prefs.SOUND_KEY, True))
        self.volume.setValue(prefs.read_volume(s))
        self.volume_label.setText(f"{self.volume.value()}%")
        self.volume.setEnabled(self.sound.isChecked())
        self.messages.setChecked(prefs.messages_enabled(s))
        self.start_at_login.setChecked(prefs.read_bool(s, prefs.START_AT_LOGIN_KEY, False))
        self.close_to_tray.setChecked(prefs.close_to_tray(s))

    def save(self) -> None:
        """Write the values; register or remove the login item when that changed."""
        s = self._settings
        s.setValue(prefs.SERVER_KEY, self.server.text().strip().rstrip("/"))
        s.setValue(prefs.PROFILE_KEY, self.profile.text().strip())
        s.setValue(prefs.LANGUAGE_KEY, self.language.currentData())
        s.setValue(prefs.SOUND_KEY, self.sound.isChecked())
        s.setValue(prefs.VOLUME_KEY, self.volume.value())
        s.setValue(prefs.MESSAGES_KEY, self.messages.isChecked())
        s.setValue(prefs.CLOSE_TO_TRAY_KEY, self.close_to_tray.isChecked())
        start = self.start_at_login.isChecked()
        if start != prefs.read_bool(s, prefs.START_AT_LOGIN_KEY, False):
            try:
                self._apply_start_at_login(start)
            except OSError as exc:
                log.warning("could not change start at login: %s", exc)
            else:
                s.setValue(prefs.START_AT_LOGIN_KEY, start)
        s.sync()
        self.saved.emit()

    def accept(self) -> None:
        self.save()
        super().accept()

    def _on_test_sound(self) -> None:
        previous = self._settings.value(prefs.VOLUME_KEY)
        self._settings.setValue(prefs.VOLUME_KEY, self.volume.value())
        if self._play_sound is not None:
            self._play_sound()
        if previous is None:
            self._settings.remove(prefs.VOLUME_KEY)
        else:
            self._settings.setValue(prefs.VOLUME_KEY, previous)

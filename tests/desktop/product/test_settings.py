"""Settings: persisted in QSettings, applied where Qt allows; start at login per OS."""

from __future__ import annotations

import argparse
import plistlib

import pytest
from PySide6.QtCore import QSettings

from convos_desktop import preferences as prefs
from convos_desktop.platform import autostart
from convos_desktop.product import apply_saved_preferences
from convos_desktop.ui.shell.header_bar import SOUND_KEY as HEADER_SOUND_KEY
from convos_desktop.ui.shell.settings_dialog import SettingsDialog
from convos_desktop.ui.shell.sound import NotificationSound, QtEffectBackend


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_defaults_are_shown(qtbot, settings):
    dialog = SettingsDialog(settings, apply_start_at_login=lambda _on: None)
    qtbot.addWidget(dialog)
    assert dialog.language.currentData() == ""
    assert dialog.sound.isChecked()
    assert dialog.volume.value() == 70
    assert dialog.messages.isChecked()
    assert dialog.close_to_tray.isChecked()
    assert not dialog.start_at_login.isChecked()


def test_saved_values_persist_and_reload(qtbot, settings, tmp_path):
    registered = []
    dialog = SettingsDialog(settings, apply_start_at_login=registered.append)
    qtbot.addWidget(dialog)
    dialog.server.setText("https://convos.example.com/ ")
    dialog.profile.setText("sede-milano")
    dialog.language.setCurrentIndex(dialog.language.findData("it"))
    dialog.sound.setChecked(False)
    dialog.volume.setValue(35)
    dialog.messages.setChecked(False)
    dialog.start_at_login.setChecked(True)
    dialog.close_to_tray.setChecked(False)
    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    assert registered == [True]
    again = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert again.value(prefs.SERVER_KEY) == "https://convos.example.com"
    assert prefs.saved_language(again) == "it"
    assert not prefs.read_bool(again, prefs.SOUND_KEY, True)
    assert prefs.read_volume(again) == 35
    assert not prefs.messages_enabled(again)
    assert not prefs.close_to_tray(again)
    assert prefs.read_bool(again, prefs.START_AT_LOGIN_KEY, False)
    reopened = SettingsDialog(again, apply_start_at_login=registered.append)
    qtbot.addWidget(reopened)
    assert reopened.profile.text() == "sede-milano"
    assert reopened.volume.value() == 35
    reopened.accept()
    assert registered == [True]  # unchanged: not registered twice


def test_cancel_writes_nothing(qtbot, settings):
    dialog = SettingsDialog(settings, apply_start_at_login=lambda _on: None)
    qtbot.addWidget(dialog)
    dialog.volume.setValue(10)
    dialog.reject()
    assert settings.value(prefs.VOLUME_KEY) is None


def test_volume_applies_without_restart(qtbot, settings):
    class Effect:
        def __init__(self) -> None:
            self.volumes: list[float] = []

        def setSource(self, _url):
            pass

        def setVolume(self, volume):
            self.volumes.append(volume)

        def play(self):
            pass

    effect = Effect()
    backend = QtEffectBackend(has_output=lambda: True, make_effect=lambda _p: effect)
    sound = NotificationSound(settings, backend=backend)
    dialog = SettingsDialog(settings, play_sound=sound.play, apply_start_at_login=lambda _o: None)
    qtbot.addWidget(dialog)
    dialog.volume.setValue(40)
    dialog.test_sound.click()  # the test button plays at the slider's volume, unsaved
    assert settings.value(prefs.VOLUME_KEY) is None
    dialog.accept()
    sound.play()
    assert effect.volumes == [0.4, 0.4]


def test_the_header_bell_and_the_settings_share_one_key():
    assert prefs.SOUND_KEY == HEADER_SOUND_KEY


def test_saved_preferences_fill_the_command_line(settings):
    settings.setValue(prefs.LANGUAGE_KEY, "en")
    settings.setValue(prefs.SERVER_KEY, "https://a.example")
    args = argparse.Namespace(lang=None, server=None, profile=None)
    apply_saved_preferences(args, settings)
    assert (args.lang, args.server, args.profile) == ("en", "https://a.example", "default")
    given = argparse.Namespace(lang="it", server="https://b.example", profile="p")
    apply_saved_preferences(given, settings)
    assert (given.lang, given.server, given.profile) == ("it", "https://b.example", "p")


def test_start_at_login_on_linux(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    autostart.set_start_at_login(True, platform="linux")
    entry = (tmp_path / "autostart" / "convos-desktop.desktop").read_text()
    assert "Exec=" in entry
    assert "convos_desktop" in entry
    assert autostart.is_registered("linux")
    autostart.set_start_at_login(False, platform="linux")
    assert not autostart.is_registered("linux")


def test_start_at_login_on_macos(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    autostart.set_start_at_login(True, platform="darwin")
    agent = plistlib.loads(autostart.mac_agent_file().read_bytes())
    assert agent["RunAtLoad"] is True
    assert agent["Label"] == "com.convos.desktop"
    autostart.set_start_at_login(False, platform="darwin")
    assert not autostart.mac_agent_file().exists()

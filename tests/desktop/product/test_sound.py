"""The notification sound: QSoundEffect at the saved volume; no device = one warning."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QUrl

from convos_desktop.resources import sound_path
from convos_desktop.ui.shell.sound import NotificationSound, probe_audio_outputs, volume_setting


class RecordingEffect:
    """An audio device that records (the OS edge)."""

    def __init__(self) -> None:
        self.source: QUrl | None = None
        self.volumes: list[float] = []
        self.plays = 0

    def setSource(self, url: QUrl) -> None:
        self.source = url

    def setVolume(self, volume: float) -> None:
        self.volumes.append(volume)

    def play(self) -> None:
        self.plays += 1


def settings_at(tmp_path, **values) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for key, value in values.items():
        settings.setValue(key, value)
    return settings


def test_plays_the_resource_sound_at_the_saved_volume(qapp, tmp_path):
    effect = RecordingEffect()
    settings = settings_at(tmp_path)
    sound = NotificationSound(settings, has_output=lambda: True, make_effect=lambda _p: effect)
    assert sound.play()
    settings.setValue("notifications/volume", 25)  # the settings dialog: applied at once
    assert sound.play()
    assert effect.source == QUrl.fromLocalFile(str(sound_path()))
    assert effect.volumes == [0.7, 0.25]
    assert effect.plays == 2


def test_volume_zero_plays_nothing(qapp, tmp_path):
    effect = RecordingEffect()
    settings = settings_at(tmp_path, **{"notifications/volume": 0})
    sound = NotificationSound(settings, has_output=lambda: True, make_effect=lambda _p: effect)
    assert not sound.play()
    assert effect.plays == 0


def test_without_a_device_one_warning_and_the_app_goes_on(qapp, tmp_path, caplog):
    made = []
    sound = NotificationSound(
        settings_at(tmp_path), has_output=lambda: False, make_effect=lambda p: made.append(p)
    )
    with caplog.at_level(logging.WARNING, logger="convos.sound"):
        assert not sound.play()
        assert not sound.play()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "no audio output device" in warnings[0].getMessage()
    assert made == []


def test_offscreen_counts_as_silent(qapp, tmp_path, caplog):
    sound = NotificationSound(settings_at(tmp_path))
    with caplog.at_level(logging.WARNING, logger="convos.sound"):
        assert not sound.play()
    assert "no audio output device" in caplog.text


# QtMultimedia's own start-up noise on a machine without PipeWire, VA-API or a sound server.
@pytest.mark.qt_log_ignore(
    "Couldn.t (load|resolve)",
    "PulseAudioService",
    "FFmpeg",
    "not supported on the selected audio",
    "No QtMultimedia backends found",
)
def test_the_real_device_query_and_effect_run(qapp, qtbot):
    from PySide6.QtMultimedia import QSoundEffect

    has_output = probe_audio_outputs()  # the CI machine has no sound card: False
    effect = QSoundEffect()
    effect.setSource(QUrl.fromLocalFile(str(sound_path())))
    effect.play()  # without a device: an error status, never an exception or a hang
    qtbot.wait(50)
    assert isinstance(has_output, bool)


def test_hand_edited_volume_is_clamped(tmp_path):
    assert volume_setting(settings_at(tmp_path, **{"notifications/volume": 250})) == 100
    assert volume_setting(settings_at(tmp_path, **{"notifications/volume": "loud"})) == 70


# The app's sound path in a fresh process (Qt builds its media integration once per process):
# the device query, then the effect loading the WAV and playing it.
SOUND_PATH_PROBE = """
import json, sys, time
from PySide6.QtCore import QUrl
from PySide6.QtMultimedia import QSoundEffect
from PySide6.QtWidgets import QApplication
from convos_desktop.resources import sound_path
from convos_desktop.ui.shell.sound import probe_audio_outputs, qt_sound_effect

app = QApplication(sys.argv[:1])
has_output = probe_audio_outputs()
effect = qt_sound_effect(app)
effect.setSource(QUrl.fromLocalFile(str(sound_path())))
deadline = time.monotonic() + 10
while effect.status() in (QSoundEffect.Status.Null, QSoundEffect.Status.Loading):
    if time.monotonic() > deadline:
        break
    app.processEvents()
    time.sleep(0.01)
effect.play()
app.processEvents()
maps = open("/proc/self/maps").read()
print(json.dumps({"has_output": has_output, "status": effect.status().name,
                  "libraries": [n for n in ("libQt6Multimedia.so", "libffmpegmediaplugin",
                                            "libavcodec", "libQt6Quick.so") if n in maps]}))
"""


def run_sound_path(**env: str) -> tuple[dict, str]:
    """The probe's report (what it saw and the libraries mapped) and its stderr."""
    environ = {k: v for k, v in os.environ.items() if k != "QT_MEDIA_BACKEND"}
    environ |= {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path(__file__).parents[3])} | env
    done = subprocess.run(
        [sys.executable, "-c", SOUND_PATH_PROBE],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps")
def test_the_sound_loads_no_media_backend_plugin():
    report, stderr = run_sound_path()
    assert report["libraries"] == ["libQt6Multimedia.so"]  # no FFmpeg plugin, no QtQuick
    assert "No QtMultimedia backends found" in stderr
    # A sound device (a desktop): the WAV is ready and plays; none (CI): Qt's error status.
    assert report["status"] == ("Ready" if report["has_output"] else "Error")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps")
def test_a_backend_the_user_names_is_loaded():
    report, _stderr = run_sound_path(QT_MEDIA_BACKEND="ffmpeg")
    assert "libffmpegmediaplugin" in report["libraries"]

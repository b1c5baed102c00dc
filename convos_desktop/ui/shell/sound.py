"""The notification sound: ``resources/sounds/notify.wav`` played with QtMultimedia's
:class:`QSoundEffect` (low latency, non-blocking, no media backend needed).

Volume (0-100) is read from QSettings at each play, so the settings dialog applies it at once;
on/off stays with the header's bell (``notifications/sound``). Without an audio output device
(a server, a container, a remote session, the offscreen platform) the first play logs one
warning and every play is a no-op until a device appears (``audioOutputsChanged`` resets it).
The device query and the effect are passed in so tests fake the OS edge.

No media backend: QSoundEffect plays a WAV through ``libQt6Multimedia``'s own audio code, but
the first QtMultimedia call makes Qt load its backend plugin, and PySide6's wheel ships
``plugins/multimedia/libffmpegmediaplugin.so`` (FFmpeg plus QtQuick and Qml: about 24 MB of
resident memory on Linux, issue 16). The installer bundle leaves that folder out; a pip or venv
install gets the same by :func:`start_multimedia_without_backend`, which creates Qt's media
integration once, before the first device query, with no library path to scan. Qt 6.12 has no
environment value for "no backend" (``QT_MEDIA_BACKEND`` with an unknown name falls back to
the plugins it finds), so a user who sets ``QT_MEDIA_BACKEND`` gets Qt's own choice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QSettings, QUrl
from PySide6.QtGui import QGuiApplication

from convos_desktop.preferences import read_volume
from convos_desktop.resources import sound_path

log = logging.getLogger("convos.sound")


class Effect(Protocol):
    """The part of :class:`QSoundEffect` the sound uses."""

    def setSource(self, url: QUrl) -> None: ...

    def setVolume(self, volume: float) -> None: ...

    def play(self) -> None: ...


HEADLESS_PLATFORMS = ("offscreen", "minimal")
MULTIMEDIA_STARTED = "convosMultimediaStarted"  # a property of the application


def start_multimedia_without_backend() -> None:
    """Create QtMultimedia's integration with no backend plugin, once per application.

    Qt builds the integration on the first device query and keeps it for the application's
    life; scanning an empty list of library paths then finds no plugin, so Qt uses its
    built-in fallback (devices, QSoundEffect, QAudioSink), as in the installer bundle. The
    paths are restored at once for every other plugin; Qt's warning about the missing backend
    is among the app's quiet Qt messages (``logs.py``). ``QT_MEDIA_BACKEND`` set by the user
    wins: Qt then loads the backend it names.
    """
    app = QCoreApplication.instance()
    if app is None or app.property(MULTIMEDIA_STARTED) or os.environ.get("QT_MEDIA_BACKEND"):
        return
    from PySide6.QtMultimedia import QMediaDevices

    app.setProperty(MULTIMEDIA_STARTED, True)
    paths = QCoreApplication.libraryPaths()
    QCoreApplication.setLibraryPaths([])
    try:
        QMediaDevices.audioOutputs()  # the first query creates the integration
    finally:
        QCoreApplication.setLibraryPaths(paths)


def probe_audio_outputs() -> bool:
    """Whether the OS reports at least one audio output device (loads QtMultimedia)."""
    from PySide6.QtMultimedia import QMediaDevices

    start_multimedia_without_backend()
    return bool(QMediaDevices.audioOutputs())


def system_has_audio_output() -> bool:
    """An audio output exists and someone can hear it: a headless Qt platform (offscreen,
    minimal) counts as silent without probing, as probing there only prints QtMultimedia's
    noise about missing sound servers."""
    if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
        return False
    return probe_audio_outputs()


def qt_sound_effect(parent: QObject) -> Effect:
    """A real :class:`QSoundEffect` (QtMultimedia is imported only when a sound plays)."""
    from PySide6.QtMultimedia import QSoundEffect

    start_multimedia_without_backend()
    return QSoundEffect(parent)


volume_setting = read_volume  # the saved volume, 0-100


class NotificationSound(QObject):
    """Plays the notification sound at the saved volume; see the module docstring."""

    def __init__(
        self,
        settings: QSettings,
        parent: QObject | None = None,
        *,
        source: Path | None = None,
        has_output: Callable[[], bool] = system_has_audio_output,
        make_effect: Callable[[QObject], Effect] = qt_sound_effect,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._source = source
        self._has_output = has_output
        self._make_effect = make_effect
        self._effect: Effect | None = None
        self._warned = False
        self.played = 0

    def play(self) -> bool:
        """Play once at the saved volume; whether it was started (no device: ``False``)."""
        volume = volume_setting(self._settings)
        if volume == 0:
            return False
        if not self._has_output():
            if not self._warned:
                self._warned = True
                log.warning("no audio output device: notification sounds are silent")
                self._watch_devices()
            return False
        effect = self._effect or self._create_effect()
        effect.setVolume(volume / 100)
        effect.play()
        self.played += 1
        return True

    def _create_effect(self) -> Effect:
        effect = self._make_effect(self)
        effect.setSource(QUrl.fromLocalFile(str(self._source or sound_path())))
        self._effect = effect
        return effect

    def _watch_devices(self) -> None:
        """A device plugged in later ends the silence (and warns again if it goes away)."""
        if self._has_output is not system_has_audio_output:
            return
        if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
            return
        from PySide6.QtMultimedia import QMediaDevices

        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._on_outputs_changed)

    def _on_outputs_changed(self) -> None:
        self._warned = False
        self._effect = None

"""The notification sound: ``resources/sounds/notify.wav`` played with QtMultimedia's
:class:`QSoundEffect` (low latency, non-blocking, no media backend needed).

Volume (0-100) is read from QSettings at each play, so the settings dialog applies it at once;
on/off stays with the header's bell (``notifications/sound``). Without an audio output device
(a server, a container, a remote session, the offscreen platform) the first play logs one
warning and every play is a no-op until a device appears (``audioOutputsChanged`` resets it).
The device query and the effect are passed in so tests fake the OS edge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QSettings, QUrl
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


def probe_audio_outputs() -> bool:
    """Whether the OS reports at least one audio output device (loads QtMultimedia)."""
    from PySide6.QtMultimedia import QMediaDevices

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

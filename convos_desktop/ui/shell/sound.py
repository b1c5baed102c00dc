"""The notification sound: ``resources/sounds/notify.wav`` at the saved volume, played by a
:class:`SoundBackend` that never blocks the GUI thread.

Volume (0-100) is read from QSettings at each play, so the settings dialog applies it at once;
on/off stays with the header's bell (``notifications/sound``). Without an audio output (a
server, a container, a remote session, the offscreen platform) the first failed play logs one
warning and the app goes on silent; a later play tries again (after :data:`RETRY_AFTER_S` for
a sound server that refused), and a sound that plays again ends the silence, so losing the
output once more warns again.

Backends, one per platform, chosen by :func:`default_backend` and passed into
:class:`NotificationSound` (tests pass their own):

- Linux: :class:`ThreadedBackend` over ``libpulse-simple`` (:mod:`convos_desktop.platform.
  sound_output`). QtMultimedia is never loaded: with its binding, the QtNetwork it links and
  its own PulseAudio client it kept ~5 MiB resident after the first sound (issue 16).
- Windows: :class:`ThreadedBackend` over ``winsound.PlaySound`` (WAV bytes from memory).
- macOS and anything else: :class:`QtEffectBackend`, QtMultimedia's :class:`QSoundEffect`.
- A headless Qt platform (offscreen, minimal): :class:`SilentBackend`, nobody hears it.

:class:`ThreadedBackend` reads the WAV with :mod:`wave`, scales the samples to the volume and
plays them on a daemon worker thread (one sound at a time: a play asked for while one is
sounding joins it); the worker touches no widget and reports back through a queued signal.

QtMultimedia without a media backend (:class:`QtEffectBackend`): QSoundEffect plays a WAV
through ``libQt6Multimedia``'s own audio code, but the first QtMultimedia call makes Qt load
its backend plugin, and PySide6's wheel ships ``plugins/multimedia/libffmpegmediaplugin.so``
(FFmpeg plus QtQuick and Qml: about 24 MB of resident memory on Linux, issue 16). The
installer bundle leaves that folder out; a pip or venv install gets the same by
:func:`start_multimedia_without_backend`, which creates Qt's media integration once, before
the first device query, with no library path to scan. Qt 6.12 has no environment value for
"no backend" (``QT_MEDIA_BACKEND`` with an unknown name falls back to the plugins it finds),
so a user who sets ``QT_MEDIA_BACKEND`` gets Qt's own choice.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QSettings, QUrl, Signal
from PySide6.QtGui import QGuiApplication

from convos_desktop.platform.sound_output import (
    Clip,
    Player,
    PulseSimplePlayer,
    SoundOutputError,
    WinSoundPlayer,
    read_wav,
)
from convos_desktop.preferences import read_volume
from convos_desktop.resources import sound_path

log = logging.getLogger("convos.sound")

HEADLESS_PLATFORMS = ("offscreen", "minimal")
MULTIMEDIA_STARTED = "convosMultimediaStarted"  # a property of the application
RETRY_AFTER_S = 60.0  # a sound server that failed is asked again after this

# How a backend tells the sound how a play it started ended, on the GUI thread: ``None`` when
# it was played, else why nothing was heard.
Report = Callable[[str | None], None]


class SoundBackend(Protocol):
    """A way to play the notification sound. Called on the GUI thread; never blocks it."""

    def play(self, volume: float, report: Report) -> bool:
        """Start the sound at ``volume`` (0.0-1.0); ``False`` when it is known that nothing
        can be heard now (no output), without trying. When ``True``, ``report`` is called
        later, on the GUI thread, with how the play ended."""


class SilentBackend:
    """Nobody hears the app: a headless Qt platform (offscreen, minimal)."""

    def play(self, volume: float, report: Report) -> bool:
        """Nothing to play on."""
        return False


class WorkerReport(QObject):
    """Carries a worker's result to the GUI thread (a queued signal). Parentless and owned by
    Python, so it lives as long as a worker still holds it, whatever happens to the backend."""

    done = Signal(object)  # str | None


def start_daemon_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on a new daemon thread (it never holds up the app's quit)."""
    threading.Thread(target=work, name="convos-sound", daemon=True).start()


class WorkerJob:
    """The worker's part of :class:`ThreadedBackend`: read the WAV (once), scale it, play it.
    Plain Python, no Qt object: a worker never touches the GUI's objects."""

    def __init__(self, player: Player, source: Path | None) -> None:
        self.player = player
        self._source = source
        self._clip: Clip | None = None  # one job runs at a time: no lock needed

    def run(self, volume: float) -> str | None:
        """Play at ``volume``: ``None`` when played, else why not. Never raises."""
        try:
            if self._clip is None:
                self._clip = read_wav(self._source or sound_path())
            self.player.play(self._clip.at_volume(volume))
        except SoundOutputError as exc:
            return str(exc)
        except Exception as exc:  # an unreadable WAV, a library's surprise: silent, logged
            log.exception("the notification sound failed")
            return repr(exc)
        return None


class ThreadedBackend(QObject):
    """A blocking :class:`Player` (libpulse-simple, winsound) run on a worker thread.

    The GUI thread only reads the volume and starts the worker; the worker reads the WAV
    (once), scales its samples and plays them. A play asked for while one is sounding joins
    it (a burst of new tickets chimes once). After a failure the backend answers "no output"
    without trying for ``retry_after`` seconds, then tries again at the next play.
    """

    def __init__(
        self,
        player: Player,
        parent: QObject | None = None,
        *,
        source: Path | None = None,
        retry_after: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
        start_worker: Callable[[Callable[[], None]], None] = start_daemon_thread,
    ) -> None:
        super().__init__(parent)
        self._job = WorkerJob(player, source)
        self._retry_after = retry_after
        self._clock = clock
        self._start_worker = start_worker
        self._busy = False
        self._silent_until = 0.0
        self._report: Report | None = None
        self._worker_report = WorkerReport()
        self._worker_report.done.connect(self._on_done)

    @property
    def player(self) -> Player:
        """What the worker plays through."""
        return self._job.player

    @property
    def busy(self) -> bool:
        """A sound is under way (its worker has not reported yet)."""
        return self._busy

    def play(self, volume: float, report: Report) -> bool:
        """Start the worker (or join the sound under way); ``False`` while silent."""
        if self._busy:
            return True
        if self._clock() < self._silent_until:
            return False
        self._busy = True
        self._report = report
        job, done = self._job, self._worker_report.done
        self._start_worker(lambda: done.emit(job.run(volume)))
        return True

    def _on_done(self, error: str | None) -> None:
        self._busy = False
        if error is not None:
            self._silent_until = self._clock() + self._retry_after
        report, self._report = self._report, None
        if report is not None:
            report(error)


class Effect(Protocol):
    """The part of :class:`QSoundEffect` the sound uses."""

    def setSource(self, url: QUrl) -> None: ...

    def setVolume(self, volume: float) -> None: ...

    def play(self) -> None: ...


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


class QtEffectBackend(QObject):
    """QtMultimedia's :class:`QSoundEffect` (asynchronous by itself), the fallback backend
    (macOS and any platform without a native path). The device query and the effect are
    passed in so tests fake the OS edge; a change of the OS's outputs makes a new effect."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        source: Path | None = None,
        has_output: Callable[[], bool] = system_has_audio_output,
        make_effect: Callable[[QObject], Effect] = qt_sound_effect,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._has_output = has_output
        self._make_effect = make_effect
        self._effect: Effect | None = None
        self._watching = False

    def play(self, volume: float, report: Report) -> bool:
        """Play through the effect (made at the first play); ``False`` with no device."""
        if not self._has_output():
            self._watch_devices()
            return False
        effect = self._effect or self._create_effect()
        effect.setVolume(volume)
        effect.play()
        report(None)
        return True

    def _create_effect(self) -> Effect:
        effect = self._make_effect(self)
        effect.setSource(QUrl.fromLocalFile(str(self._source or sound_path())))
        self._effect = effect
        return effect

    def _watch_devices(self) -> None:
        """A device plugged in or removed later gets a new effect on the new default."""
        if self._watching or self._has_output is not system_has_audio_output:
            return
        if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
            return
        from PySide6.QtMultimedia import QMediaDevices

        self._watching = True
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._on_outputs_changed)

    def _on_outputs_changed(self) -> None:
        self._effect = None


def default_backend(
    parent: QObject | None = None,
    *,
    platform: str = sys.platform,
    window_system: str | None = None,
) -> SoundBackend:
    """The backend of this OS (see the module docstring); ``window_system`` is Qt's platform
    name (the running application's when not given)."""
    if (window_system or QGuiApplication.platformName()) in HEADLESS_PLATFORMS:
        return SilentBackend()
    if platform.startswith("linux"):
        return ThreadedBackend(PulseSimplePlayer(), parent)
    if platform == "win32":
        return ThreadedBackend(WinSoundPlayer(), parent)
    return QtEffectBackend(parent)


def check_output_library(platform: str = sys.platform) -> str:
    """Load what this OS's backend plays through, without playing (``--self-check``): its
    name, or an exception."""
    if platform.startswith("linux"):
        return PulseSimplePlayer().load()
    if platform == "win32":
        return WinSoundPlayer().load()
    from PySide6.QtMultimedia import QSoundEffect

    return QSoundEffect.__module__


volume_setting = read_volume  # the saved volume, 0-100


class NotificationSound(QObject):
    """Plays the notification sound at the saved volume; see the module docstring."""

    def __init__(
        self,
        settings: QSettings,
        parent: QObject | None = None,
        *,
        backend: SoundBackend | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._backend = backend if backend is not None else default_backend(self)
        self._warned = False
        self.played = 0

    def play(self) -> bool:
        """Start the sound once at the saved volume; whether it was started (``False``: volume
        0, or no output known). A start that then fails is warned about once."""
        volume = volume_setting(self._settings)
        if volume == 0:
            return False
        if not self._backend.play(volume / 100, self._on_played):
            self._warn_silent()
            return False
        self.played += 1
        return True

    def _on_played(self, error: str | None) -> None:
        if error is None:
            self._warned = False  # heard: losing the output again warns again
        else:
            self._warn_silent(error)

    def _warn_silent(self, why: str | None = None) -> None:
        if self._warned:
            return
        self._warned = True
        reason = f" ({why})" if why else ""
        log.warning("no audio output device: notification sounds are silent%s", reason)

"""The notification sound: its backends at the saved volume; no device = one warning.

The OS edge is faked where the behaviour is the app's (volume, the warning, joining a play
under way, the retry); the Linux backend also plays through a real PulseAudio daemon with a
null sink when ``pulseaudio`` is installed (``scripts/dev.sh`` installs it), and the sound
path runs in fresh processes to show which libraries it maps.
"""

from __future__ import annotations

import ctypes.util
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QUrl

from convos_desktop.platform.sound_output import (
    Clip,
    PulseSimplePlayer,
    SoundOutputError,
    WinSoundPlayer,
    read_wav,
    scale_samples,
)
from convos_desktop.resources import sound_path
from convos_desktop.ui.shell.sound import (
    NotificationSound,
    QtEffectBackend,
    SilentBackend,
    ThreadedBackend,
    default_backend,
    probe_audio_outputs,
    volume_setting,
)


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


def effect_backend(effect: RecordingEffect) -> QtEffectBackend:
    """The QtMultimedia backend over a recording effect, with a device."""
    return QtEffectBackend(has_output=lambda: True, make_effect=lambda _p: effect)


def settings_at(tmp_path, **values) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for key, value in values.items():
        settings.setValue(key, value)
    return settings


def test_plays_the_resource_sound_at_the_saved_volume(qapp, tmp_path):
    effect = RecordingEffect()
    settings = settings_at(tmp_path)
    sound = NotificationSound(settings, backend=effect_backend(effect))
    assert sound.play()
    settings.setValue("notifications/volume", 25)  # the settings dialog: applied at once
    assert sound.play()
    assert effect.source == QUrl.fromLocalFile(str(sound_path()))
    assert effect.volumes == [0.7, 0.25]
    assert effect.plays == 2


def test_volume_zero_plays_nothing(qapp, tmp_path):
    effect = RecordingEffect()
    settings = settings_at(tmp_path, **{"notifications/volume": 0})
    sound = NotificationSound(settings, backend=effect_backend(effect))
    assert not sound.play()
    assert effect.plays == 0


def test_without_a_device_one_warning_and_the_app_goes_on(qapp, tmp_path, caplog):
    made = []
    backend = QtEffectBackend(has_output=lambda: False, make_effect=lambda p: made.append(p))
    sound = NotificationSound(settings_at(tmp_path), backend=backend)
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


# --- the samples at the volume (the native backends scale the WAV themselves) ---


def samples16(frames: bytes) -> list[int]:
    return list(array("h", frames))  # little-endian on the machines CI runs on


def test_16_bit_samples_are_scaled_toward_zero():
    frames = array("h", [1000, -1000, 32767, -32768, 0, 3]).tobytes()
    assert samples16(scale_samples(frames, 2, 0.5)) == [500, -500, 16383, -16384, 0, 1]
    assert samples16(scale_samples(frames, 2, 1.0)) == samples16(frames)
    assert samples16(scale_samples(frames, 2, 0.0)) == [0] * 6
    assert samples16(scale_samples(frames, 2, 7.0)) == samples16(frames)  # clamped to 1.0


def test_8_bit_samples_are_scaled_around_their_midpoint():
    assert list(scale_samples(bytes([0, 128, 255, 200]), 1, 0.5)) == [64, 128, 191, 164]


def test_32_bit_samples_are_scaled_and_24_bit_refused():
    frames = array("i", [2_000_000_000, -2_000_000_000]).tobytes()
    assert list(array("i", scale_samples(frames, 4, 0.25))) == [500_000_000, -500_000_000]
    with pytest.raises(ValueError, match="24-bit"):
        scale_samples(b"\0" * 6, 3, 0.5)


def test_the_resource_wav_at_a_volume_keeps_its_format():
    clip = read_wav(sound_path())
    assert (clip.channels, clip.sample_width, clip.rate) == (1, 2, 44100)
    quarter = clip.at_volume(0.25)
    assert len(quarter.frames) == len(clip.frames)
    peak = max(map(abs, samples16(clip.frames)))
    assert max(map(abs, samples16(quarter.frames))) == int(peak * 0.25)
    in_memory = quarter.wav_bytes()  # what winsound's SND_MEMORY gets
    assert in_memory[:4] == b"RIFF"
    with wave.open(io.BytesIO(in_memory), "rb") as reader:
        assert reader.getparams()[:3] == (1, 2, 44100)
        assert reader.readframes(reader.getnframes()) == quarter.frames


# --- the threaded backend (Linux, Windows), over a fake player ---


class RecordingPlayer:
    """A blocking OS player that records what it was given and on which thread."""

    def __init__(self, fail: str | None = None, hold: threading.Event | None = None) -> None:
        self.clips: list[Clip] = []
        self.threads: list[int] = []
        self.fail = fail
        self.hold = hold

    def play(self, clip: Clip) -> None:
        self.threads.append(threading.get_ident())
        if self.hold is not None:
            self.hold.wait(10)
        if self.fail is not None:
            raise SoundOutputError(self.fail)
        self.clips.append(clip)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_threaded_backend_plays_the_scaled_wav_on_a_worker(qapp, qtbot, tmp_path):
    player = RecordingPlayer()
    settings = settings_at(tmp_path)
    backend = ThreadedBackend(player)
    sound = NotificationSound(settings, backend=backend)
    assert sound.play()
    qtbot.waitUntil(lambda: not backend.busy)
    settings.setValue("notifications/volume", 25)  # the settings dialog: applied at once
    assert sound.play()
    qtbot.waitUntil(lambda: not backend.busy)
    wav = read_wav(sound_path())
    assert player.clips == [wav.at_volume(0.7), wav.at_volume(0.25)]
    assert threading.get_ident() not in player.threads  # never on the GUI thread


def test_the_gui_thread_does_not_wait_for_the_sound(qapp, qtbot, tmp_path):
    hold = threading.Event()
    player = RecordingPlayer(hold=hold)
    backend = ThreadedBackend(player)
    reports: list[tuple[str | None, int]] = []
    started = time.perf_counter()
    assert backend.play(0.5, lambda error: reports.append((error, threading.get_ident())))
    assert time.perf_counter() - started < 0.5  # the player waits on `hold` for 10 s
    assert backend.busy
    assert not reports
    qtbot.waitUntil(lambda: len(player.threads) == 1)
    assert backend.play(0.5, lambda _e: None)  # asked while sounding: joins it
    hold.set()
    qtbot.waitUntil(lambda: bool(reports))
    assert reports == [(None, threading.get_ident())]  # reported on the GUI thread
    assert len(player.clips) == 1


def test_a_failing_output_warns_once_and_is_retried_later(qapp, qtbot, tmp_path, caplog):
    player = RecordingPlayer(fail="PulseAudio: Connection refused")
    clock = Clock()
    backend = ThreadedBackend(player, retry_after=60, clock=clock)
    sound = NotificationSound(settings_at(tmp_path), backend=backend)

    def play_to_the_end() -> bool:
        started = sound.play()
        qtbot.waitUntil(lambda: not backend.busy)
        return started

    with caplog.at_level(logging.WARNING, logger="convos.sound"):
        assert play_to_the_end()  # started: the worker finds out
        assert "no audio output" in caplog.text
        assert not play_to_the_end()  # silent without asking again
        assert len(player.threads) == 1
        clock.now += 61
        assert play_to_the_end()  # asked again after the back-off
        assert len(player.threads) == 2
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
        assert "Connection refused" in caplog.records[0].getMessage()
        player.fail = None
        clock.now += 61
        assert play_to_the_end()
        assert len(player.clips) == 1  # heard again: the next loss warns again
        player.fail = "PulseAudio: gone"
        clock.now += 1
        assert play_to_the_end()
        assert "gone" in caplog.records[-1].getMessage()


def test_an_unreadable_wav_is_silent_and_logged(qapp, qtbot, tmp_path, caplog):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    reports: list[str | None] = []
    backend = ThreadedBackend(RecordingPlayer(), source=bad)
    with caplog.at_level(logging.WARNING, logger="convos.sound"):
        assert backend.play(0.5, reports.append)
        qtbot.waitUntil(lambda: bool(reports))
    assert reports[0] is not None
    assert "Error" in reports[0]
    assert "the notification sound failed" in caplog.text


def test_the_backend_of_each_platform():
    assert isinstance(default_backend(window_system="offscreen"), SilentBackend)
    assert isinstance(default_backend(platform="linux", window_system="minimal"), SilentBackend)
    linux = default_backend(platform="linux", window_system="xcb")
    assert isinstance(linux, ThreadedBackend)
    assert isinstance(linux.player, PulseSimplePlayer)
    windows = default_backend(platform="win32", window_system="windows")
    assert isinstance(windows, ThreadedBackend)
    assert isinstance(windows.player, WinSoundPlayer)
    assert isinstance(default_backend(platform="darwin", window_system="cocoa"), QtEffectBackend)


# --- libpulse-simple for real: no server, then a PulseAudio daemon with a null sink ---

needs_libpulse = pytest.mark.skipif(
    ctypes.util.find_library("pulse-simple") is None,
    reason="libpulse-simple is not installed (the libpulse0 package, scripts/dev.sh)",
)


@needs_libpulse
def test_no_pulse_server_is_a_silent_play_and_one_warning(
    qapp, qtbot, tmp_path, caplog, monkeypatch
):
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/no-server")
    with pytest.raises(SoundOutputError, match="PulseAudio"):
        PulseSimplePlayer().play(read_wav(sound_path()))
    sound = NotificationSound(settings_at(tmp_path), backend=ThreadedBackend(PulseSimplePlayer()))
    with caplog.at_level(logging.WARNING, logger="convos.sound"):
        assert sound.play()  # started; the worker finds no server
        qtbot.waitUntil(lambda: "no audio output" in caplog.text, timeout=10_000)
        assert not sound.play()  # then silent until the back-off has passed
        assert not sound.play()
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


NULL_SINK = "convos_test"


@pytest.fixture
def pulse_server() -> Iterator[str]:
    """A PulseAudio daemon of its own (no D-Bus, no cookie, a null sink), its server string."""
    binary = shutil.which("pulseaudio")
    if binary is None:
        pytest.skip("the pulseaudio daemon is not installed (scripts/dev.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="convos-pa-"))  # short: a socket path has 108 bytes
    socket = root / "native"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env |= {"HOME": str(root), "XDG_RUNTIME_DIR": str(root), "PULSE_RUNTIME_PATH": str(root)}
    daemon = subprocess.Popen(
        [binary, "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
         "--disable-shm=yes", "--log-target=stderr",
         f"--load=module-null-sink sink_name={NULL_SINK}",
         f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not socket.exists() and daemon.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not socket.exists():
            daemon.kill()
            pytest.fail(f"pulseaudio did not start: {daemon.communicate()[1].decode()[-2000:]}")
        yield f"unix:{socket}"
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(5)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        if daemon.stderr is not None:
            daemon.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


def record_sink(server: str) -> subprocess.Popen[bytes]:
    """``parec`` on the null sink's monitor (mono 16-bit at the WAV's rate), recording."""
    parec = shutil.which("parec")
    if parec is None:
        pytest.skip("parec is not installed (pulseaudio-utils, scripts/dev.sh)")
    env = os.environ | {"PULSE_SERVER": server}
    recorder = subprocess.Popen(
        [parec, "-d", f"{NULL_SINK}.monitor", "--raw", "--format=s16le", "--channels=1",
         "--rate=44100"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    pactl = shutil.which("pactl")
    deadline = time.monotonic() + 10
    while pactl is not None and time.monotonic() < deadline:  # its stream is connected
        listed = subprocess.run(
            [pactl, "list", "short", "source-outputs"], env=env, capture_output=True, text=True
        )
        if listed.stdout.strip():
            break
        time.sleep(0.05)
    return recorder


@needs_libpulse
def test_the_sound_reaches_a_real_pulse_server_at_its_volume(
    qapp, qtbot, tmp_path, monkeypatch, pulse_server
):
    monkeypatch.setenv("PULSE_SERVER", pulse_server)
    recorder = record_sink(pulse_server)
    try:
        reports: list[str | None] = []
        backend = ThreadedBackend(PulseSimplePlayer())
        assert backend.play(0.5, reports.append)
        qtbot.waitUntil(lambda: bool(reports), timeout=15_000)
        assert reports == [None]  # played and drained
        time.sleep(0.3)
    finally:
        recorder.terminate()
        recorded, _ = recorder.communicate(timeout=10)
    heard = samples16(recorded[: len(recorded) // 2 * 2])
    peak = max(map(abs, samples16(read_wav(sound_path()).frames)))
    assert 0.4 * peak < max(map(abs, heard), default=0) < 0.6 * peak  # at half the volume
    assert sum(1 for s in heard if abs(s) > 100) > 5000  # the chime's 0.35 s, not a click


# The app's sound path in a fresh process (Qt builds its media integration once per process;
# a library once mapped stays): "native" plays through this OS's backend as a desktop would
# choose it (the platform named xcb: the process itself is offscreen), "fallback" forces the
# QtMultimedia backend of macOS and other systems, with the real device query and effect.
SOUND_PATH_PROBE = """
import json, sys, time
from PySide6.QtWidgets import QApplication
from convos_desktop.ui.shell.sound import (
    QtEffectBackend, default_backend, probe_audio_outputs, qt_sound_effect,
)

app = QApplication(sys.argv[:1])
reports, outputs, effects, loading = [], [], [], set()

def has_output():
    outputs.append(probe_audio_outputs())
    return True  # the effect plays even without a device: Qt's error status, not a hang

def make_effect(parent):
    from PySide6.QtMultimedia import QSoundEffect

    loading.update({QSoundEffect.Status.Null, QSoundEffect.Status.Loading})
    effects.append(qt_sound_effect(parent))
    return effects[-1]

if sys.argv[1] == "native":
    backend = default_backend(app, window_system="xcb")
else:
    backend = QtEffectBackend(app, has_output=has_output, make_effect=make_effect)
started = backend.play(0.7, reports.append)
deadline = time.monotonic() + 15
while time.monotonic() < deadline and (
    not reports
    or effects and effects[0].status() in loading
):
    app.processEvents()
    time.sleep(0.01)
maps = open("/proc/self/maps").read()
print(json.dumps({"backend": type(backend).__name__, "started": started, "reports": reports,
                  "has_output": any(outputs),
                  "status": effects[0].status().name if effects else None,
                  "libraries": [n for n in ("libQt6Multimedia.so", "libffmpegmediaplugin",
                                            "libavcodec", "libQt6Quick.so", "libQt6Network.so",
                                            "libpulse-simple.so") if n in maps]}))
"""


def run_sound_path(mode: str, **env: str) -> tuple[dict, str]:
    """The probe's report (what it saw and the libraries mapped) and its stderr."""
    environ = {k: v for k, v in os.environ.items() if k != "QT_MEDIA_BACKEND"}
    environ |= {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path(__file__).parents[3])} | env
    done = subprocess.run(
        [sys.executable, "-c", SOUND_PATH_PROBE, mode],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


linux_maps = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/proc/self/maps").exists(),
    reason="the Linux backend, read in /proc/self/maps",
)


@linux_maps
@needs_libpulse
def test_the_linux_sound_loads_no_qt_multimedia(tmp_path):
    report, _stderr = run_sound_path("native", PULSE_SERVER=f"unix:{tmp_path}/no-server")
    assert report["backend"] == "ThreadedBackend"
    assert report["started"]
    assert report["reports"][0].startswith("PulseAudio: ")  # no server here: silent
    assert report["libraries"] == ["libpulse-simple.so"]  # no QtMultimedia, QtNetwork, FFmpeg


@linux_maps
@needs_libpulse
def test_the_linux_sound_plays_on_a_real_server_without_qt_multimedia(pulse_server):
    report, _stderr = run_sound_path("native", PULSE_SERVER=pulse_server)
    assert report["reports"] == [None]  # played and drained
    assert report["libraries"] == ["libpulse-simple.so"]


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps")
def test_the_fallback_sound_loads_no_media_backend_plugin():
    report, stderr = run_sound_path("fallback")
    assert report["backend"] == "QtEffectBackend"
    assert report["started"]
    assert report["reports"] == [None]
    # libQt6Multimedia links QtNetwork: no FFmpeg plugin, no QtQuick
    assert report["libraries"][:1] == ["libQt6Multimedia.so"]
    assert not {"libffmpegmediaplugin", "libavcodec", "libQt6Quick.so"} & set(report["libraries"])
    assert "No QtMultimedia backends found" in stderr
    # A sound device (a desktop): the WAV is ready and plays; none (CI): Qt's error status.
    assert report["status"] == ("Ready" if report["has_output"] else "Error")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps")
def test_a_backend_the_user_names_is_loaded():
    report, _stderr = run_sound_path("fallback", QT_MEDIA_BACKEND="ffmpeg")
    assert "libffmpegmediaplugin" in report["libraries"]

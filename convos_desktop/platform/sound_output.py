"""Playing a short WAV through the operating system's own sound service, without Qt.

The notification sound (``ui/shell/sound.py``) is a 0.35 s chime. Playing it through
QtMultimedia costs its library, its binding, the QtNetwork it links and PulseAudio's client
(about 5 MiB resident on Linux once the first sound is attempted, issue 16). The platform has
a smaller way:

- Linux: ``libpulse-simple`` through :mod:`ctypes` (``pa_simple_new`` / ``pa_simple_write`` /
  ``pa_simple_drain`` / ``pa_simple_free``). PulseAudio and PipeWire's pulse server both speak
  it, and Qt's own Linux audio goes through PulseAudio too, so nothing new is required of the
  desktop (``libpulse0`` is among the Linux packages).
- Windows: the standard library's :func:`winsound.PlaySound` with ``SND_MEMORY``.

A :class:`Player` blocks until the sound has been played (or fails): call it from a worker
thread, never from the GUI thread. The volume is applied to the samples
(:func:`scale_samples`), linearly as ``QSoundEffect.setVolume`` does, so the OS mixer's own
level for the app stays the user's.
"""

from __future__ import annotations

import ctypes
import io
import sys
from array import array
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

# array typecodes of the signed sample widths a WAV holds (8-bit WAV samples are unsigned)
SIGNED_TYPECODES = {2: "h", 4: "i"}


class SoundOutputError(Exception):
    """No sound could be played: no sound server, no device, or its library is missing."""


@dataclass(frozen=True, slots=True)
class Clip:
    """PCM frames as a WAV file holds them (little-endian, interleaved channels)."""

    frames: bytes
    channels: int
    sample_width: int  # bytes per sample: 1 (unsigned), 2 or 4 (signed)
    rate: int

    def at_volume(self, volume: float) -> Clip:
        """The same clip with every sample scaled by ``volume`` (0.0-1.0)."""
        return replace(self, frames=scale_samples(self.frames, self.sample_width, volume))

    def wav_bytes(self) -> bytes:
        """The clip as a whole WAV file in memory (what ``winsound``'s ``SND_MEMORY`` takes)."""
        import wave

        out = io.BytesIO()
        with wave.open(out, "wb") as writer:
            writer.setnchannels(self.channels)
            writer.setsampwidth(self.sample_width)
            writer.setframerate(self.rate)
            writer.writeframes(self.frames)
        return out.getvalue()


def read_wav(path: Path) -> Clip:
    """An uncompressed PCM WAV file's frames and format (``wave.Error`` / ``OSError`` if not).
    :mod:`wave` is imported here, at the first sound, not with the app."""
    import wave

    with wave.open(str(path), "rb") as reader:
        clip = Clip(
            frames=reader.readframes(reader.getnframes()),
            channels=reader.getnchannels(),
            sample_width=reader.getsampwidth(),
            rate=reader.getframerate(),
        )
    if clip.sample_width != 1 and clip.sample_width not in SIGNED_TYPECODES:
        raise wave.Error(f"{clip.sample_width * 8}-bit samples are not supported")
    return clip


def scale_samples(frames: bytes, sample_width: int, volume: float) -> bytes:
    """Little-endian PCM samples multiplied by ``volume`` (clamped to 0.0-1.0, truncated
    toward zero; 8-bit samples are unsigned around 128)."""
    volume = min(max(volume, 0.0), 1.0)
    # Generators, not lists: one int alive at a time (a list of the clip's 15,000 ints left
    # ~0.45 MiB in pymalloc's arenas for good, measured after malloc_trim).
    if sample_width == 1:
        return bytes(128 + int((s - 128) * volume) for s in frames)
    typecode = SIGNED_TYPECODES.get(sample_width)
    if typecode is None:
        raise ValueError(f"{sample_width * 8}-bit samples are not supported")
    samples = array(typecode, frames)
    if sys.byteorder == "big":
        samples.byteswap()
    scaled = array(typecode, (int(s * volume) for s in samples))
    if sys.byteorder == "big":
        scaled.byteswap()
    return scaled.tobytes()


class Player(Protocol):
    """Plays a clip on the OS's sound service; blocking (call it from a worker thread)."""

    def play(self, clip: Clip) -> None:
        """Return once the clip has been played; :class:`SoundOutputError` if it cannot be."""


# PulseAudio's sample formats (pulse/sample.h), by WAV sample width
PA_SAMPLE_U8, PA_SAMPLE_S16LE, PA_SAMPLE_S32LE = 0, 3, 7
PA_FORMATS = {1: PA_SAMPLE_U8, 2: PA_SAMPLE_S16LE, 4: PA_SAMPLE_S32LE}
PA_STREAM_PLAYBACK = 1


class PaSampleSpec(ctypes.Structure):
    """``pa_sample_spec``: format, rate, channels."""

    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


def declare_pulse_simple(simple: ctypes.CDLL, core: ctypes.CDLL) -> None:
    """The C signatures of the four ``pa_simple_*`` calls and ``pa_strerror``."""
    error_p = ctypes.POINTER(ctypes.c_int)
    simple.pa_simple_new.restype = ctypes.c_void_p
    simple.pa_simple_new.argtypes = [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
        ctypes.POINTER(PaSampleSpec), ctypes.c_void_p, ctypes.c_void_p, error_p,
    ]  # fmt: skip
    simple.pa_simple_write.restype = ctypes.c_int
    simple.pa_simple_write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, error_p]
    simple.pa_simple_drain.restype = ctypes.c_int
    simple.pa_simple_drain.argtypes = [ctypes.c_void_p, error_p]
    simple.pa_simple_free.restype = None
    simple.pa_simple_free.argtypes = [ctypes.c_void_p]
    core.pa_strerror.restype = ctypes.c_char_p
    core.pa_strerror.argtypes = [ctypes.c_int]


class PulseSimplePlayer:
    """``libpulse-simple``: one playback stream per clip on the default sink, written whole and
    drained, then closed (no connection is held between sounds).

    The server is libpulse's own choice (``PULSE_SERVER``, the session's socket, PipeWire's
    pulse server); a refused connection, a missing server or a missing library is a
    :class:`SoundOutputError`, never a crash. The libraries are opened at the first play.
    """

    LIBRARY = "libpulse-simple.so.0"
    CORE_LIBRARY = "libpulse.so.0"  # pa_strerror; already loaded by libpulse-simple

    def __init__(self, app_name: str = "Convos Desktop", stream_name: str = "notification") -> None:
        self._app_name = app_name.encode()
        self._stream_name = stream_name.encode()
        self._simple: ctypes.CDLL | None = None
        self._core: ctypes.CDLL | None = None

    def load(self) -> str:
        """Open the libraries (once); their name, or :class:`SoundOutputError`."""
        if self._simple is None:
            try:
                simple = ctypes.CDLL(self.LIBRARY)
                core = ctypes.CDLL(self.CORE_LIBRARY)
            except OSError as exc:
                raise SoundOutputError(f"{self.LIBRARY} not found: {exc}") from exc
            declare_pulse_simple(simple, core)
            self._simple, self._core = simple, core
        return self.LIBRARY

    def play(self, clip: Clip) -> None:
        """Open a stream, write the clip, wait until the server has played it, close."""
        self.load()
        assert self._simple is not None
        pa_format = PA_FORMATS.get(clip.sample_width)
        if pa_format is None:
            raise SoundOutputError(f"{clip.sample_width * 8}-bit samples are not supported")
        spec = PaSampleSpec(pa_format, clip.rate, clip.channels)
        error = ctypes.c_int(0)
        stream = self._simple.pa_simple_new(
            None, self._app_name, PA_STREAM_PLAYBACK, None, self._stream_name,
            ctypes.byref(spec), None, None, ctypes.byref(error),
        )  # fmt: skip
        if not stream:
            raise SoundOutputError(f"PulseAudio: {self._describe(error.value)}")
        try:
            written = self._simple.pa_simple_write(
                stream, clip.frames, len(clip.frames), ctypes.byref(error)
            )
            if written < 0 or self._simple.pa_simple_drain(stream, ctypes.byref(error)) < 0:
                raise SoundOutputError(f"PulseAudio: {self._describe(error.value)}")
        finally:
            self._simple.pa_simple_free(stream)

    def _describe(self, code: int) -> str:
        text = self._core.pa_strerror(code) if self._core is not None else None
        return text.decode(errors="replace") if text else f"error {code}"


class WinSoundPlayer:
    """Windows' ``PlaySound`` from the standard library, the WAV given from memory
    (synchronous: ``SND_MEMORY`` cannot be combined with ``SND_ASYNC``). ``SND_NODEFAULT``:
    no system beep instead when the sound cannot be played."""

    def load(self) -> str:
        """Import :mod:`winsound` (Windows only); its name, or :class:`SoundOutputError`."""
        try:
            import winsound  # noqa: F401
        except ImportError as exc:
            raise SoundOutputError(f"winsound is not available: {exc}") from exc
        return "winsound"

    def play(self, clip: Clip) -> None:
        """Play the clip's WAV bytes and return when it has been played."""
        self.load()
        if sys.platform == "win32":  # the branch mypy checks on Windows only
            import winsound

            try:
                winsound.PlaySound(clip.wav_bytes(), winsound.SND_MEMORY | winsound.SND_NODEFAULT)
            except RuntimeError as exc:  # no output device
                raise SoundOutputError(f"PlaySound: {exc}") from exc

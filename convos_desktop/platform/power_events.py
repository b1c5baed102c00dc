"""Sleep, resume, lock and unlock on Windows and macOS, plus a portable clock-jump fallback.

Linux has logind (``session_watcher.py``). This module adds:

- **Windows**: :class:`WindowsPowerFilter`, a native event filter on the app reading
  ``WM_POWERBROADCAST`` (``PBT_APMSUSPEND`` = going to sleep, ``PBT_APMRESUMEAUTOMATIC`` /
  ``PBT_APMRESUMESUSPEND`` = resumed) and ``WM_WTSSESSION_CHANGE`` (``WTS_SESSION_LOCK`` /
  ``UNLOCK``; the window registers with ``WTSRegisterSessionNotification`` to get them).
- **macOS**: Qt exposes no sleep or screen-lock notification (they live in NSWorkspace and
  the distributed notification centre, out of Qt's reach without Objective-C bindings), so
  sleep is seen by the clock-jump detector and a locked screen is not seen at all: the
  server's 120 s heartbeat TTL still makes a locked, idle Mac unavailable.
- **Everywhere**: :class:`ClockJumpDetector`, a timer comparing the monotonic clock with the
  wall clock. During sleep Linux's and macOS's monotonic clocks stop while the wall clock
  moves on; on Windows the monotonic clock keeps counting, so a tick arriving far later than
  scheduled counts too. Either way the machine was asleep: presence gets asleep then resumed
  (a heartbeat goes out at once).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QAbstractNativeEventFilter, QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QWidget

from convos_desktop.platform.session_watcher import PresenceInputs

log = logging.getLogger("convos.platform")

CHECK_INTERVAL_MS = 5000
JUMP_THRESHOLD_S = 30.0

WM_POWERBROADCAST = 0x0218
PBT_APMSUSPEND = 0x0004
PBT_APMRESUMESUSPEND = 0x0007
PBT_APMRESUMEAUTOMATIC = 0x0012
WM_WTSSESSION_CHANGE = 0x02B1
WTS_SESSION_LOCK = 0x7
WTS_SESSION_UNLOCK = 0x8
NOTIFY_FOR_THIS_SESSION = 0


class WindowsPoint(ctypes.Structure):
    """``POINT`` of the Windows API."""

    _fields_ = [("x", ctypes.c_int32), ("y", ctypes.c_int32)]


class WindowsMsg(ctypes.Structure):
    """``MSG`` of the Windows API (what Qt passes as ``windows_generic_MSG``)."""

    _fields_ = [
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint32),
        ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t),
        ("time", ctypes.c_uint32),
        ("pt", WindowsPoint),
    ]


def apply_windows_message(presence: PresenceInputs, message: int, wparam: int) -> bool:
    """Feed one Windows message to presence; whether it was a power or session message."""
    if message == WM_POWERBROADCAST:
        if wparam == PBT_APMSUSPEND:
            log.info("machine going to sleep (Windows)")
            presence.set_asleep(True)
            return True
        if wparam in (PBT_APMRESUMEAUTOMATIC, PBT_APMRESUMESUSPEND):
            log.info("machine resumed (Windows)")
            presence.set_asleep(False)
            return True
    elif message == WM_WTSSESSION_CHANGE and wparam in (WTS_SESSION_LOCK, WTS_SESSION_UNLOCK):
        locked = wparam == WTS_SESSION_LOCK
        log.info("session %s (Windows)", "locked" if locked else "unlocked")
        presence.set_locked(locked)
        return True
    return False


class WindowsPowerFilter(QAbstractNativeEventFilter):
    """Reads Windows power and session messages before Qt does (never swallows them)."""

    def __init__(self, presence: PresenceInputs) -> None:
        super().__init__()
        self._presence = presence

    def nativeEventFilter(self, eventType: object, message: int) -> object:  # noqa: N803
        kind = bytes(eventType.data()) if hasattr(eventType, "data") else eventType
        if kind == b"windows_generic_MSG" and message:
            msg = WindowsMsg.from_address(int(message))
            apply_windows_message(self._presence, msg.message, msg.wParam)
        return False, 0


def register_session_notifications(window_id: int) -> bool:
    """Ask Windows to send ``WM_WTSSESSION_CHANGE`` to the window (Windows only)."""
    if sys.platform != "win32":
        return False
    wtsapi32 = ctypes.WinDLL("wtsapi32")  # type: ignore[attr-defined,unused-ignore]
    ok = bool(wtsapi32.WTSRegisterSessionNotification(window_id, NOTIFY_FOR_THIS_SESSION))
    if not ok:
        log.info("WTSRegisterSessionNotification failed: lock is not watched")
    return ok


class ClockJumpDetector(QObject):
    """Sees a sleep afterwards from the clocks; see the module docstring."""

    def __init__(
        self,
        presence: PresenceInputs,
        parent: QObject | None = None,
        *,
        interval_ms: int = CHECK_INTERVAL_MS,
        threshold_s: float = JUMP_THRESHOLD_S,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        count_late_ticks: bool = sys.platform == "win32",
    ) -> None:
        super().__init__(parent)
        # Only where the monotonic clock counts sleep (Windows): elsewhere a late tick is a
        # busy or frozen GUI thread, not a sleep, and the stopped monotonic clock tells sleep.
        self._count_late_ticks = count_late_ticks
        self._presence = presence
        self._interval_s = interval_ms / 1000
        self._threshold_s = threshold_s
        self._monotonic = monotonic
        self._wall = wall
        self._last = (monotonic(), wall())
        self.jumps = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        """Check every interval from now on."""
        self._last = (self._monotonic(), self._wall())
        self.timer.start()

    def check(self) -> bool:
        """Compare the clocks since the last check; whether a sleep was seen."""
        monotonic, wall = self._monotonic(), self._wall()
        last_monotonic, last_wall = self._last
        self._last = (monotonic, wall)
        lost = (wall - last_wall) - (monotonic - last_monotonic)  # clock stopped in sleep
        late = (monotonic - last_monotonic) - self._interval_s  # timer starved in sleep
        if not self._count_late_ticks:
            late = 0.0
        if lost < self._threshold_s and late < self._threshold_s:
            return False
        if not _loop_running():
            log.info("clock jump seen with no event loop running (shutting down): ignored")
            return False
        self.jumps += 1
        log.info("clock jump (%.0f s lost, %.0f s late): the machine slept", lost, late)
        self._presence.set_asleep(True)
        self._presence.set_asleep(False)
        return True


def _loop_running() -> bool:
    """Whether the app's asyncio loop runs (presence needs it to act)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class PowerWatcher(QObject):
    """Starts what this OS offers: the Windows filter, and the clock-jump detector always."""

    def __init__(self, presence: PresenceInputs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.presence = presence
        self.clock = ClockJumpDetector(presence, self)
        self.windows_filter: WindowsPowerFilter | None = None

    def start(self, window: QWidget | None = None) -> None:
        """Start watching; on Windows ``window`` receives the session changes."""
        self.clock.start()
        app = QCoreApplication.instance()
        if sys.platform == "win32" and app is not None:
            self.windows_filter = WindowsPowerFilter(self.presence)
            app.installNativeEventFilter(self.windows_filter)
            if window is not None:
                register_session_notifications(int(window.winId()))
        extra = " and Windows messages" if self.windows_filter is not None else ""
        log.info("watching sleep by clock jumps%s", extra)

"""OS sleep/resume and session lock/unlock fed to presence (Linux: logind over D-Bus).

logind's ``PrepareForSleep(bool)`` on the system bus says the machine is going to sleep
(``True``) or resumed (``False``); the session's ``Lock``/``Unlock`` say the screen was locked
or unlocked. Without D-Bus (other OSes, containers) the watcher logs once and does nothing:
the server's 120 s heartbeat TTL still makes a sleeping agent unavailable.
"""

from __future__ import annotations

import logging
import sys
from typing import Protocol

from PySide6.QtCore import SLOT, QObject, Slot

log = logging.getLogger("convos.platform")

LOGIND = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER_INTERFACE = "org.freedesktop.login1.Manager"
SESSION_PATH = "/org/freedesktop/login1/session/auto"
SESSION_INTERFACE = "org.freedesktop.login1.Session"


def slot(signature: str) -> bytes:
    """Qt's ``SLOT()`` string of a slot of this object, as QtDBus wants it."""
    return SLOT(signature).encode()


class PresenceInputs(Protocol):
    """The part of ``core.presence.PresenceDriver`` the watcher feeds."""

    def set_asleep(self, asleep: bool) -> None:
        """The machine goes to sleep, or resumed."""

    def set_locked(self, locked: bool) -> None:
        """The session was locked or unlocked."""


class SessionWatcher(QObject):
    """Forwards logind's sleep and lock signals to ``presence``; see the module docstring."""

    def __init__(self, presence: PresenceInputs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._presence = presence

    def start(self) -> bool:
        """Subscribe to logind; ``False`` (logged once) when there is no system bus."""
        if not sys.platform.startswith("linux"):
            log.info("sleep and lock are not watched on %s", sys.platform)
            return False
        from PySide6.QtDBus import QDBusConnection

        bus = QDBusConnection.systemBus()
        if not bus.isConnected():
            log.info("no D-Bus system bus: sleep and lock are not watched")
            return False
        subscribed = [
            bus.connect(
                LOGIND,
                MANAGER_PATH,
                MANAGER_INTERFACE,
                "PrepareForSleep",
                self,
                slot("on_prepare_for_sleep(bool)"),
            ),
            bus.connect(LOGIND, SESSION_PATH, SESSION_INTERFACE, "Lock", self, slot("on_lock()")),
            bus.connect(
                LOGIND, SESSION_PATH, SESSION_INTERFACE, "Unlock", self, slot("on_unlock()")
            ),
        ]
        if not all(subscribed):
            log.info("logind signals unavailable: sleep and lock are not watched")
            return False
        log.info("watching logind for sleep and lock")
        return True

    @Slot(bool)
    def on_prepare_for_sleep(self, going_to_sleep: bool) -> None:
        """logind: ``True`` before sleeping, ``False`` after resuming."""
        log.info("machine %s", "going to sleep" if going_to_sleep else "resumed")
        self._presence.set_asleep(going_to_sleep)

    @Slot()
    def on_lock(self) -> None:
        """logind: the session was locked."""
        log.info("session locked")
        self._presence.set_locked(True)

    @Slot()
    def on_unlock(self) -> None:
        """logind: the session was unlocked."""
        log.info("session unlocked")
        self._presence.set_locked(False)

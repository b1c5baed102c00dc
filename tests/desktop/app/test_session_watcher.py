"""Sleep/resume and lock/unlock reach presence the way logind's D-Bus signals would."""

from __future__ import annotations

import logging

from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.types import Screen, Status
from convos_desktop.platform.session_watcher import SessionWatcher


def make_presence(clock) -> tuple[PresenceDriver, list[tuple[Status, Screen]]]:
    sent: list[tuple[Status, Screen]] = []

    async def send(status: Status, screen: Screen) -> None:
        sent.append((status, screen))

    return PresenceDriver(send, clock=clock), sent


def test_sleep_and_resume(clock, qapp) -> None:
    presence, _sent = make_presence(clock)
    watcher = SessionWatcher(presence)
    watcher.on_prepare_for_sleep(True)
    assert presence.machine.inputs.asleep
    assert presence.effective is Status.UNAVAILABLE
    watcher.on_prepare_for_sleep(False)
    assert not presence.machine.inputs.asleep
    assert presence.effective is Status.ONLINE


def test_lock_starts_the_grace_and_unlock_ends_it(clock, qapp) -> None:
    presence, _sent = make_presence(clock)
    watcher = SessionWatcher(presence)
    watcher.on_lock()
    clock.advance(119)
    assert presence.effective is Status.ONLINE
    clock.advance(2)
    assert presence.effective is Status.UNAVAILABLE
    watcher.on_unlock()
    assert presence.effective is Status.ONLINE


def test_without_a_bus_it_does_nothing(clock, qapp, caplog, monkeypatch) -> None:
    presence, _sent = make_presence(clock)
    caplog.set_level(logging.INFO, "convos.platform")
    monkeypatch.setattr("sys.platform", "plan9")
    assert SessionWatcher(presence).start() is False
    assert "not watched" in caplog.text

"""Sleep, lock and clock jumps reach presence, with the OS edge faked (a Windows MSG in
memory, clocks that jump)."""

from __future__ import annotations

import asyncio
import ctypes

import pytest

from convos_desktop.core.presence import PresenceDriver
from convos_desktop.platform.power_events import (
    PBT_APMRESUMEAUTOMATIC,
    PBT_APMSUSPEND,
    WM_POWERBROADCAST,
    WM_WTSSESSION_CHANGE,
    WTS_SESSION_LOCK,
    WTS_SESSION_UNLOCK,
    ClockJumpDetector,
    PowerWatcher,
    WindowsMsg,
    WindowsPowerFilter,
    apply_windows_message,
)
from tests.fakes import FakeClock


class RecordingPresence:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def set_asleep(self, asleep: bool) -> None:
        self.calls.append(("asleep", asleep))

    def set_locked(self, locked: bool) -> None:
        self.calls.append(("locked", locked))


def native_message(message: int, wparam: int) -> tuple[WindowsMsg, int]:
    msg = WindowsMsg(hwnd=None, message=message, wParam=wparam, lParam=0, time=0)
    return msg, ctypes.addressof(msg)


def test_windows_sleep_and_lock_messages_through_the_native_filter():
    presence = RecordingPresence()
    native_filter = WindowsPowerFilter(presence)
    for message, wparam in [
        (WM_POWERBROADCAST, PBT_APMSUSPEND),
        (WM_POWERBROADCAST, PBT_APMRESUMEAUTOMATIC),
        (WM_WTSSESSION_CHANGE, WTS_SESSION_LOCK),
        (WM_WTSSESSION_CHANGE, WTS_SESSION_UNLOCK),
        (0x0100, 0),  # WM_KEYDOWN: not ours
    ]:
        msg, address = native_message(message, wparam)
        assert native_filter.nativeEventFilter(b"windows_generic_MSG", address) == (False, 0)
        del msg
    assert presence.calls == [
        ("asleep", True),
        ("asleep", False),
        ("locked", True),
        ("locked", False),
    ]


def test_other_native_events_are_ignored():
    presence = RecordingPresence()
    _msg, address = native_message(WM_POWERBROADCAST, PBT_APMSUSPEND)
    assert WindowsPowerFilter(presence).nativeEventFilter(b"xcb_generic_event_t", address)
    assert presence.calls == []
    assert not apply_windows_message(presence, WM_POWERBROADCAST, 0x000A)  # power status


class FakeClocks:
    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = 1_700_000_000.0

    def tick(self, seconds: float, *, slept: float = 0.0, monotonic_counts_sleep: bool = False):
        self.monotonic += seconds + (slept if monotonic_counts_sleep else 0.0)
        self.wall += seconds + slept


@pytest.fixture
def clocks():
    return FakeClocks()


def detector(presence, clocks, *, count_late_ticks: bool = False) -> ClockJumpDetector:
    return ClockJumpDetector(
        presence,
        interval_ms=5000,
        monotonic=lambda: clocks.monotonic,
        wall=lambda: clocks.wall,
        count_late_ticks=count_late_ticks,
    )


async def test_a_sleep_on_linux_or_macos_is_seen_from_the_stopped_monotonic_clock(qapp, clocks):
    presence = RecordingPresence()
    watch = detector(presence, clocks)
    clocks.tick(5)
    assert not watch.check()
    clocks.tick(5, slept=3600)
    assert watch.check()
    assert presence.calls == [("asleep", True), ("asleep", False)]


async def test_a_sleep_on_windows_is_seen_from_the_late_tick(qapp, clocks):
    presence = RecordingPresence()
    watch = detector(presence, clocks, count_late_ticks=True)
    clocks.tick(5, slept=600, monotonic_counts_sleep=True)
    assert watch.check()
    assert watch.jumps == 1


async def test_a_frozen_gui_thread_is_not_sleep_where_the_monotonic_clock_stops_in_sleep(
    qapp, clocks
):
    presence = RecordingPresence()
    watch = detector(presence, clocks)  # Linux, macOS
    clocks.tick(95)  # a tick 90 s late, both clocks moved on together
    assert not watch.check()
    assert presence.calls == []


def test_a_jump_seen_while_no_event_loop_runs_is_ignored(qapp, clocks):
    """At shutdown (or between a test's loops) the timer may still tick: nothing to tell."""
    presence = RecordingPresence()
    watch = detector(presence, clocks)
    clocks.tick(5, slept=3600)
    assert not watch.check()
    assert presence.calls == []


async def test_small_delays_and_clock_adjustments_are_not_sleep(qapp, clocks):
    presence = RecordingPresence()
    watch = detector(presence, clocks)
    clocks.tick(7)  # a busy GUI thread
    assert not watch.check()
    clocks.wall += 2  # NTP nudging the wall clock
    clocks.tick(5)
    assert not watch.check()
    assert presence.calls == []


async def test_a_clock_jump_makes_the_real_presence_beat_again(qapp, clocks):
    sent: list[object] = []

    async def put_presence(status, screen):
        sent.append((status, screen))

    presence = PresenceDriver(put_presence, clock=FakeClock())
    presence.start()
    await presence.wait_sent()
    before = len(sent)
    watch = detector(presence, clocks)
    clocks.tick(5, slept=900)
    assert watch.check()
    await asyncio.sleep(0)
    await presence.wait_sent()
    assert not presence.machine.inputs.asleep  # resumed
    assert len(sent) == before + 1  # and told the server at once
    presence.stop()


def test_the_watcher_starts_its_timer(qapp):
    watcher = PowerWatcher(RecordingPresence())
    watcher.start(None)
    assert watcher.clock.timer.isActive()
    watcher.clock.timer.stop()

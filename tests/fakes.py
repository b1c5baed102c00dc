"""Test doubles shared by the test folders: only for edges that cannot run for real."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class FakeTimer:
    """A timer handle of :class:`FakeClock`."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A presence clock whose time only moves when the test says so; fires due timers in order."""

    def __init__(self) -> None:
        self.time = 1000.0
        self._timers: list[tuple[float, int, FakeTimer, Callable[[], None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer()
        heapq.heappush(self._timers, (self.time + delay, next(self._order), timer, callback))
        return timer

    def advance(self, seconds: float) -> None:
        end = self.time + seconds
        while self._timers and self._timers[0][0] <= end:
            when, _, timer, callback = heapq.heappop(self._timers)
            self.time = when
            if not timer.cancelled:
                callback()
        self.time = end

"""One timer for the keep-alive comments of all the event streams of a process.

Every stream must write something at least every ``keepalive_s`` seconds (proxies and the
client's watchdog drop a silent connection). A timer per stream meant a timer handle
created, pushed on and popped from the loop's heap per stream and ping. ``KeepAliveWheel``
keeps the streams in ``SLOTS`` slots and one timer ticks every ``keepalive_s / SLOTS``,
calling the pings of one slot per tick: each stream is pinged every ``keepalive_s`` as
before, the first time between ``keepalive_s * (SLOTS - 1) / SLOTS`` and ``keepalive_s``
after it joined, and the pings stay spread over the period (not 1,000 writes at once). The
timer runs only while a stream is registered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

SLOTS = 16


class KeepAliveWheel:
    """Calls each registered ping every ``period_s`` seconds from one timer (see module)."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self._tick_s = period_s / SLOTS
        self._slots: list[set[Callable[[], None]]] = [set() for _ in range(SLOTS)]
        self._slot_of: dict[Callable[[], None], int] = {}
        self._next = 0  # the slot the next tick pings
        self._timer: asyncio.TimerHandle | None = None
        self._due = 0.0

    def add(self, ping: Callable[[], None]) -> None:
        """Call ``ping`` every ``period_s`` from now on (the first time within one period)."""
        if not self._slot_of:
            loop = asyncio.get_running_loop()
            self._due = loop.time() + self._tick_s
            self._timer = loop.call_at(self._due, self._tick)
        slot = (self._next - 1) % SLOTS  # the slot pinged last: its next turn is the latest
        self._slots[slot].add(ping)
        self._slot_of[ping] = slot

    def remove(self, ping: Callable[[], None]) -> None:
        """Stop calling ``ping`` (no error when it is not registered)."""
        slot = self._slot_of.pop(ping, None)
        if slot is not None:
            self._slots[slot].discard(ping)
        if not self._slot_of and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        slot = self._next
        self._next = (slot + 1) % SLOTS
        for ping in list(self._slots[slot]):
            ping()
        if self._slot_of:
            loop = asyncio.get_running_loop()
            self._due = max(self._due + self._tick_s, loop.time())
            self._timer = loop.call_at(self._due, self._tick)
        else:
            self._timer = None

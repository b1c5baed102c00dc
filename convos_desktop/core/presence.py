"""Presence: a pure state machine of the agent's situation, and a driver sending heartbeats.

Rules (DESIGN.md section 1, docs/protocol.md "Presence"):

- the status the agent chose is sent while it is on the conversation screens; any other screen
  sends ``screen=other`` at once (the server then shows *unavailable*);
- the window closed to the tray, or the session locked, turns into ``screen=other`` after a
  2-minute grace unless the window is shown (or unlocked) again; minimising is not closing;
- while the machine sleeps nothing is sent (the server's 120 s TTL covers it); on resume the
  right status is sent at once;
- when the event stream reconnects the status is asserted again at once;
- a heartbeat goes out every 30 s and at once on any change.

The chosen status is kept in the heartbeat's ``status`` even when away, so the server keeps
the agent's choice (``chosen_status``) and the effective status comes from ``screen``.
Time comes from a :class:`Clock`; tests use a fake one and never wait.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.api import ApiError
from convos_desktop.core.types import ConnectionState, Screen, Status, WindowState

log = logging.getLogger("convos.presence")

HEARTBEAT_SECONDS = 30.0
AWAY_GRACE_SECONDS = 120.0


class TimerHandle(Protocol):
    """What :meth:`Clock.call_later` returns."""

    def cancel(self) -> None:
        """Do not run the callback."""


class Clock(Protocol):
    """Monotonic time and timers (the asyncio loop in the app, a fake clock in tests)."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` after ``delay`` seconds."""


class LoopClock:
    """A :class:`Clock` on the running asyncio loop."""

    def now(self) -> float:
        """The loop's monotonic time."""
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """``loop.call_later``."""
        return asyncio.get_running_loop().call_later(delay, callback)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What ``PUT /presence`` sends."""

    status: Status
    screen: Screen


@dataclass(frozen=True, slots=True)
class PresenceInputs:
    """Everything presence depends on; ``hidden_since`` is when the window went to the tray
    or the session was locked (``None`` while neither)."""

    chosen: Status = Status.ONLINE
    screen: Screen = Screen.CONVERSATIONS
    window: WindowState = WindowState.VISIBLE
    locked: bool = False
    asleep: bool = False
    hidden_since: float | None = None


class PresenceMachine:
    """Pure presence rules: inputs plus the time give the heartbeat and the effective status."""

    def __init__(self, inputs: PresenceInputs | None = None, grace: float = AWAY_GRACE_SECONDS):
        self.inputs = inputs or PresenceInputs()
        self.grace = grace

    def _replace(self, now: float, **changes: object) -> None:
        inputs = dataclasses.replace(self.inputs, **changes)  # type: ignore[arg-type]
        hidden = inputs.window is WindowState.CLOSED_TO_TRAY or inputs.locked
        if not hidden:
            inputs = dataclasses.replace(inputs, hidden_since=None)
        elif inputs.hidden_since is None:
            inputs = dataclasses.replace(inputs, hidden_since=now)
        self.inputs = inputs

    def choose(self, status: Status, now: float) -> None:
        """The agent picked a status in the header."""
        self._replace(now, chosen=status)

    def set_screen(self, screen: Screen, now: float) -> None:
        """The agent moved to the conversation screens or to another screen."""
        self._replace(now, screen=screen)

    def set_window(self, window: WindowState, now: float) -> None:
        """The main window was shown, minimised or closed to the tray."""
        self._replace(now, window=window)

    def set_locked(self, locked: bool, now: float) -> None:
        """The OS session was locked or unlocked."""
        self._replace(now, locked=locked)

    def set_asleep(self, asleep: bool, now: float) -> None:
        """The machine is going to sleep (``True``) or resumed (``False``)."""
        self._replace(now, asleep=asleep)

    def away(self, now: float) -> bool:
        """Hidden (tray or lock) for at least the grace period."""
        since = self.inputs.hidden_since
        return since is not None and now - since >= self.grace

    def heartbeat(self, now: float) -> Heartbeat | None:
        """What to send now; ``None`` while asleep (nothing can be sent)."""
        if self.inputs.asleep:
            return None
        screen = Screen.OTHER if self.away(now) else self.inputs.screen
        return Heartbeat(self.inputs.chosen, screen)

    def effective(self, now: float) -> Status:
        """The status the server will show for these inputs."""
        beat = self.heartbeat(now)
        if beat is None or beat.screen is Screen.OTHER:
            return Status.UNAVAILABLE
        return beat.status

    def next_deadline(self, now: float) -> float | None:
        """When the outcome changes by itself (the end of the grace), if it will."""
        since = self.inputs.hidden_since
        if since is None or self.away(now):
            return None
        return since + self.grace


SendHeartbeat = Callable[[Status, Screen], Awaitable[object]]


class PresenceDriver(QObject):
    """Feeds a :class:`PresenceMachine` and sends its heartbeat every 30 s and on change.

    Emits ``effective_changed(Status)`` for the header. ``send`` is usually
    ``ApiClient.put_presence``; its failures are logged and the next beat tries again.
    """

    effective_changed = Signal(object)

    def __init__(
        self,
        send: SendHeartbeat,
        *,
        clock: Clock | None = None,
        machine: PresenceMachine | None = None,
        interval: float = HEARTBEAT_SECONDS,
    ) -> None:
        super().__init__()
        self._send = send
        self._clock = clock or LoopClock()
        self.machine = machine or PresenceMachine()
        self._interval = interval
        self._beat_timer: TimerHandle | None = None
        self._deadline_timer: TimerHandle | None = None
        self._last_sent: Heartbeat | None = None
        self._effective: Status | None = None
        self._running = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def effective(self) -> Status:
        """The effective status the agent has (as far as the client knows)."""
        return self.machine.effective(self._clock.now())

    def start(self) -> None:
        """Send the current status now and every ``interval`` seconds."""
        self._running = True
        self._update(force=True)

    def stop(self) -> None:
        """Stop sending (logout, quit)."""
        self._running = False
        for timer in (self._beat_timer, self._deadline_timer):
            if timer is not None:
                timer.cancel()
        self._beat_timer = self._deadline_timer = None

    async def wait_sent(self) -> None:
        """Wait for the heartbeats in flight (tests, quit)."""
        while pending := [t for t in self._tasks if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    # --- inputs ---------------------------------------------------------------------------

    def choose(self, status: Status) -> None:
        """The agent picked a status."""
        self.machine.choose(status, self._clock.now())
        self._update()

    def set_screen(self, screen: Screen) -> None:
        """The agent changed screen."""
        self.machine.set_screen(screen, self._clock.now())
        self._update()

    def set_window(self, window: WindowState) -> None:
        """The window was shown, minimised or closed to the tray."""
        self.machine.set_window(window, self._clock.now())
        self._update()

    def set_locked(self, locked: bool) -> None:
        """The session was locked or unlocked."""
        self.machine.set_locked(locked, self._clock.now())
        self._update()

    def set_asleep(self, asleep: bool) -> None:
        """The machine goes to sleep, or resumed (then the status is sent at once)."""
        self.machine.set_asleep(asleep, self._clock.now())
        self._update(force=not asleep)

    def set_connection(self, state: ConnectionState) -> None:
        """The event stream's state; a reconnection asserts the status again at once."""
        if state is ConnectionState.CONNECTED:
            self._update(force=True)

    # --- sending --------------------------------------------------------------------------

    def _update(self, *, force: bool = False) -> None:
        now = self._clock.now()
        effective = self.machine.effective(now)
        if effective != self._effective:
            self._effective = effective
            self.effective_changed.emit(effective)
        if not self._running:
            return
        self._arm_deadline(now)
        beat = self.machine.heartbeat(now)
        if beat is None:
            if self._beat_timer is not None:
                self._beat_timer.cancel()
                self._beat_timer = None
            return
        if force or beat != self._last_sent:
            self._beat(beat)

    def _arm_deadline(self, now: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        deadline = self.machine.next_deadline(now)
        if deadline is not None:
            self._deadline_timer = self._clock.call_later(max(0.0, deadline - now), self._update)

    def _beat(self, beat: Heartbeat) -> None:
        self._last_sent = beat
        if self._beat_timer is not None:
            self._beat_timer.cancel()
        self._beat_timer = self._clock.call_later(self._interval, self._periodic)
        task = asyncio.get_running_loop().create_task(self._deliver(beat))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _periodic(self) -> None:
        self._beat_timer = None
        if self._running:
            self._update(force=True)

    async def _deliver(self, beat: Heartbeat) -> None:
        log.debug("heartbeat %s/%s", beat.status.value, beat.screen.value)
        try:
            await self._send(beat.status, beat.screen)
        except ApiError as exc:
            log.info("heartbeat not delivered: %s", exc.code)

"""The live event stream (``GET /events``, Server-Sent Events) with resume and reconnection.

:class:`EventStream` keeps one SSE connection open, resumes with ``Last-Event-ID`` from the
cursor its owner gives, reconnects with exponential backoff and full jitter (reset after a
healthy connection), treats a connection that stays silent for 2.5 keep-alive periods as dead,
and reports its :class:`~convos_desktop.core.types.ConnectionState` as a QtCore signal.
Each event goes to the ``on_event`` callback; ``core.sync`` owns the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse
from PySide6.QtCore import QObject, Signal

from convos_desktop.core.api import ApiClient, ApiError, AuthError, error_from_response
from convos_desktop.core.types import ConnectionState

log = logging.getLogger("convos.events")

KEEPALIVE_SECONDS = 15.0
# Live-only events (docs/protocol.md "Events"): no id, never stored, never move the cursor.
EPHEMERAL_TYPES = frozenset({"conversation.viewing", "conversation.typing"})
EPHEMERAL_SEQ = 0
SILENCE_FACTOR = 2.5


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One event of the stream: ``seq`` (the SSE id; ``EPHEMERAL_SEQ`` for a live-only
    event), ``type`` and decoded ``data``."""

    seq: int
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: a delay in ``[0, min(cap, base * 2**attempt)]``."""

    base: float = 0.5
    cap: float = 30.0
    healthy_after: float = 10.0  # a connection that lived this long resets the attempts

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The delay before reconnect attempt number ``attempt`` (0-based)."""
        return rng.uniform(0.0, min(self.cap, self.base * (2 ** min(attempt, 30))))


class EventStream(QObject):
    """One SSE connection kept alive; emits ``state_changed(ConnectionState)``.

    ``cursor()`` gives the id of the last applied event (``None``: from now on);
    ``on_event(event)`` is called for each event in order; ``before_connect()`` is awaited
    before each connection attempt (sync bootstraps there when it has no cursor), and its
    failure counts as a failed attempt. A 401 stops the stream and emits ``auth_failed``.
    """

    state_changed = Signal(object)
    auth_failed = Signal()

    def __init__(
        self,
        api: ApiClient,
        cursor: Callable[[], int | None],
        on_event: Callable[[ServerEvent], None],
        *,
        before_connect: Callable[[], Awaitable[None]] | None = None,
        keepalive: float = KEEPALIVE_SECONDS,
        silence_factor: float = SILENCE_FACTOR,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self._api = api
        self._cursor = cursor
        self._on_event = on_event
        self._before_connect = before_connect
        self.silence_timeout = keepalive * silence_factor
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._state = ConnectionState.OFFLINE
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._response: httpx.Response | None = None
        self.connections = 0  # successful connections so far (for diagnostics and tests)

    @property
    def state(self) -> ConnectionState:
        """The current connection state."""
        return self._state

    def start(self) -> None:
        """Connect (in the background) and keep connected until :meth:`stop`."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="convos-sse")

    async def stop(self) -> None:
        """Disconnect and stay offline."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_state(ConnectionState.OFFLINE)

    def reconnect_now(self) -> None:
        """Drop the current connection (if any) and connect again without waiting.

        For OS resume and network-change hints: the old socket may be dead without knowing it.
        """
        self._wake.set()
        response = self._response
        if response is not None:
            asyncio.get_running_loop().create_task(response.aclose())

    def _set_state(self, state: ConnectionState) -> None:
        if state is not self._state:
            log.info("event stream %s -> %s", self._state.value, state.value)
            self._state = state
            self.state_changed.emit(state)

    async def _run(self) -> None:
        attempt = 0
        self._set_state(ConnectionState.CONNECTING)
        while True:
            started = time.monotonic()
            try:
                await self._connect_once()
            except AuthError:
                log.warning("event stream refused the token")
                self._set_state(ConnectionState.OFFLINE)
                self.auth_failed.emit()
                return
            except (ApiError, httpx.HTTPError, SSEError, OSError, ValueError) as exc:
                log.info("event stream lost: %r", exc)
            finally:
                self._response = None
            if time.monotonic() - started >= self._backoff.healthy_after:
                attempt = 0
            self._set_state(ConnectionState.RECONNECTING)
            delay = 0.0 if self._wake.is_set() else self._backoff.delay(attempt, self._rng)
            attempt += 1
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()

    async def _connect_once(self) -> None:
        if self._before_connect is not None:
            await self._before_connect()
        headers = self._api.auth_headers()
        cursor = self._cursor()
        if cursor is not None:
            headers["Last-Event-ID"] = str(cursor)
        timeout = httpx.Timeout(10.0, read=self.silence_timeout)
        async with (
            self._api.in_flight(),
            aconnect_sse(
                self._api.http, "GET", "/events", headers=headers, timeout=timeout
            ) as source,
        ):
            response = source.response
            if response.status_code >= 400:
                await response.aread()
                raise error_from_response(response)
            self._response = response
            self.connections += 1
            self._set_state(ConnectionState.CONNECTED)
            async for sse in source.aiter_sse():
                if sse.event in EPHEMERAL_TYPES:  # sent without an id (SSE keeps the last)
                    self._on_event(ServerEvent(EPHEMERAL_SEQ, sse.event, json.loads(sse.data)))
                    continue
                # Every stored event has an id and data. httpx-sse also yields the blank line
                # after a keep-alive comment, with no data and the previous event's id: it is
                # not that event again.
                if not sse.id or not sse.data:
                    continue
                event = ServerEvent(int(sse.id), sse.event, json.loads(sse.data))
                self._on_event(event)
        raise httpx.RemoteProtocolError("event stream ended")

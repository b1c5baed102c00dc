"""The ASGI response of ``GET /events``: one agent's Server-Sent Events stream.

One task per stream does all the writing: the catch-up from the table after the client's
cursor, then whatever the bus handed to the stream's ``Subscription`` since the last write,
all of it in one ``send`` of the frames the bus encoded once per event. Keep-alive comments
come from a timer callback that wakes the same task, so no task sleeps for them. uvicorn
drops writes to a closed connection without an error, so a small watcher waits on
``receive()`` for ``http.disconnect`` and ends the stream; a failed send ends it too. Server
shutdown (``EventBus.close_subscriptions``) ends every stream with the end of the response,
and so does the revocation of the stream's token (``tokens.revoked``, in every process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from convos_server.api.shallow import in_child_task
from convos_server.db import models as m
from convos_server.services.events import (
    EPHEMERAL_SEQ,
    EventBus,
    StoredEvent,
    Subscription,
    is_visible,
    sse_frame,
)

log = logging.getLogger("convos.events")

PING_FRAME = b": ping\r\n\r\n"
_HEADERS = {"Cache-Control": "no-store", "Connection": "keep-alive", "X-Accel-Buffering": "no"}


def reset_frame(seq: int) -> bytes:
    """The ``reset`` event telling the client to bootstrap again and go on from ``seq``."""
    return sse_frame(seq, "reset", json.dumps({"event_seq": seq}))


def _body(chunk: bytes) -> dict[str, object]:
    return {"type": "http.response.body", "body": chunk, "more_body": True}


class EventStreamResponse(Response):
    """Streams the events ``agent`` may see after ``cursor`` (``None``: from now on).

    Catch-up and live events meet without a gap or a duplicate: the subscription starts
    before the table is read, and the live side skips what the catch-up already wrote.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        bus: EventBus,
        agent: m.Agent,
        cursor: int | None,
        keepalive_s: float,
        token_hash: str | None = None,
    ) -> None:
        # Not Response.__init__: that would announce an empty body (content-length: 0).
        self.status_code = 200
        self.background = None
        self.init_headers(_HEADERS)
        self._bus = bus
        self._agent: m.Agent | None = agent
        self._token_hash = token_hash
        self._cursor = cursor
        self._keepalive_s = keepalive_s
        self._ping_due = False
        self._pinger: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the stream until the client leaves, the server shuts down, or it overflows."""
        start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
        if scope.get("method") == "HEAD":
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        assert self._agent is not None, "an EventStreamResponse streams once"
        subscription = await in_child_task(self._bus.subscribe(self._agent, self._token_hash))
        self._agent = None  # the stream only needs the subscription's visibility
        if subscription.revoked:
            await _refuse_revoked(send)
            return
        watcher = asyncio.create_task(_close_on_disconnect(receive, subscription))
        self._arm_ping(subscription)
        try:
            await send(start)
            last = await in_child_task(self._catch_up(send, subscription))
            await self._live(send, subscription, last)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            log.debug("event stream ended by a failed send", exc_info=True)
        finally:
            if self._pinger is not None:
                self._pinger.cancel()
            watcher.cancel()
            self._bus.unsubscribe(subscription)

    def _arm_ping(self, subscription: Subscription) -> None:
        self._pinger = asyncio.get_running_loop().call_later(
            self._keepalive_s, self._ping, subscription
        )

    def _ping(self, subscription: Subscription) -> None:
        self._ping_due = True
        subscription.wake()

    async def _catch_up(self, send: Send, subscription: Subscription) -> int:
        """Write the stored events after the cursor (or one ``reset``); the last seq written."""
        if self._cursor is None:
            return subscription.start_seq
        head, resumable = await self._bus.resume_point(self._cursor)
        if not resumable:  # newer than the head, expired, or from a restored database's past
            await send(_body(reset_frame(head)))
            return head
        last = self._cursor
        async for batch in self._bus.read(self._cursor, subscription.start_seq):
            frames = [e.frame for e in batch if is_visible(e, subscription.visibility)]
            if frames:
                await send(_body(b"".join(frames)))
            last = batch[-1].seq
        return last

    async def _live(self, send: Send, subscription: Subscription, last: int) -> None:
        """Write what the bus hands over, every wake-up in one send, until the stream ends."""
        while True:
            await subscription.wait()
            chunk, last = _frames_after(subscription.take(), last)
            if self._ping_due:
                self._ping_due = False
                chunk += PING_FRAME
                self._arm_ping(subscription)
            if chunk:
                await send(_body(chunk))
            if subscription.overflowed:
                log.info(
                    "event stream of agent %s overflowed; the client resumes",
                    subscription.visibility.agent_id,
                )
                return
            if subscription.closed:
                return


async def _refuse_revoked(send: Send) -> None:
    """401 ``unauthorized``: the token was revoked between the check and the subscription."""
    body = json.dumps(
        {"code": "unauthorized", "message": "Your session has ended; log in again"}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _frames_after(events: Iterable[StoredEvent], last: int) -> tuple[bytes, int]:
    """The frames of ``events`` newer than ``last``, joined; the new last seq."""
    frames = []
    for event in events:
        if event.seq == EPHEMERAL_SEQ:  # live only: no id, whatever the cursor
            frames.append(event.frame)
        elif event.seq > last:
            frames.append(event.frame)
            last = event.seq
    return b"".join(frames), last


async def _close_on_disconnect(receive: Receive, subscription: Subscription) -> None:
    """Close ``subscription`` when the client disconnects (the request body is ignored)."""
    with contextlib.suppress(OSError):
        while (await receive())["type"] != "http.disconnect":
            pass
    subscription.close()

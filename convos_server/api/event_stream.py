"""The ASGI response of ``GET /events``: one agent's Server-Sent Events stream.

The stream's task writes the catch-up from the table after the client's cursor, then
whatever the bus handed to the stream's ``Subscription`` meanwhile, all of it in one ``send``
of the frames the bus encoded once per event. Then, with nothing left to write, it attaches
a writer to the subscription and sleeps: the bus delivers each event by calling that writer
(``_send_now``), so a delivery wakes no task. Served by ``convos-server`` (uvicorn with
httptools), the writer writes the frames as one body chunk straight to the connection's
transport (``convos_server.body_writer``: no ASGI message, no send wrapper per delivery);
when that is refused (the write buffer is above its high-water mark, the client is gone) or
the server offers no such writer, it runs the ASGI ``send`` of the frames on the spot (the
send coroutine driven by hand; it ends at once unless the connection's write buffer is full).
When a send does have to wait (the client reads too slowly), the writer detaches, the
stream's task finishes that send and goes back to writing what the bus hands over by
``take``, as before, until it is caught up again: the bytes stay in order, none is lost.
Keep-alive comments come from the process's one ``KeepAliveWheel`` timer, written the same
way (or by the task while it is detached), so no task sleeps for them. uvicorn drops writes
to a closed connection without an error, so a small watcher waits on ``receive()`` for
``http.disconnect`` and ends the stream; a failed send ends it too. Server shutdown
(``EventBus.close_subscriptions``) ends every stream with the end of the response, and so
does the revocation of the stream's token (``tokens.revoked``, in every process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine, Generator
from typing import Any, cast

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from convos_server.api.keepalive import KeepAliveWheel
from convos_server.api.shallow import in_child_task
from convos_server.body_writer import BodyWriter, body_writer
from convos_server.db import models as m
from convos_server.services.events import (
    EventBus,
    Subscription,
    http_chunk,
    is_visible,
    sse_frame,
)

log = logging.getLogger("convos.events")

PING_FRAME = b": ping\r\n\r\n"
PING_CHUNK = http_chunk(PING_FRAME)
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
        keepalive: KeepAliveWheel,
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
        self._keepalive = keepalive
        self._ping_due = False
        self._send: Send | None = None
        self._direct: BodyWriter | None = None
        self._subscription: Subscription | None = None
        self._stalled: _Unfinished | None = None
        self._failed = False

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
        self._subscription = subscription
        self._keepalive.add(self._ping)
        try:
            await send(start)
            direct = body_writer(scope)
            self._direct = direct if direct is not None and direct.ready else None
            last = await in_child_task(self._catch_up(send, subscription))
            await self._live(send, subscription, last)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            log.debug("event stream ended by a failed send", exc_info=True)
        finally:
            self._keepalive.remove(self._ping)
            watcher.cancel()
            self._bus.unsubscribe(subscription)

    def _ping(self) -> None:
        """The keep-alive comment: written now while attached, else by the stream's task."""
        subscription = self._subscription
        assert subscription is not None
        if subscription.attached:
            self._send_now(PING_FRAME, PING_CHUNK)
        else:
            self._ping_due = True
            subscription.wake()

    def _send_now(self, frames: bytes, chunk: bytes | None) -> None:
        """The attached writer: write ``frames`` before returning (straight to the transport
        when it can, as the shared ``chunk`` when there is one, else by ``send``), or hand
        the send that has to wait (a full write buffer) to the stream's task, detached."""
        direct = self._direct
        if direct is not None and direct.write(frames, chunk):
            return
        assert self._send is not None
        assert self._subscription is not None
        # Every ASGI send on the way (uvicorn's and the middlewares') is a coroutine.
        sending = cast(Coroutine[Any, Any, None], self._send(_body(frames)))
        try:
            waiting_for = sending.send(None)
        except StopIteration:
            return
        except Exception:  # never into the bus's reader: the stream ends instead
            log.debug("event stream ended by a failed send", exc_info=True)
            self._failed = True
            self._subscription.close()
            return
        self._stalled = _Unfinished(sending, waiting_for)
        self._subscription.detach()
        self._subscription.wake()

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
        """Write what the bus hands over until the stream ends: while caught up through the
        attached writer, else every wake-up in one send."""
        subscription.last_seq = max(subscription.last_seq, last)
        self._send = send
        self._subscription = subscription
        try:
            while True:
                if self._stalled is not None:
                    stalled, self._stalled = self._stalled, None
                    await stalled
                chunk = subscription.take_frames()
                if self._ping_due:
                    self._ping_due = False
                    chunk += PING_FRAME
                if chunk:
                    await send(_body(chunk))
                if subscription.overflowed:
                    log.info(
                        "event stream of agent %s overflowed; the client resumes",
                        subscription.visibility.agent_id,
                    )
                    return
                if subscription.closed:
                    if self._failed:
                        raise OSError("a send of the event stream failed")
                    return
                subscription.attach(self._send_now)
                await subscription.wait()
        finally:
            subscription.detach()


async def _refuse_revoked(send: Send) -> None:
    """401 ``unauthorized``: the token was revoked between the check and the subscription."""
    body = json.dumps(
        {"code": "unauthorized", "message": "Your session has ended; log in again"}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class _Unfinished:
    """Awaits, to its end, a send coroutine that ``_send_now`` started by hand and that
    stopped to wait (``waiting_for``: the future it yielded)."""

    __slots__ = ("_coroutine", "_waiting_for")

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting_for: Any) -> None:
        self._coroutine = coroutine
        self._waiting_for = waiting_for

    def __await__(self) -> Generator[Any, Any, None]:
        coroutine, waiting_for = self._coroutine, self._waiting_for
        while True:
            try:
                answer = yield waiting_for
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # cancelled while waiting: into the send
                try:
                    waiting_for = coroutine.throw(error)
                except StopIteration:
                    return
                continue
            try:
                waiting_for = coroutine.send(answer)
            except StopIteration:
                return


async def _close_on_disconnect(receive: Receive, subscription: Subscription) -> None:
    """Close ``subscription`` when the client disconnects (the request body is ignored)."""
    with contextlib.suppress(OSError):
        while (await receive())["type"] != "http.disconnect":
            pass
    subscription.close()

"""Sends that survive crashes, lost connections and restarts, delivered once and in order.

A send is written to the store (pending, fresh uuid4 ``client_id``) before any request and
shown at once as a local echo. One worker per conversation posts its pending sends in order.
A network failure (no answer, or a 5xx) keeps the send pending and retries with backoff, and
at once when the event stream reconnects; a refusal (403/404/409/413/422) marks it failed with
the server's reason, and it stays until the agent retries, edits or discards it. A send made
with the newest message the agent had seen (``seen_message_id``) is refused with
``conversation.changed`` when a colleague wrote meanwhile: ``item_failed`` lets the UI ask, and
``retry(client_id, force=True)`` sends it anyway (the check is kept in memory: a send resumed
after a restart goes without it). The server's
message replaces the echo by ``client_id`` (see :mod:`convos_desktop.core.store`), and the
server answers a repeated ``client_id`` with the first message, so nothing is doubled.

"At once when the stream reconnects" holds for a send whose request is in flight too: a
connection lost without a reset (a dead network path) would hold it until its timeout (15 s)
while the stream, back already, says the app is online. Such a request is abandoned (left to
end by itself: behind a proxy the request runs on httpcore, and cancelling it can hang anyio
under qasync) and the send goes again at once; whichever answer comes, it is the one message of
that ``client_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.api import (
    ApiClient,
    ApiError,
    AuthError,
    ServerError,
    ServerUnreachableError,
)
from convos_desktop.core.events import Backoff
from convos_desktop.core.store import OutboxItem, Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import ConnectionState, Delivery, Message

log = logging.getLogger("convos.outbox")

RETRYABLE = (ServerUnreachableError, ServerError)


class _AbandonedError(Exception):
    """A send's request was left behind: the stream reconnected while it was in flight."""


CHANGED = "conversation.changed"  # a colleague wrote since the agent looked (collision)


class Outbox(QObject):
    """Pending sends of one profile; emits ``item_failed(OutboxItem)`` on a refusal."""

    item_failed = Signal(object)

    def __init__(
        self,
        store: Store,
        api: ApiClient,
        sync: Sync,
        *,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._api = api
        self._sync = sync
        self._backoff = backoff or Backoff(base=1.0, cap=60.0)
        self._rng = rng or random.Random()
        self._workers: dict[int, asyncio.Task[None]] = {}
        # Collision check per client_id: (seen_message_id, force); not persisted.
        self._checks: dict[str, tuple[int | None, bool]] = {}
        self._wake = asyncio.Event()
        # Requests in flight: each with the event that abandons it when the stream reconnects.
        self._in_flight: dict[asyncio.Task[dict[str, Any]], asyncio.Event] = {}
        self._abandoned: set[asyncio.Task[dict[str, Any]]] = set()
        self._state = sync.connection_state
        sync.connection_state_changed.connect(self._on_connection_state)

    # --- public API -----------------------------------------------------------------------

    async def send(
        self,
        conversation_id: int,
        body: str,
        *,
        kind: str = "text",
        reply_to: int | None = None,
        file_ids: Sequence[int] = (),
        seen_message_id: int | None = None,
    ) -> Message:
        """Queue a message (``kind`` text or note); return its local echo (pending).

        ``seen_message_id``: the newest message on the agent's screen (collision check).
        """
        if kind not in ("text", "note"):
            raise ValueError(f"kind must be 'text' or 'note', not {kind!r}")
        if not body.strip() and not file_ids:
            raise ValueError("a message needs text or files")
        item = await self._store.outbox_add(
            client_id=str(uuid.uuid4()),
            conversation_id=conversation_id,
            kind=kind,
            body=body,
            reply_to=reply_to,
            file_ids=file_ids,
        )
        if seen_message_id is not None:
            self._checks[item.client_id] = (seen_message_id, False)
        echo = self._store.echo_message(item)
        self._sync.publish_local(echo)
        self._ensure_worker(conversation_id)
        return echo

    async def retry(
        self, client_id: str, body: str | None = None, *, force: bool = False
    ) -> Message | None:
        """Send a failed (or pending) entry again, with edited ``body`` if given; ``force``
        skips the collision check (the agent chose to send anyway)."""
        item = await self._store.outbox_update(client_id, state=Delivery.PENDING, body=body)
        if item is None:
            return None
        if force:
            self._checks[client_id] = (self._checks.get(client_id, (None, False))[0], True)
        echo = self._store.echo_message(item)
        self._sync.publish_local(echo)
        self._ensure_worker(item.conversation_id)
        self.wake()
        return echo

    async def discard(self, client_id: str) -> OutboxItem | None:
        """Drop an entry (its text is returned, e.g. to put back in the composer)."""
        self._checks.pop(client_id, None)
        item = await self._store.outbox_remove(client_id)
        if item is not None:
            self._sync.publish_removed(item.conversation_id, client_id)
        return item

    def items(self, conversation_id: int | None = None) -> list[OutboxItem]:
        """Pending and failed entries in send order."""
        return self._store.outbox_items(conversation_id)

    def start(self) -> None:
        """Resume the pending sends left by a previous run."""
        for conversation_id in {
            i.conversation_id for i in self.items() if i.state is Delivery.PENDING
        }:
            self._ensure_worker(conversation_id)

    def wake(self) -> None:
        """Retry waiting sends now (reconnected, resumed from sleep)."""
        self._wake.set()
        self._wake = asyncio.Event()

    async def wait_delivered(self, conversation_id: int) -> bool:
        """Wait while the conversation's sends are being delivered; True when none is pending.

        A send that cannot go out now keeps its worker waiting (offline: bound the wait with
        ``asyncio.timeout``) or has none (waiting for a new login): then the answer is False.
        """
        while self._next_pending(conversation_id) is not None:
            worker = self._workers.get(conversation_id)
            if worker is None or worker.done():
                return False
            await asyncio.wait({worker})
        return True

    async def wait_idle(self) -> None:
        """Wait until no worker is running (every entry confirmed or failed)."""
        while pending := [t for t in self._workers.values() if not t.done()]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def stop(self) -> None:
        """Stop the workers; pending entries stay in the store for the next start."""
        workers = list(self._workers.values())
        self._workers.clear()
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        abandoned = list(self._abandoned)
        for request in abandoned:
            request.cancel()
        # Whatever they ended with was already given up on.
        await asyncio.gather(*abandoned, return_exceptions=True)

    # --- workers --------------------------------------------------------------------------

    def _on_connection_state(self, state: ConnectionState) -> None:
        previous, self._state = self._state, state
        if state is ConnectionState.CONNECTED:
            if previous is ConnectionState.RECONNECTING:
                for abandon in self._in_flight.values():
                    abandon.set()
            self.start()
            self.wake()

    def _ensure_worker(self, conversation_id: int) -> None:
        task = self._workers.get(conversation_id)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(
                self._work(conversation_id), name=f"convos-outbox-{conversation_id}"
            )
            self._workers[conversation_id] = task
            task.add_done_callback(lambda t: self._forget_worker(conversation_id, t))

    def _forget_worker(self, conversation_id: int, task: asyncio.Task[None]) -> None:
        if self._workers.get(conversation_id) is task:
            del self._workers[conversation_id]

    def _next_pending(self, conversation_id: int) -> OutboxItem | None:
        for item in self._store.outbox_items(conversation_id):
            if item.state is Delivery.PENDING:
                return item
        return None

    async def _work(self, conversation_id: int) -> None:
        attempt = 0
        while (item := self._next_pending(conversation_id)) is not None:
            seen, force = self._checks.get(item.client_id, (None, False))
            try:
                answer = await self._post(
                    self._api.send_message_json(
                        conversation_id,
                        client_id=item.client_id,
                        body=item.body,
                        kind=item.kind,
                        reply_to=item.reply_to,
                        file_ids=item.file_ids,
                        seen_message_id=seen,
                        force=force,
                    )
                )
            except _AbandonedError:
                log.info("send %s: its connection died; sending it again", item.client_id)
                continue
            except RETRYABLE as exc:
                log.info("send %s not delivered yet (%s); will retry", item.client_id, exc.code)
                await self._store.outbox_update(
                    item.client_id, state=Delivery.PENDING, count_attempt=True
                )
                await self._pause(self._backoff.delay(attempt, self._rng))
                attempt += 1
                continue
            except AuthError:
                log.warning("send %s: token refused; waiting for a new login", item.client_id)
                return
            except ApiError as exc:
                await self._refused(item, exc)
                continue
            attempt = 0
            self._checks.pop(item.client_id, None)
            await self._sync.apply_sent(answer)

    async def _post(self, request: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
        """Await ``request``; ``_AbandonedError`` if the stream reconnects first."""
        task = asyncio.get_running_loop().create_task(request)
        abandon = asyncio.Event()
        self._in_flight[task] = abandon
        abandoned = asyncio.get_running_loop().create_task(abandon.wait())
        try:
            await asyncio.wait({task, abandoned}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            del self._in_flight[task]
            abandoned.cancel()
            if not task.done() and not abandon.is_set():  # the worker was cancelled
                task.cancel()
        if task.done():
            return task.result()
        self._abandoned.add(task)
        task.add_done_callback(self._forget_abandoned)
        raise _AbandonedError

    def _forget_abandoned(self, task: asyncio.Task[dict[str, Any]]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("an abandoned send ended with %r", task.exception())

    async def _refused(self, item: OutboxItem, exc: ApiError) -> None:
        log.info("send %s refused: %s", item.client_id, exc.code)
        # "code: message": the UI words the known codes in the agent's language; for a
        # collision the colleague's name instead of the message (the UI asks with it).
        detail = str(exc.extra.get("agent_name") or "") if exc.code == CHANGED else exc.message
        failed = await self._store.outbox_update(
            item.client_id,
            state=Delivery.FAILED,
            error=f"{exc.code}: {detail}",
            count_attempt=True,
        )
        if failed is not None:
            self._sync.publish_local(self._store.echo_message(failed))
            self.item_failed.emit(failed)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

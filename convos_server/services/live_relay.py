"""The live state (``services.live``) mirrored between server processes on PostgreSQL.

Who views or types in a conversation is kept in memory, and behind a balancer an agent's calls
land on any process while its stream is on one. Every process therefore holds the whole state:
it sends its own changes to the others with ``NOTIFY convos_live`` and applies theirs
(``LiveState.apply``), publishing them to its own streams as it does its own. The NOTIFYs go on
the event bus's LISTEN connection (``EventBus.listen`` / ``notify``): no connection more, and
never on a request's path. A live call only appends a change to a queue (when it changes
something: a heartbeat that changes nothing is not sent); one task sends what has queued up
in one statement (at most one per ``BATCH_S``), every message under ``MAX_PAYLOAD`` bytes.

A message: ``{"o": origin, "n": number, "ops": [op, ...]}``, plus ``"h": [origin|"*"]`` (hello:
those named, or all, send their snapshot), ``"S": 1|2|3`` (the ops begin / end a snapshot),
``"b": 1`` (bye: this process stops). ``origin`` is the process's random id; a process skips
its own messages. ``n`` counts the process's messages (PostgreSQL folds identical payloads of
one transaction). The ops (``LiveState`` makes and applies them):

- ``["v", conversation, inbox, agent, 1|0]``: the origin holds a part of this viewer (its
  client's heartbeats come there) / its part ran out;
- ``["V", conversation, inbox, agent]``: the agent left the conversation (every part ends);
- ``["t", conversation, inbox, agent, "text"|"note"|null]``: the origin's typing part, or it
  ran out; ``["T", conversation, inbox, agent]``: the agent stopped typing (every part ends);
- ``["c", conversation, inbox]``: the customer is typing (the channel told the origin);
- ``["s", agent, 1|0]``: the agent holds event streams in the origin / its last one there ended.

No change is lost for long. Each process says something at least every ``PING_S`` (an empty
message when it has nothing to say); one not heard of for ``SILENT_AFTER_S`` (killed, or cut
off) is forgotten with its parts, so its viewers and typists go within ``SILENT_AFTER_S`` (the
typing TTL). Each time its LISTEN connection is up (the start, a reconnection: what came
meanwhile was lost) a process says hello to all and sends its snapshot; a process that hears
from one it does not know (new, or forgotten) sends it its snapshot and says hello to it; a
process alone (no other heard of) sends no changes, only pings, since the one that comes gets
its snapshot; and every process sends its snapshot every ``SNAPSHOT_S`` anyway, which
repairs any gap (a lost NOTIFY, two changes that crossed). A snapshot replaces what the
others held of the process. A process that stops says bye: the others forget it at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from convos_server.services.live import TYPING_TTL_S, Clock, LiveState, Op

log = logging.getLogger("convos.live")

CHANNEL = "convos_live"
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more.
MAX_PAYLOAD = 7_900
PING_S = 2.0
SILENT_AFTER_S = TYPING_TTL_S
SNAPSHOT_S = 60.0
TICK_S = 0.5
# At most one NOTIFY statement per BATCH_S per process whatever the load: a change that
# comes sooner after the last one waits (up to 0.1 s, a delay people do not see) and shares
# the next statement with the others that came meanwhile; at a low rate it goes at once.
BATCH_S = 0.1
BYE_TIMEOUT_S = 1.0
Sender = Callable[[list[str]], Awaitable[bool]]


class LiveRelay:
    """Sends this process's live changes to the others and applies theirs (module docs).

    ``send`` delivers a list of payloads in order (``EventBus.notify`` on ``CHANNEL``) and says
    whether it did; ``receive`` takes every payload of the channel; ``connected`` is called
    each time the channel is listened to again."""

    def __init__(
        self,
        live: LiveState,
        send: Sender,
        *,
        origin: str | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.origin = origin or secrets.token_hex(6)
        self._own = _dumps({"o": self.origin})[:-1]  # how this process's messages begin
        self._live = live
        self._send = send
        self._clock = clock
        self._queue: list[Op] = []
        self._hello: set[str] = set()
        self._snapshot_due = False
        self._number = 0
        self._sent_at = -math.inf
        self._snapshot_at = clock()
        self._heard: dict[str, float] = {}
        self._wake: asyncio.Event | None = None
        live.relay = self.queue

    @property
    def others(self) -> set[str]:
        """The processes heard of lately."""
        return set(self._heard)

    # -- sending ---------------------------------------------------------------------------

    def queue(self, op: Op) -> None:
        """A change of this process, sent with the next batch."""
        self._queue.append(op)
        if self._wake is not None:
            self._wake.set()

    def connected(self) -> None:
        """The channel is listened to (again): hello to all, and this process's snapshot."""
        self._hello.add("*")
        self._snapshot_due = True
        if self._wake is not None:
            self._wake.set()

    def payloads(self) -> list[str]:
        """What is due now (queued changes, hellos, a snapshot, a ping), as NOTIFY payloads;
        the queue is emptied."""
        now = self._clock()
        ops, self._queue = self._queue, []
        if not self._heard:
            ops = []  # nobody to tell: a process that comes says hello and gets the snapshot
        messages = []
        if ops or self._hello:
            messages = self._pack(ops, {"h": sorted(self._hello)} if self._hello else {})
            self._hello.clear()
        if self._snapshot_due or now - self._snapshot_at >= SNAPSHOT_S:
            self._snapshot_due = False
            self._snapshot_at = now
            messages += self._pack(self._live.snapshot(), {}, snapshot=True)
        if not messages and now - self._sent_at >= PING_S:
            messages = self._pack([], {})
        if messages:
            self._sent_at = now
        return messages

    def _pack(self, ops: list[Op], extra: dict[str, Any], *, snapshot: bool = False) -> list[str]:
        """``ops`` in messages of at most ``MAX_PAYLOAD`` bytes (at least one message);
        ``extra`` in the first; a snapshot's first and last marked (``S``)."""
        encoded = [_dumps(op) for op in ops]
        room = MAX_PAYLOAD - len(_dumps({"o": self.origin, "n": 0, **extra})) - 64
        chunks: list[list[str]] = [[]]
        size = 0
        for text in encoded:
            if len(text) + 1 > room:
                log.warning("a live change too large to relay: %s", text[:200])
                continue
            if size + len(text) + 1 > room:
                chunks.append([])
                size = 0
            chunks[-1].append(text)
            size += len(text) + 1
        messages = []
        for n, chunk in enumerate(chunks):
            fields = dict(extra) if n == 0 else {}
            if snapshot:
                fields["S"] = (1 if n == 0 else 0) | (2 if n == len(chunks) - 1 else 0)
            messages.append(self._message(fields, ",".join(chunk)))
        return messages

    def _message(self, fields: dict[str, Any], ops: str) -> str:
        self._number += 1
        head = _dumps({"o": self.origin, "n": self._number, **fields})
        return f'{head[:-1]},"ops":[{ops}]}}'

    async def run(self) -> None:
        """Send what is due, at once when a change is queued, until cancelled."""
        self._wake = wake = asyncio.Event()
        flushed = -math.inf
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), TICK_S)
            pause = flushed + BATCH_S - self._clock()
            if pause > 0:  # sent lately: what comes meanwhile goes in the next statement
                await asyncio.sleep(pause)
            wake.clear()
            self.forget_silent()
            payloads = self.payloads()
            if not payloads:
                continue
            flushed = self._clock()
            if not await self._send(payloads):
                # Not sent (no connection): the snapshot at the reconnection repairs it.
                self._sent_at = -math.inf

    async def close(self) -> None:
        """Say bye (the others forget this process at once), in at most ``BYE_TIMEOUT_S``."""
        bye = self._message({"b": 1}, "")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._send([bye]), BYE_TIMEOUT_S)

    # -- receiving -------------------------------------------------------------------------

    def receive(self, payload: str) -> None:
        """A message of the channel: another process's changes are applied."""
        if payload.startswith(self._own):
            return  # PostgreSQL hands a listener its own NOTIFYs too
        try:
            message = json.loads(payload)
            origin = message["o"]
            if origin == self.origin:
                return
            if not isinstance(origin, str):
                raise ValueError("no origin")
            self._apply(origin, message)
        except (ValueError, KeyError, IndexError, TypeError):
            log.warning("a live message not understood: %s", payload[:200], exc_info=True)

    def _apply(self, origin: str, message: dict[str, Any]) -> None:
        live = self._live
        if message.get("b"):
            self._heard.pop(origin, None)
            live.forget(origin)
            return
        flags = int(message.get("S", 0))
        hello = message.get("h", ())
        if origin not in self._heard:
            # A process this one did not know (new, or forgotten: it may have missed changes
            # sent while it was not known) gets this process's snapshot, and is asked for
            # its own unless that is what comes.
            self._snapshot_due = True
            if not flags & 1 and "*" not in hello:
                self._hello.add(origin)
            self._wake_up()
        self._heard[origin] = self._clock()
        if "*" in hello or self.origin in hello:
            self._snapshot_due = True
            self._wake_up()
        if flags & 1:
            live.begin_snapshot(origin)
        for op in message["ops"]:
            live.apply(origin, op)
        if flags & 2:
            live.end_snapshot(origin)

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def forget_silent(self) -> None:
        """Forget the processes not heard of for ``SILENT_AFTER_S``, with their parts."""
        now = self._clock()
        for origin, heard in list(self._heard.items()):
            if now - heard > SILENT_AFTER_S:
                log.info("live state of process %s dropped: silent for %.0f s", origin, now - heard)
                del self._heard[origin]
                self._live.forget(origin)


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))

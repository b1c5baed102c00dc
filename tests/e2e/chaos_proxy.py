"""A TCP proxy for the tests that drops, stalls and delays connections on purpose.

``ChaosProxy`` listens on a loopback port and relays every connection to the real server.
Between the two it can:

- ``cut()``: abort every open connection at once (both sides see a reset);
- ``go_down()`` / ``come_back()``: an outage: open connections are cut and new ones are
  accepted and aborted at once, until it comes back;
- ``stall()`` / ``flow()``: stop relaying bytes (connections stay open, silent), then go on;
- ``black_hole()`` / ``flow()``: lose every byte, as a dead network path does: connections
  stay open and are out of step for good, new ones work again after ``flow``;
- ``delay``: seconds added before relaying each chunk;
- ``arm(trigger)``: a one-shot cut in the middle of an exchange: a POST cut after half of its
  request went through (``POST_REQUEST``), a POST whose request reached the server cut before
  the answer reaches the client (``POST_ANSWER``: the server did the work, the client never
  hears), or the event stream cut in the middle of an event (``STREAM_EVENT``).

It understands just enough HTTP/1.1 to tell which request a connection carries (the request
line of each chunk the client sends that starts one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger("tests.chaos")

CHUNK = 64 * 1024
_METHODS = (b"GET ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ", b"HEAD ", b"OPTIONS ")


class Trigger(StrEnum):
    """One-shot cuts in the middle of an exchange."""

    POST_REQUEST = "post-request"  # half of a POST's request relayed, then cut
    POST_ANSWER = "post-answer"  # the whole POST relayed, its answer dropped and cut
    STREAM_EVENT = "stream-event"  # part of an event of the stream relayed, then cut


@dataclass(eq=False)
class _Link:
    """One relayed connection: the client's side, the server's side, what it carries."""

    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    request: bytes = b""  # the request line of the latest request sent on it
    lost: bool = False  # bytes went into a black hole: nothing it carries arrives any more
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def is_stream(self) -> bool:
        return b" /api/v1/events" in self.request

    @property
    def is_post(self) -> bool:
        return self.request.startswith(b"POST ")

    def abort(self) -> None:
        for writer in (self.client, self.server):
            writer.transport.abort()


@dataclass
class ChaosStats:
    """What the proxy did: connections relayed, and cuts by cause."""

    connections: int = 0
    cuts: dict[str, int] = field(default_factory=dict)

    def count(self, cause: str, links: int = 1) -> None:
        self.cuts[cause] = self.cuts.get(cause, 0) + links


class ChaosProxy:
    """Relays ``127.0.0.1:<port>`` to ``upstream_port``, with faults on demand."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = 0.0
        self.stats = ChaosStats()
        self._links: set[_Link] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._blackhole = False
        self._down = False
        self._armed: set[Trigger] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's base URL (give it to the client instead of the server's)."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        self.flow()
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.abort()
            for task in link.tasks:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    # --- faults ---------------------------------------------------------------------------

    def cut(self, cause: str = "cut") -> int:
        """Abort every open connection; return how many."""
        links = list(self._links)
        for link in links:
            link.abort()
        self.stats.count(cause, len(links))
        return len(links)

    def go_down(self) -> None:
        """An outage: cut everything, and cut every new connection, until ``come_back``."""
        self._down = True
        self.cut("outage")

    def come_back(self) -> None:
        """End an outage."""
        self._down = False

    def stall(self) -> None:
        """Stop relaying bytes; connections stay open and silent."""
        self._flowing.clear()

    def flow(self) -> None:
        """Relay bytes again after a stall (or a black hole)."""
        self._blackhole = False
        self._flowing.set()

    def black_hole(self) -> None:
        """Lose every byte, as a dead network path does (no reset: connections stay open).

        The connections open meanwhile are out of step for good; ``flow`` ends it for new ones.
        """
        self._blackhole = True
        for link in self._links:
            link.lost = True
        self.stats.count("black-hole", len(self._links))

    def arm(self, trigger: Trigger) -> None:
        """Cut the next exchange that ``trigger`` describes."""
        self._armed.add(trigger)

    def fired(self, trigger: Trigger) -> bool:
        """Whether ``trigger`` is no longer waiting for its exchange."""
        return trigger not in self._armed

    # --- relaying -------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        if self._down:  # the outage began while this connection was being made
            writer.transport.abort()
            up_writer.transport.abort()
            return
        link = _Link(writer, up_writer, lost=self._blackhole)
        self._links.add(link)
        self.stats.connections += 1
        link.tasks = [
            asyncio.create_task(self._pump(link, reader, up_writer, upstream=True)),
            asyncio.create_task(self._pump(link, up_reader, writer, upstream=False)),
        ]
        try:
            await asyncio.gather(*link.tasks, return_exceptions=True)
        finally:
            self._links.discard(link)
            link.abort()

    async def _pump(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        upstream: bool,
    ) -> None:
        try:
            while chunk := await reader.read(CHUNK):
                await self._flowing.wait()
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self._flowing.wait()
                if self._blackhole:
                    link.lost = True
                if link.lost:
                    continue
                if upstream and chunk.startswith(_METHODS):
                    link.request = chunk.split(b"\r\n", 1)[0]
                half = self._cut_here(link, chunk, upstream=upstream)
                if half is not None:
                    writer.write(half)
                    with contextlib.suppress(ConnectionError):
                        await writer.drain()
                    link.abort()
                    return
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            link.abort()

    def _cut_here(self, link: _Link, chunk: bytes, *, upstream: bool) -> bytes | None:
        """The part of ``chunk`` to relay before an armed cut, or ``None``: no cut here."""
        if upstream and link.is_post and Trigger.POST_REQUEST in self._armed:
            self._armed.discard(Trigger.POST_REQUEST)
            self.stats.count(Trigger.POST_REQUEST)
            return chunk[: max(1, len(chunk) // 2)]
        if not upstream and link.is_post and Trigger.POST_ANSWER in self._armed:
            self._armed.discard(Trigger.POST_ANSWER)
            self.stats.count(Trigger.POST_ANSWER)
            return b""
        mid_event = not upstream and link.is_stream and b"event:" in chunk
        if mid_event and Trigger.STREAM_EVENT in self._armed:
            self._armed.discard(Trigger.STREAM_EVENT)
            self.stats.count(Trigger.STREAM_EVENT)
            return chunk[: chunk.index(b"event:") + 8]
        return None

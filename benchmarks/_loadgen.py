"""The asyncio load generator: keep-alive HTTP/1.1 connections, an open loop, SSE recorders.

Plain asyncio instead of an HTTP library, so the generator costs as little CPU as possible and
its timestamps are close to the wire: ``HttpConnection`` sends one request at a time on a
keep-alive connection, ``ConnectionPool`` lends them out, ``open_loop`` fires requests at a
fixed rate whatever the answers (latency counts from the *intended* send time, so a slow
server cannot hide queueing: no coordinated omission). ``EventRecorder`` holds an SSE
connection whose reads are only timestamped while measuring; ``take_events()`` decodes them
after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

log = logging.getLogger("convos.bench.loadgen")

_HEAD_END = b"\r\n\r\n"
_STATUS_LINE_BYTES = len(b"HTTP/1.1 200")
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)


def host_and_port(url: str) -> tuple[str, int]:
    """``("127.0.0.1", 8000)`` from ``http://127.0.0.1:8000``."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"not an http://host:port URL: {url!r}")
    return parts.hostname, parts.port


def build_request(
    method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    """The bytes of one HTTP/1.1 request (JSON body when there is one)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class HttpConnection:
    """One keep-alive HTTP/1.1 connection carrying one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        """Connect to ``host:port``."""
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(self, raw_request: bytes) -> tuple[int, bytes]:
        """Send ``raw_request`` (see ``build_request``); the status and the body."""
        self._writer.write(raw_request)
        head = await self._reader.readuntil(_HEAD_END)
        status = int(head[9:12])
        if status in (204, 304):  # never a body (and no Content-Length from uvicorn)
            return status, b""
        length = _CONTENT_LENGTH.search(head)
        if length is not None:
            return status, await self._reader.readexactly(int(length.group(1)))
        if _CHUNKED.search(head) is None:
            raise ConnectionError("a response with neither Content-Length nor chunks")
        body = bytearray()
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).strip(), 16)
            body += await self._reader.readexactly(size + 2)
            if size == 0:
                return status, bytes(body)

    def close(self) -> None:
        """Close the connection."""
        self._writer.close()


class ConnectionPool:
    """At most ``limit`` keep-alive connections; a request waits for a free one."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self._host = host
        self._port = port
        self._idle: list[HttpConnection] = []
        self._slots = asyncio.Semaphore(limit)

    async def request(self, raw_request: bytes) -> tuple[int, bytes]:
        """Send one request on an idle (or new) connection; a broken one is dropped.

        An idle connection the server closed meanwhile (its keep-alive timeout) fails before
        any byte of an answer: the request is sent again on the next connection.
        """
        async with self._slots:
            while self._idle:
                connection = self._idle.pop()
                try:
                    answer = await connection.request(raw_request)
                except (ConnectionResetError, BrokenPipeError):
                    connection.close()
                    continue
                except asyncio.IncompleteReadError as error:
                    connection.close()
                    if error.partial:
                        raise
                    continue
                except BaseException:
                    connection.close()
                    raise
                self._idle.append(connection)
                return answer
            connection = await HttpConnection.open(self._host, self._port)
            try:
                answer = await connection.request(raw_request)
            except BaseException:
                connection.close()
                raise
            self._idle.append(connection)
            return answer

    def close(self) -> None:
        """Close every idle connection."""
        for connection in self._idle:
            connection.close()
        self._idle.clear()


@dataclass(frozen=True, slots=True)
class Sample:
    """One request of an open loop: when it was due, when it ended, and its HTTP status."""

    index: int
    due: float
    finished: float
    status: int

    @property
    def latency(self) -> float:
        """Seconds from the intended send time to the end of the response."""
        return self.finished - self.due


@dataclass
class OpenLoopResult:
    """What an open loop did: the samples of finished requests and how many did not finish."""

    started: float
    samples: list[Sample] = field(default_factory=list)
    unfinished: int = 0
    failures: int = 0

    @property
    def ok(self) -> list[Sample]:
        """The samples answered with a 2xx status."""
        return [sample for sample in self.samples if 200 <= sample.status < 300]

    def throughput(self) -> float:
        """Successful requests per second, from the start to the last successful answer."""
        ok = self.ok
        if not ok:
            return 0.0
        elapsed = max(sample.finished for sample in ok) - self.started
        return len(ok) / elapsed if elapsed > 0 else 0.0


async def open_loop(
    rate: float,
    count: int,
    send: Callable[[int], Awaitable[int]],
    drain_s: float,
    on_due: Callable[[int, float], None] | None = None,
) -> OpenLoopResult:
    """Start ``send(i)`` for ``i < count`` at ``rate`` per second, whatever the answers.

    Each request is due at ``start + i / rate``; requests still running ``drain_s`` after the
    last one was due are cancelled and counted as unfinished. ``on_due(i, due)`` is told each
    intended send time (to match events to sends).
    """
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    result = OpenLoopResult(started=start)

    async def one(index: int, due: float) -> None:
        try:
            status = await send(index)
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            result.failures += 1
            return
        result.samples.append(Sample(index, due, loop.time(), status))

    tasks: set[asyncio.Task[None]] = set()
    started = 0
    while started < count:
        due_now = min(count, int((loop.time() - start) * rate) + 1)
        while started < due_now:
            due = start + started / rate
            if on_due is not None:
                on_due(started, due)
            tasks.add(asyncio.create_task(one(started, due)))
            started += 1
        await asyncio.sleep(max(0.0, min(0.001, start + started / rate - loop.time())))
    _done, pending = await asyncio.wait(tasks, timeout=drain_s) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    result.unfinished = len(pending)
    return result


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """One SSE event and the loop time at which its last byte arrived."""

    arrived: float
    type: str
    data: bytes
    id: int | None = None


class EventRecorder(asyncio.Protocol):
    """An SSE connection that only timestamps and keeps its reads; decoded by ``events()``."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.reads: list[tuple[float, bytes]] = []
        self.status_line: asyncio.Future[None] = self._loop.create_future()
        self._received = 0
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self._transport: asyncio.Transport | None = None
        self._decoder = _ChunkDecoder()
        self._pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write the request and close later."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Timestamp and keep the bytes: nothing else while measuring."""
        self.reads.append((self._loop.time(), data))
        self._received += len(data)
        if self._received >= _STATUS_LINE_BYTES and not self.status_line.done():
            self.status_line.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        """Mark the stream closed (the server ended it or the network failed)."""
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.status_line.done():
            self.status_line.set_exception(ConnectionError("the event stream closed at once"))

    def send(self, raw_request: bytes) -> None:
        """Write the request that opens the stream."""
        assert self._transport is not None
        self._transport.write(raw_request)

    def close(self) -> None:
        """Close the connection."""
        if self._transport is not None:
            self._transport.close()

    def status(self) -> int:
        """The HTTP status of the stream's response (0 before the first read)."""
        head = b""
        for _arrived, data in self.reads:
            head += data
            if len(head) >= _STATUS_LINE_BYTES:
                return int(head[9:12])
        return 0

    def take_events(self) -> list[ReceivedEvent]:
        """Decode and forget the reads so far (chunked coding, then SSE); comments skipped.

        An event split across calls is completed by a later call, so calling this between
        measurements keeps memory bounded without losing anything.
        """
        events: list[ReceivedEvent] = []
        for arrived, data in self.reads:
            self._pending += self._decoder.feed(data)
            while (match := _EVENT_END.search(self._pending)) is not None:
                block = self._pending[: match.start()]
                self._pending = self._pending[match.end() :]
                event = _parse_event(arrived, block)
                if event is not None:
                    events.append(event)
        self.reads.clear()
        return events


class _ChunkDecoder:
    """Strips the response head and the HTTP/1.1 chunked framing, fed in arbitrary pieces."""

    def __init__(self) -> None:
        self._buffer = b""
        self._in_head = True
        self._left = 0  # bytes of the current chunk (plus its CRLF) still to come

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        if self._in_head:
            end = self._buffer.find(_HEAD_END)
            if end < 0:
                return b""
            self._buffer = self._buffer[end + len(_HEAD_END) :]
            self._in_head = False
        payload = bytearray()
        while self._buffer:
            if self._left == 0:
                line_end = self._buffer.find(b"\r\n")
                if line_end < 0:
                    break
                self._left = int(self._buffer[:line_end].split(b";")[0], 16) + 2
                self._buffer = self._buffer[line_end + 2 :]
            taken = self._buffer[: self._left]
            data_left = self._left - 2  # the chunk's closing CRLF is framing, not payload
            payload += taken[: max(0, data_left)]
            self._buffer = self._buffer[len(taken) :]
            self._left -= len(taken)
        return bytes(payload)


def _parse_event(arrived: float, block: bytes) -> ReceivedEvent | None:
    event_type = "message"
    event_id: int | None = None
    data_lines: list[bytes] = []
    for line in re.split(rb"\r\n|\n|\r", block):
        if line.startswith(b"id:"):
            event_id = int(line[3:].strip())
        elif line.startswith(b"event:"):
            event_type = line[6:].strip().decode()
        elif line.startswith(b"data:"):
            data_lines.append(line[5:].removeprefix(b" "))
    if not data_lines:
        return None
    return ReceivedEvent(arrived, event_type, b"\n".join(data_lines), event_id)


async def open_event_stream(host: str, port: int, token: str, timeout_s: float) -> EventRecorder:
    """An ``EventRecorder`` on ``GET /api/v1/events`` that answered 200."""
    loop = asyncio.get_running_loop()
    _transport, recorder = await loop.create_connection(EventRecorder, host, port)
    recorder.send(
        build_request(
            "GET",
            "/api/v1/events",
            f"{host}:{port}",
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
        )
    )

    await asyncio.wait_for(recorder.status_line, timeout_s)
    if recorder.status() != 200:
        recorder.close()
        raise ConnectionError(f"GET /api/v1/events answered {recorder.status()}")
    return recorder


async def open_event_streams(
    host: str, port: int, tokens: list[str], concurrency: int, timeout_s: float
) -> list[EventRecorder]:
    """One stream per token, ``concurrency`` connection attempts at a time."""
    slots = asyncio.Semaphore(concurrency)

    async def one(token: str) -> EventRecorder:
        async with slots:
            return await open_event_stream(host, port, token, timeout_s)

    return list(await asyncio.gather(*(one(token) for token in tokens)))

"""The client's HTTP/1.1 transport for httpx: asyncio sockets and h11, without httpcore.

httpx's own asyncio transport is httpcore, and httpcore takes its locks and its connections
from anyio: without them the client's memory figure is 2.5 MiB lower (benchmarks/RESULTS.md,
issue 16, branch mem16p), for what one server over HTTP/1.1 needs. This module
speaks HTTP/1.1 itself with h11 (the protocol library httpcore uses too) over the event loop's
own connections, so it works on any asyncio loop, qasync's Qt loop included. httpx stays the
client's API: requests, responses, timeouts and errors are httpx's.

- ``http://`` never builds an SSL context; ``https://`` checks the server's certificate as
  httpx does by default (``httpx.create_ssl_context()``: certifi's bundle, or
  ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), against the URL's host name.
- Keep-alive connections are pooled per origin (``max_idle`` kept, ``max_connections`` busy at
  once; one more waits up to the pool timeout). An idle connection is dropped, before any
  byte of a request is written to it, when the server closed it or sent bytes nobody asked
  for, or when it idled for ``keepalive_s`` (under the server's own keep-alive); a request
  whose bytes went out is never sent again (a POST is not idempotent).
- Response bodies are streamed as they arrive (the event stream runs for hours); the
  connection goes back to the pool only after the whole body was read, and is closed when
  the response is closed (or its task cancelled) before that.
- Proxies: :func:`async_client` mounts httpx's own transport for each proxy the environment
  names, as httpx does (httpcore is then imported for that agent only).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

Origin = tuple[bytes, str, int]  # scheme, host, port

READ_BUFFER = 256 * 1024  # bytes received and not yet read before the socket stops reading
MAX_HEADERS_SIZE = 100 * 1024  # h11's bound on a response's head
KEEPALIVE_EXPIRY = 4.0  # seconds an idle connection is reused: under uvicorn's 5 s
DEFAULT_PORTS = {b"http": 80, b"https": 443}


class _Wire(asyncio.Protocol):
    """One socket's bytes: what arrived and was not read yet, end of stream, flow control."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._received = bytearray()
        self._ended = False  # the server closed its side (or the connection was lost)
        self._error: Exception | None = None
        self._paused = False
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    # --- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._received += data
        if len(self._received) >= READ_BUFFER and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self._ended = True
        self._wake_reader()
        return False  # close the transport: HTTP/1.1 has no use for our half

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended = True
        self._error = exc
        self._wake_reader()
        self.resume_writing()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_reader(self) -> None:
        waiter, self._readable = self._readable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- what the connection uses ------------------------------------------------------------

    @property
    def clean(self) -> bool:
        """Open, and nothing received since the last read: fit for the next request."""
        return (
            not self._received
            and not self._ended
            and self.transport is not None
            and not self.transport.is_closing()
        )

    async def read(self) -> bytes:
        """The bytes received so far (waiting for some); ``b""`` once the server closed."""
        while not self._received and not self._ended:
            self._readable = asyncio.get_running_loop().create_future()
            await self._readable
        data = bytes(self._received)
        self._received.clear()
        if self._paused and self.transport is not None and not self.transport.is_closing():
            self._paused = False
            self.transport.resume_reading()
        if not data and self._error is not None:
            raise self._error
        return data

    async def write(self, data: bytes) -> None:
        """Send ``data``, waiting while the socket's buffer is full."""
        if self._ended or self.transport is None or self.transport.is_closing():
            raise self._error or ConnectionResetError("connection closed by the server")
        self.transport.write(data)
        while self._writable is not None and not self._ended:
            await self._writable
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Connection:
    """One HTTP/1.1 connection to an origin: h11's state over a :class:`_Wire`."""

    def __init__(self, origin: Origin, wire: _Wire) -> None:
        self.origin = origin
        self.wire = wire
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADERS_SIZE)
        self.idle_since = 0.0

    def reusable(self, now: float, keepalive_s: float) -> bool:
        """Idle for less than ``keepalive_s``, nothing received since, not closed."""
        return self.wire.clean and now - self.idle_since < keepalive_s

    async def send(self, event: h11.Event, write_s: float | None) -> None:
        data = self.h11.send(event)
        if data:
            async with asyncio.timeout(write_s):
                await self.wire.write(data)

    async def next_event(self, request: httpx.Request, read_s: float | None) -> h11.Event:
        """The server's next event, its errors as httpx's."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.ConnectionClosed):
                    message = "server closed the connection without a complete response"
                    raise httpx.RemoteProtocolError(message, request=request)
                assert not isinstance(event, type)  # h11.PAUSED: never, one request at a time
                return event
            try:
                async with asyncio.timeout(read_s):
                    data = await self.wire.read()
            except TimeoutError:
                raise httpx.ReadTimeout("timed out reading the response", request=request) from None
            except OSError as exc:  # ssl.SSLError is one
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                message = "server disconnected without sending a response"
                raise httpx.RemoteProtocolError(message, request=request)
            self.h11.receive_data(data)

    def done(self) -> bool:
        """Both sides completed their message, may go on and nothing more came: reusable."""
        return (
            self.h11.our_state is h11.DONE
            and self.h11.their_state is h11.DONE
            and not self.h11.trailing_data[0]
        )

    def close(self) -> None:
        self.wire.close()


class _ResponseBody(httpx.AsyncByteStream):
    """A response's body as its bytes arrive; hands the connection back when it ends."""

    def __init__(
        self,
        transport: Http11Transport,
        connection: _Connection,
        request: httpx.Request,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._connection = connection
        self._request = request
        self._read_timeout = read_timeout
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while not self._released:
                event = await self._connection.next_event(self._request, self._read_timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self._release()
        except BaseException:  # an error, the task cancelled or the loop stopped: not reusable
            self._release()
            raise

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._transport._release(self._connection)

    async def aclose(self) -> None:
        self._release()


class Http11Transport(httpx.AsyncBaseTransport):
    """httpx's transport over HTTP/1.1 with keep-alive, on the running asyncio loop."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 32,
        max_idle: int = 8,
        keepalive_s: float = KEEPALIVE_EXPIRY,
    ) -> None:
        self._verify = verify
        self._keepalive_s = keepalive_s
        self._ssl_context: ssl.SSLContext | None = None
        self._max_connections = max_connections
        self._max_idle = max_idle
        self._slots: dict[Origin, asyncio.Semaphore] = {}
        self._idle: dict[Origin, list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        host = url.raw_host.decode("ascii")
        origin = (url.raw_scheme, host, url.port or DEFAULT_PORTS[url.raw_scheme])
        slot = self._slots.setdefault(origin, asyncio.Semaphore(self._max_connections))
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await slot.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection free in time", request=request) from None
        try:
            return await self._send(origin, request, timeouts)
        except BaseException:
            slot.release()
            raise

    async def _send(
        self, origin: Origin, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        """Send on a pooled connection fit for it, else on a new one."""
        connection = self._take_idle(origin)
        if connection is None:
            connection = await self._connect(origin, request, timeouts.get("connect"))
        return await self._exchange(connection, request, timeouts)

    def _take_idle(self, origin: Origin) -> _Connection | None:
        """The newest idle connection still fit for a request; the unfit ones closed.

        A connection the server closed (or wrote to) while idle is seen here, before any
        byte of the request goes out: nothing runs between this check and the request's
        first write, so no request has to be sent again. The server closing at the very
        moment it is reused (its FIN on the way) is kept apart by ``keepalive_s``, shorter
        than the server's own (uvicorn's 5 s); a request whose bytes went out is never
        resent (a POST is not idempotent).
        """
        idle = self._idle.get(origin, [])
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable(now, self._keepalive_s):
                self._busy.add(connection)
                return connection
            connection.close()
        return None

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            verify = self._verify
            self._ssl_context = (
                verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
            )
        return self._ssl_context

    async def _connect(
        self, origin: Origin, request: httpx.Request, connect_s: float | None
    ) -> _Connection:
        if self._closed:
            raise RuntimeError("the transport is closed")
        scheme, host, port = origin
        context = self._context() if scheme == b"https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_s):
                _, wire = await loop.create_connection(
                    _Wire, host, port, ssl=context, server_hostname=host if context else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except OSError as exc:  # refused, unreachable, name unknown, certificate refused
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        connection = _Connection(origin, wire)
        self._busy.add(connection)
        return connection

    async def _exchange(
        self, connection: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        """Send the request and read the response's head; the body streams afterwards."""
        try:
            write_error = await self._send_request(connection, request, timeouts.get("write"))
            try:
                while True:  # 1xx (100 Continue) come before the response: skipped
                    event = await connection.next_event(request, timeouts.get("read"))
                    if isinstance(event, h11.Response):
                        break
            except httpx.TransportError:
                if write_error is None:
                    raise
                message = str(write_error) or type(write_error).__name__
                raise httpx.WriteError(message, request=request) from write_error
        except BaseException:
            self._busy.discard(connection)
            connection.close()
            raise
        body = _ResponseBody(self, connection, request, timeouts.get("read"))
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=body,
            extensions={
                "http_version": b"HTTP/" + event.http_version,
                "reason_phrase": event.reason,
            },
        )

    async def _send_request(
        self, connection: _Connection, request: httpx.Request, write_s: float | None
    ) -> OSError | None:
        """Send the head and the body as the request's stream gives it.

        A write that fails once bytes went out is returned, not raised: the server may have
        answered already (an upload refused early); it is raised if no answer can be read.
        """
        try:
            head = h11.Request(
                method=request.method, target=request.url.raw_path, headers=request.headers.raw
            )
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        try:
            await connection.send(head, write_s)
            assert isinstance(request.stream, httpx.AsyncByteStream)
            async for chunk in request.stream:
                await connection.send(h11.Data(data=chunk), write_s)
            await connection.send(h11.EndOfMessage(), write_s)
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            return exc
        except h11.LocalProtocolError as exc:  # the body longer or shorter than announced
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        return None

    def _release(self, connection: _Connection) -> None:
        """A response ended: its connection back to the pool if it can go on, else closed."""
        self._busy.discard(connection)
        self._slots[connection.origin].release()
        idle = self._idle.setdefault(connection.origin, [])
        if self._closed or not connection.done() or len(idle) >= self._max_idle:
            connection.close()
            return
        connection.h11.start_next_cycle()
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def aclose(self) -> None:
        """Close every connection, idle or busy (a response still read then fails)."""
        self._closed = True
        for connection in [c for idle in self._idle.values() for c in idle] + [*self._busy]:
            connection.close()
        self._idle.clear()
        self._busy.clear()


def async_client(*, verify: bool = True, **options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` over :class:`Http11Transport`.

    httpx reads proxies from the environment only when it builds its own transport: given
    one, it would ignore them. They are mounted here as httpx would (httpx's transport per
    proxy, ``NO_PROXY`` hosts back to this transport), so an agent behind a proxy is served
    by httpx's own stack, imported only then.
    """
    from httpx._utils import get_environment_proxies  # what httpx itself reads

    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None if proxy is None else httpx.AsyncHTTPTransport(proxy=proxy, verify=verify)
        for pattern, proxy in get_environment_proxies().items()
    }
    return httpx.AsyncClient(
        transport=Http11Transport(verify=verify), mounts=mounts, verify=verify, **options
    )

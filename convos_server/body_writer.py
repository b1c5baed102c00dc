"""A direct body writer for long responses: the ``convos.body_writer`` ASGI scope extension.

An event stream writes one small body frame per event to each of its connections; through
ASGI each one is a message dict passed down Starlette's send wrappers to uvicorn's ``send``,
a coroutine per layer, for a write whose result is always the same few bytes on the socket.
``StreamingHttpToolsProtocol`` (uvicorn's httptools protocol, given to ``uvicorn.Config`` as
its ``http`` class by ``uvicorn_config``) puts a ``BodyWriter`` for the request's response
into the scope's ``extensions`` under ``BODY_WRITER_EXTENSION``. Once the response start has
gone through the ordinary ASGI ``send`` (uvicorn chose the chunked transfer coding), a body
chunk can be written with ``BodyWriter.write``: the same bytes uvicorn's ``send`` writes
(``<size hex>\\r\\n<chunk>\\r\\n``) straight to the connection's transport. It refuses
(``False``, nothing written) whenever uvicorn's ``send`` would do anything else: the write
buffer is above its high-water mark (uvicorn's flow control would wait), the client is gone,
or the response has ended. The caller then uses the ASGI ``send`` for that chunk, which
waits or drops as it always does, so nothing is lost or reordered.

Without the extension (another server, ``--http h11``, no httptools) everything goes through
the ASGI ``send`` as usual.

The same protocol writes a response that announces its length (``content-length``: every JSON
answer) in one write: uvicorn writes the head as soon as the response starts and the body
apart, two ``send`` syscalls and two segments on the socket, each waking the client (on
loopback the receiver's work is done in the sender's syscall). ``HeadHoldingTransport`` holds
such a head back and writes it with the body's first bytes; a chunked response's head (an
event stream's), a ``HEAD`` answer's and an empty body's go out at once, as before.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import uvicorn
from starlette.types import ASGIApp, Scope

from convos_server.services.events import http_chunk

BODY_WRITER_EXTENSION = "convos.body_writer"

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
except ImportError:  # pragma: no cover - no httptools: uvicorn's h11, no extension
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


class BodyWriter:
    """Writes body chunks of one chunked response straight to its connection (see module)."""

    __slots__ = ("_cycle", "_flow", "_transport")

    def __init__(self, cycle: RequestResponseCycle) -> None:
        self._cycle = cycle
        self._flow = cycle.flow
        self._transport = cycle.transport

    @property
    def ready(self) -> bool:
        """Whether the response has started with the chunked coding and is still open."""
        cycle = self._cycle
        return (
            cycle.response_started
            and cycle.chunked_encoding is True
            and not cycle.response_complete
            and cycle.scope["method"] != "HEAD"
        )

    def write(self, body: bytes, chunk: bytes | None = None) -> bool:
        """Write ``body`` (not empty) as one body chunk now (``chunk``: ``body`` already
        framed by ``http_chunk``, shared by many streams); ``False``: not written, the ASGI
        ``send`` must take it (flow control paused, client gone, response ended)."""
        cycle = self._cycle
        if self._flow.write_paused or cycle.disconnected or cycle.response_complete:
            return False
        self._transport.write(http_chunk(body) if chunk is None else chunk)
        return True


class HeadHoldingTransport:
    """The connection's transport as one request's response cycle sees it: the response's
    head, when a body of a known length follows, held back and written with the body's first
    bytes (see module). Everything else goes straight to the transport."""

    __slots__ = ("_cycle", "_held", "_state", "_transport")

    # the response head not written yet, held, or gone by
    _BEFORE_HEAD, _HOLDING, _PAST_HEAD = range(3)

    def __init__(self, cycle: RequestResponseCycle) -> None:
        self._cycle = cycle
        self._transport = cycle.transport
        self._held = b""
        self._state = self._BEFORE_HEAD

    def write(self, data: bytes) -> None:
        """Write ``data``; the response's head (its first write once started) may wait for
        the body's first write."""
        if self._state == self._PAST_HEAD:
            self._transport.write(data)
        elif self._state == self._HOLDING:
            self._state = self._PAST_HEAD
            held, self._held = self._held, b""
            self._transport.write(held + data)
        elif not self._cycle.response_started:  # ``100 Continue``
            self._transport.write(data)
        elif self._body_follows():
            self._state = self._HOLDING
            self._held = bytes(data)
        else:
            self._state = self._PAST_HEAD
            self._transport.write(data)

    def _body_follows(self) -> bool:
        """Whether the response just started announces a body of a known, non-zero length
        that uvicorn will write (not a ``HEAD`` answer)."""
        cycle = self._cycle
        return (
            cycle.chunked_encoding is False
            and cycle.expected_content_length > 0
            and cycle.scope["method"] != "HEAD"
        )

    def close(self) -> None:
        """Close the connection (a head still held is dropped: its body never came)."""
        self._transport.close()

    def is_closing(self) -> bool:
        """Whether the connection is closing."""
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def body_writer(scope: Scope) -> BodyWriter | None:
    """The request's ``BodyWriter``, or ``None`` when the server does not offer one."""
    writer = scope.get("extensions", {}).get(BODY_WRITER_EXTENSION)
    return writer if isinstance(writer, BodyWriter) else None


if HttpToolsProtocol is not None:

    class StreamingHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, offering each request a ``BodyWriter``."""

        def on_headers_complete(self) -> None:
            """uvicorn's, then the extension in the scope and the cycle's head-holding
            transport (the app's task has not run yet)."""
            super().on_headers_complete()
            cycle = self.cycle
            if cycle is not None and cycle.scope is self.scope:
                scope = cast(dict[str, Any], self.scope)
                # the writer on the transport itself: a chunked response holds nothing back
                scope.setdefault("extensions", {})[BODY_WRITER_EXTENSION] = BodyWriter(cycle)
                cycle.transport = cast(asyncio.Transport, HeadHoldingTransport(cycle))


def uvicorn_config(app: ASGIApp, **options: Any) -> uvicorn.Config:
    """``uvicorn.Config`` for ``app`` with the protocol that offers ``BodyWriter``s, when
    httptools is there (else uvicorn's default protocol, and no extension)."""
    if HttpToolsProtocol is not None:
        options.setdefault("http", StreamingHttpToolsProtocol)
    return uvicorn.Config(app, **options)

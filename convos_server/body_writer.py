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
"""

from __future__ import annotations

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


def body_writer(scope: Scope) -> BodyWriter | None:
    """The request's ``BodyWriter``, or ``None`` when the server does not offer one."""
    writer = scope.get("extensions", {}).get(BODY_WRITER_EXTENSION)
    return writer if isinstance(writer, BodyWriter) else None


if HttpToolsProtocol is not None:

    class StreamingHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, offering each request a ``BodyWriter``."""

        def on_headers_complete(self) -> None:
            """uvicorn's, then the extension in the scope (the app's task has not run yet)."""
            super().on_headers_complete()
            cycle = self.cycle
            if cycle is not None and cycle.scope is self.scope:
                scope = cast(dict[str, Any], self.scope)
                scope.setdefault("extensions", {})[BODY_WRITER_EXTENSION] = BodyWriter(cycle)


def uvicorn_config(app: ASGIApp, **options: Any) -> uvicorn.Config:
    """``uvicorn.Config`` for ``app`` with the protocol that offers ``BodyWriter``s, when
    httptools is there (else uvicorn's default protocol, and no extension)."""
    if HttpToolsProtocol is not None:
        options.setdefault("http", StreamingHttpToolsProtocol)
    return uvicorn.Config(app, **options)

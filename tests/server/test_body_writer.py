"""The ``convos.body_writer`` scope extension (``convos_server.body_writer``) on a real uvicorn."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from convos_server.body_writer import body_writer, uvicorn_config
from tests.server.conftest import serving


class ChunkApp:
    """Answers with two body chunks written by the ``BodyWriter`` (or by ``send`` without
    one) and records what the writer said before and after the response start."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool | None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        writer = body_writer(scope)
        self.seen.append(("before", None if writer is None else writer.ready))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        self.seen.append(("after", None if writer is None else writer.ready))
        for chunk in (b"one\r\n", b"two\r\n"):
            if writer is None or not writer.ready or not writer.write(chunk):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _config(app: ChunkApp, h11: bool) -> uvicorn.Config:
    """``app`` served as ``convos-server`` serves (or with uvicorn's h11)."""
    if h11:
        return uvicorn.Config(app, http="h11", log_level="warning", lifespan="off")
    return uvicorn_config(app, log_level="warning", lifespan="off")


@pytest.mark.parametrize("h11", [False, True], ids=["httptools", "h11"])
async def test_chunks_written_straight_to_the_transport_arrive_as_sent(h11: bool) -> None:
    """With ``uvicorn_config`` the writer is there, not ready before the start, ready after,
    and the client reads the chunks as ``send`` would have written them; under h11 there is
    no extension and ``send`` does it all."""
    app = ChunkApp()
    async with (
        serving(uvicorn.Server(_config(app, h11))) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        response = await http.get("/")
        head = await http.head("/")
    assert response.status_code == 200
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.content == b"one\r\ntwo\r\n"
    assert head.status_code == 200
    assert head.content == b""
    if h11:
        assert app.seen == [("before", None), ("after", None)] * 2
    else:
        assert app.seen == [("before", False), ("after", True), ("before", False), ("after", False)]


class FakeTransport(asyncio.Transport):
    """A connection's transport that records what is written, each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class LengthApp:
    """A JSON answer with its length (as ``JSONResponse`` sends it), a chunked one, or an
    empty one, by path."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            await receive()
        if scope["path"] == "/chunked":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"one", "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        body = b"" if scope["path"] == "/empty" else b'{"ok":true}'
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _exchange(request: bytes) -> list[bytes]:
    """``request`` given to the protocol ``convos-server`` serves with; what it wrote, each
    write apart."""
    config = uvicorn_config(LengthApp(), log_level="warning", lifespan="off")
    config.load()
    protocol = config.http_protocol_class(  # type: ignore[call-arg]
        config=config, server_state=ServerState(), app_state={}
    )
    transport = FakeTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(100):
        if transport.writes and (transport.writes[-1].endswith((b"}", b"0\r\n\r\n", b"\r\n\r\n"))):
            break
        await asyncio.sleep(0.001)
    protocol.connection_lost(None)
    return transport.writes


async def test_a_response_of_known_length_goes_out_in_one_write() -> None:
    """The head of a response with a ``content-length`` waits for its body: one write. A
    chunked response's head goes out at once (an event stream's client waits for it), and
    so do a ``HEAD`` answer's, an empty body's and the ``100 Continue``."""
    (answer,) = await _exchange(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b'\r\n\r\n{"ok":true}')
    head, first, last = await _exchange(b"GET /chunked HTTP/1.1\r\nhost: x\r\n\r\n")
    assert head.endswith(b"transfer-encoding: chunked\r\n\r\n")
    assert (first, last) == (b"3\r\none\r\n", b"0\r\n\r\n")
    (head_only,) = await _exchange(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")
    assert head_only.endswith(b"content-length: 11\r\n\r\n")
    empty = await _exchange(b"GET /empty HTTP/1.1\r\nhost: x\r\n\r\n")
    assert empty[0].endswith(b"content-length: 0\r\n\r\n")
    assert b"".join(empty) == empty[0]
    continued, answer = await _exchange(
        b"POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n{}"
    )
    assert continued == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b'\r\n\r\n{"ok":true}')

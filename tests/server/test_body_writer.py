"""The ``convos.body_writer`` scope extension (``convos_server.body_writer``) on a real uvicorn."""

from __future__ import annotations

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

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

"""Closing the API client waits for the requests in flight, so no connection is left open.

httpx closes only the connections its pool holds when it closes; a request whose connection
was still being opened finished on a connection nobody closed (an "unclosed transport" at the
next garbage collection). A loopback server that answers late stands in for a busy server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from convos_desktop.core import api as api_module
from convos_desktop.core.api import ApiClient, ServerUnreachableError

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n" + (
    b'{"ok":true}'
)


class LateServer:
    """Accepts connections, reads a request and answers after ``delay`` (never if ``None``)."""

    def __init__(self, delay: float | None) -> None:
        self.delay = delay
        self.accepted = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        self.accepted.set()
        if self.delay is None:
            await reader.read()  # until the client hangs up
        else:
            await asyncio.sleep(self.delay)
            writer.write(ANSWER)
            await writer.drain()
            await reader.read()
        writer.close()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


@pytest.fixture
async def late_server(request: pytest.FixtureRequest) -> AsyncIterator[LateServer]:
    server = LateServer(request.param)
    await server.start()
    yield server
    await server.stop()


@pytest.mark.parametrize("late_server", [0.3], indirect=True)
async def test_close_waits_for_a_request_in_flight(late_server: LateServer) -> None:
    client = ApiClient(f"http://127.0.0.1:{late_server.port}", "token")
    call = asyncio.ensure_future(client.request("GET", "/me"))
    await asyncio.wait_for(late_server.accepted.wait(), 5)
    await client.aclose()
    assert call.done()
    assert await call == {"ok": True}  # answered, not cut off by the close


@pytest.mark.parametrize("late_server", [None], indirect=True)
async def test_close_gives_up_on_a_request_that_never_ends(
    late_server: LateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_module, "CLOSE_WAIT_S", 0.2)
    client = ApiClient(f"http://127.0.0.1:{late_server.port}", "token")
    call = asyncio.ensure_future(client.request("GET", "/me"))
    await asyncio.wait_for(late_server.accepted.wait(), 5)
    started = asyncio.get_running_loop().time()
    await client.aclose()
    assert asyncio.get_running_loop().time() - started < 2
    with pytest.raises(ServerUnreachableError):
        await asyncio.wait_for(call, 5)  # its connection was closed under it: a clear error

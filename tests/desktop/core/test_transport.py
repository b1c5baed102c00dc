"""core.transport against real loopback servers: small asyncio servers written here for the
edge cases (keep-alive closed by the server, bytes nobody asked for, bodies streamed both
ways, broken responses, timeouts, TLS with a certificate made here, a proxy) and the real
Convos server for what the app does (login, JSON, an upload, the event stream)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from convos_desktop.core.sync import MessagesChanged
from convos_desktop.core.transport import Http11Transport, async_client
from tests.e2e.conftest import Workspace, connected, open_client, server, wait_until, workspace

__all__ = ["server", "workspace"]  # the real server's fixtures

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Served:
    """A loopback server: its base URL and what it saw."""

    url: str
    connections: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)  # a connection ended


@contextlib.asynccontextmanager
async def serving(
    handler: Handler, *, context: ssl.SSLContext | None = None
) -> AsyncIterator[Served]:
    """Run ``handler`` for each connection to a server on a free loopback port."""
    served = Served("")
    handlers: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.connections += 1
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()
            served.closed.set()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    served.url = f"{'https' if context else 'http'}://127.0.0.1:{port}"
    async with server:
        yield served
        server.close()
        for task in handlers:  # the connections still open (Server.close_clients: 3.13)
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    """The next request's method, target and body (by Content-Length); None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ")
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)
    length = int(headers.get("Content-Length", headers.get("content-length", "0")))
    return method, target, await reader.readexactly(length)


RESPONSES = {
    "/length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "/chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    ),
    "/head": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",  # HEAD: no body follows
    "/none": b"HTTP/1.1 204 No Content\r\n\r\n",
    "/same": b"HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\n\r\n",
    "/continue": (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nthen"),
}


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer requests on one connection until the client closes it; POST echoes its size."""
    while (request := await read_request(reader)) is not None:
        method, target, body = request
        if method == "POST":
            size = str(len(body)).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(size), size))
        else:
            writer.write(RESPONSES[target])
        await writer.drain()


async def test_each_kind_of_response_leaves_the_connection_for_the_next_request() -> None:
    async with serving(keep_alive) as served, async_client() as client:
        assert (await client.get(f"{served.url}/length")).text == "hello"
        assert (await client.get(f"{served.url}/chunked")).text == "hello world"
        head = await client.head(f"{served.url}/head")
        assert (head.status_code, head.content) == (200, b"")
        assert (await client.get(f"{served.url}/none")).status_code == 204
        same = await client.get(f"{served.url}/same")
        assert (same.status_code, same.content) == (304, b"")
        assert (await client.get(f"{served.url}/continue")).text == "then"
        assert (await client.post(f"{served.url}/up", content=b"x" * 100_000)).text == "100000"
        assert (await client.get(f"{served.url}/length")).text == "hello"
    assert served.connections == 1


def answering_then(after: str, said: asyncio.Event) -> Handler:
    """A keep-alive answer, then (``after``) the server closes the idle connection, or writes
    bytes nobody asked for (a 408) while it idles, or sends those in the answer's own write
    (left in h11's buffer, not the socket's); ``said`` is set once that is done."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_request(reader) is None:
            return
        more = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"
        writer.write(RESPONSES["/length"] + (more if after == "more in the same write" else b""))
        await writer.drain()
        if after == "close":
            writer.close()
            await writer.wait_closed()
        elif after == "more while idle":
            await asyncio.sleep(0.05)
            writer.write(more)
            await writer.drain()
        said.set()
        await read_request(reader)  # until the client closes

    return handler


@pytest.mark.parametrize("after", ["close", "more while idle", "more in the same write"])
async def test_an_idle_connection_the_server_closed_or_wrote_to_is_not_reused(after: str) -> None:
    said = asyncio.Event()
    async with serving(answering_then(after, said)) as served, async_client() as client:
        assert (await client.get(f"{served.url}/length")).text == "hello"
        await said.wait()
        await asyncio.sleep(0.1)  # the loop reads the FIN / the bytes from the socket
        second = await client.get(f"{served.url}/length")
        assert (second.status_code, second.text) == (200, "hello")
    assert served.connections == 2


async def test_an_idle_connection_past_its_keepalive_is_not_reused() -> None:
    transport = Http11Transport(keepalive_s=0)
    async with serving(keep_alive) as served, httpx.AsyncClient(transport=transport) as client:
        await client.get(f"{served.url}/length")
        await client.get(f"{served.url}/length")
    assert served.connections == 2


async def test_a_response_body_is_delivered_as_it_arrives() -> None:
    # The server sends the second chunk only after the client got the first (the event
    # stream's case): a transport that buffered the body would wait forever.
    first_seen = asyncio.Event()

    async def stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n")
        await writer.drain()
        await first_seen.wait()
        writer.write(b"7\r\nsecond\n\r\n0\r\n\r\n")
        await writer.drain()
        await read_request(reader)

    async with serving(stream) as served, async_client() as client:
        async with client.stream("GET", f"{served.url}/events") as response:
            parts = []
            async for part in response.aiter_bytes():
                parts.append(part)
                first_seen.set()
        assert parts == [b"first\n", b"second\n"]


async def test_a_request_body_is_sent_as_it_is_produced() -> None:
    # The upload's second part is produced only once the server has read the first.
    first_read = asyncio.Event()

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.readuntil(b"first")
        first_read.set()
        await reader.readuntil(b"0\r\n\r\n")
        writer.write(RESPONSES["/length"])
        await writer.drain()

    async def parts() -> AsyncIterator[bytes]:
        yield b"first"
        await first_read.wait()
        yield b"second"

    async with serving(receive) as served, async_client() as client:
        response = await client.post(f"{served.url}/files", content=parts())
        assert response.text == "hello"


async def broken_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 two hundred\r\n\r\n")
    await writer.drain()


async def silent_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)


async def drop_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
    await writer.drain()


@pytest.mark.parametrize("handler", [broken_head, silent_close, drop_mid_body])
async def test_a_broken_or_cut_response_is_a_remote_protocol_error(handler: Handler) -> None:
    async with serving(handler) as served, async_client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{served.url}/x")


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with serving(keep_alive) as served:
        url = served.url
    async with async_client() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/length")


async def test_no_connection_within_the_connect_timeout_is_a_connect_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:  # never accepts
        port = listening.getsockname()[1]
        async with async_client() as client:
            with pytest.raises(httpx.ConnectTimeout):  # 0 s: over before connect returns
                await client.get(f"http://127.0.0.1:{port}/", timeout=httpx.Timeout(5, connect=0))


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()


async def test_a_server_that_does_not_answer_is_a_read_timeout() -> None:
    async with serving(never_answer) as served, async_client() as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{served.url}/x", timeout=httpx.Timeout(5, read=0.1))


async def test_a_server_that_does_not_read_is_a_write_timeout() -> None:
    async with serving(never_answer) as served, async_client() as client:
        with pytest.raises(httpx.WriteTimeout):
            await client.post(
                f"{served.url}/x", content=b"x" * (64 << 20), timeout=httpx.Timeout(5, write=0.2)
            )


async def test_no_free_connection_in_time_is_a_pool_timeout_and_a_closed_body_frees_one() -> None:
    transport = Http11Transport(max_connections=1)
    async with serving(keep_alive) as served, httpx.AsyncClient(transport=transport) as client:
        async with client.stream("GET", f"{served.url}/length"):
            with pytest.raises(httpx.PoolTimeout):
                await client.get(f"{served.url}/length", timeout=httpx.Timeout(5, pool=0.1))
        assert (await client.get(f"{served.url}/length")).text == "hello"


async def test_a_body_left_or_cancelled_midway_closes_its_connection() -> None:
    begun = asyncio.Event()

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nbegin\r\n")
            await writer.drain()
            begun.set()

    transport = Http11Transport(max_connections=1)
    async with serving(endless) as served, httpx.AsyncClient(transport=transport) as client:
        async with client.stream("GET", f"{served.url}/left") as response:
            async for _ in response.aiter_bytes():
                break
        await served.closed.wait()  # closed, not pooled with a body half read
        served.closed.clear()

        async def read_all() -> None:
            async with client.stream("GET", f"{served.url}/cancel") as response:
                await response.aread()

        begun.clear()
        task = asyncio.get_running_loop().create_task(read_all())
        await begun.wait()
        await asyncio.sleep(0.1)  # the client reads the first chunk, waits for more
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await served.closed.wait()
        assert served.connections == 2


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "convos test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_checks_the_servers_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    async with serving(keep_alive, context=server_context) as served:
        async with async_client() as client:  # the default checks: an unknown issuer
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(f"{served.url}/length")
        trusted = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(transport=Http11Transport(verify=trusted)) as client:
            assert (await client.get(f"{served.url}/chunked")).text == "hello world"
            assert (await client.get(f"{served.url}/length")).text == "hello"
    assert served.connections == 1  # the refused handshake never reached the handler


async def test_a_proxy_from_the_environment_is_used_through_httpx_own_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    targets: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await read_request(reader)) is not None:
            targets.append(request[1])
            writer.write(RESPONSES["/length"])
            await writer.drain()

    async with serving(proxy) as through, serving(keep_alive) as direct:
        monkeypatch.setenv("HTTP_PROXY", through.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        async with async_client() as client:
            await client.get("http://convos.invalid/api")
            port = direct.url.rsplit(":", 1)[1]
            assert (await client.get(f"http://localhost:{port}/chunked")).text == "hello world"
    assert targets == ["http://convos.invalid/api"]  # the proxy's absolute form
    assert direct.connections == 1


async def test_the_app_talks_to_the_real_server_through_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    # Login, JSON calls, an upload (multipart) and the event stream bringing a message.
    api = await workspace.agent_api()
    assert api.token is not None
    info = await api.upload_file("note.txt", b"ciao " * 50_000)
    assert info.size == 250_000
    assert await api.file_bytes(info.id) == b"ciao " * 50_000
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    changes: list[MessagesChanged] = []
    client.sync.messages_changed.connect(changes.append)
    try:
        await connected(client)
        await workspace.customer_says("Buongiorno dal test del trasporto")
        await wait_until(lambda: bool(changes), what="the message over the live stream")
    finally:
        await client.close()
        await api.aclose()

"""The floors ``server_floor`` measures our server against, each in its own process.

``python -m benchmarks._floor_app http --database-url URL``: a bare FastAPI app served the way
``convos-server serve`` serves ours (``bind_socket``, the same ``uvicorn.Config`` options,
the same event loop; uvicorn's stock httptools protocol, which ours only extends with the
``convos.body_writer`` scope extension): ``GET /floor`` answers a small dict, ``POST
/floor`` validates a small JSON body with pydantic and inserts one row, into a WAL-mode
SQLite file (stdlib ``sqlite3``, the pragmas of ours) or into PostgreSQL through an asyncpg
pool.

``python -m benchmarks._floor_app fanout``: a bare asyncio server for the event fan-out
floor. A connection that sends ``sink\\n`` is a subscriber; one that sends ``go COUNT HEX\\n``
has the frame ``HEX`` written to every subscriber ``COUNT`` times, one ``transport.write``
per delivery (as our streams write one frame per event), then reads ``done\\n``.

Both print ``listening on http://host:port`` when ready, as our server does.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, cast

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url

from convos_server.cli import bind_socket, run_server

_CREATE = (
    "CREATE TABLE IF NOT EXISTS floor_rows (id {id} PRIMARY KEY, external_id TEXT NOT NULL, "
    "body TEXT NOT NULL, created_at TEXT NOT NULL)"
)


class FloorBody(BaseModel):
    """The small JSON body ``POST /floor`` validates (the shape of a customer message)."""

    external_id: str = Field(min_length=1, max_length=200)
    text: str = Field(default="", max_length=10_000)


class SqliteRows:
    """Inserts into a WAL-mode SQLite file with the stdlib driver, inline on the loop."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
            self._connection.execute(f"PRAGMA {pragma}")
        self._connection.execute(_CREATE.format(id="INTEGER"))

    async def insert(self, body: FloorBody) -> int:
        """Insert one row; its id."""
        cursor = self._connection.execute(
            "INSERT INTO floor_rows (external_id, body, created_at) VALUES (?, ?, datetime('now'))",
            (body.external_id, body.text),
        )
        return int(cursor.lastrowid or 0)

    async def close(self) -> None:
        """Close the file."""
        self._connection.close()


class PostgresRows:
    """Inserts into PostgreSQL through an asyncpg pool (our server's driver)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._pool: Any = None

    async def open(self) -> None:
        """Create the pool and the table."""
        import asyncpg  # type: ignore[import-untyped]

        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=10)
        await self._pool.execute(_CREATE.format(id="BIGSERIAL"))

    async def insert(self, body: FloorBody) -> int:
        """Insert one row; its id."""
        row_id = await self._pool.fetchval(
            "INSERT INTO floor_rows (external_id, body, created_at) "
            "VALUES ($1, $2, now()::text) RETURNING id",
            body.external_id,
            body.text,
        )
        return int(row_id)

    async def close(self) -> None:
        """Close the pool."""
        await self._pool.close()


def floor_app(database_url: str) -> FastAPI:
    """The bare FastAPI app: a GET and a validating, inserting POST."""
    url = make_url(database_url)
    rows: SqliteRows | PostgresRows
    if url.get_backend_name() == "sqlite":
        rows = SqliteRows(Path(url.database or "floor.sqlite3"))
    else:
        rows = PostgresRows(url.set(drivername="postgresql").render_as_string(False))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if isinstance(rows, PostgresRows):
            await rows.open()
        yield
        await rows.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/floor")
    async def read() -> dict[str, Any]:
        return {"status": "ok", "database": url.get_backend_name()}

    @app.post("/floor", status_code=201)
    async def write(body: FloorBody) -> dict[str, Any]:
        return {"id": await rows.insert(body), "external_id": body.external_id}

    return app


async def serve_http(database_url: str, host: str) -> None:
    """Serve ``floor_app`` as ``convos_server.cli.serve`` serves ours."""
    sock = bind_socket(host, 0)
    print(f"floor listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    app = floor_app(database_url)
    config = uvicorn.Config(app, log_level="info", access_log=False, timeout_graceful_shutdown=3)
    await uvicorn.Server(config).serve(sockets=[sock])


class FanoutFloor(asyncio.Protocol):
    """One connection of the fan-out floor: a subscriber or a ``go`` command."""

    subscribers: ClassVar[set[asyncio.Transport]] = set()

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """``sink`` joins the subscribers; ``go COUNT HEX`` writes the frame to each."""
        assert self._transport is not None
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line == b"sink":
                FanoutFloor.subscribers.add(self._transport)
            elif line.startswith(b"go "):
                _go, count, frame_hex = line.split(b" ")
                frame = bytes.fromhex(frame_hex.decode())
                for _ in range(int(count)):
                    for subscriber in FanoutFloor.subscribers:
                        subscriber.write(frame)
                self._transport.write(b"done\n")

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget a subscriber."""
        if self._transport is not None:
            FanoutFloor.subscribers.discard(self._transport)


async def serve_fanout(host: str) -> None:
    """Serve the fan-out floor until killed."""
    server = await asyncio.get_running_loop().create_server(FanoutFloor, sock=bind_socket(host, 0))
    port = server.sockets[0].getsockname()[1]
    print(f"floor listening on http://{host}:{port}", flush=True)
    await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    """``http --database-url URL`` or ``fanout``."""
    parser = argparse.ArgumentParser(prog="benchmarks._floor_app", description=__doc__)
    parser.add_argument("mode", choices=["http", "fanout"])
    parser.add_argument(
        "--database-url", default="sqlite:///floor.sqlite3", help="'-': read it from stdin"
    )
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args(argv)
    if options.database_url == "-":
        # Started before the database exists (its imports overlap the server's start): the
        # URL comes as the first line of stdin.
        options.database_url = sys.stdin.readline().strip()
    if options.mode == "http":
        run_server(serve_http(options.database_url, options.host))
    else:
        run_server(serve_fanout(options.host))


if __name__ == "__main__":
    main()

"""Server test fixtures: a fresh database per test, the real app, a real loopback server.

``client`` talks to the app in process (httpx + ASGITransport, lifespan running);
``live_server`` runs uvicorn on a loopback port for SSE. ``ws`` (a ``Workspace``) creates
agents, teams and inboxes through the API and logs people in.

PostgreSQL: tests that take the ``database_url`` fixture run on SQLite and, when
``CONVOS_TEST_PG_URL`` is set, on a fresh PostgreSQL database too (marked ``postgres``).
With ``CI=true`` a missing ``CONVOS_TEST_PG_URL`` fails those tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from httpx_sse import aconnect_sse
from sqlalchemy.engine import make_url

from convos_server.app import create_app
from convos_server.body_writer import uvicorn_config
from convos_server.cli import ConvosServer, bind_socket, create_admin
from convos_server.config import Settings
from convos_server.db.migrate import upgrade_to_head
from convos_server.services import auth
from convos_server.services.events import EventBus

PG_ENV = "CONVOS_TEST_PG_URL"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _pg_admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set on CI: the PostgreSQL tests cannot run")
        pytest.skip(f"{PG_ENV} not set")
    name = f"convos_t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(_pg_admin_dsn(base))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_pg_admin_dsn(base))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with the cheapest parameters: production ones take ~0.3 s per hash."""
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def backend() -> str:
    """The database backend; parametrised tests override it with ``BACKENDS``."""
    return "sqlite"


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database URL (SQLite file in tmp_path, or a new PostgreSQL database)."""
    if backend == "postgres":
        async with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'convos.db'}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Per-test settings overrides (a test module may redefine this fixture)."""
    return {}


@pytest.fixture
async def settings(
    database_url: str, tmp_path: Path, settings_overrides: dict[str, Any]
) -> Settings:
    """Settings for a fresh database, already upgraded to head."""
    await upgrade_to_head(database_url)
    return Settings(database_url=database_url, data_dir=tmp_path / "data", **settings_overrides)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The real app with its lifespan (event reader, presence sweeper) running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to ``app`` in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _free_socket() -> socket.socket:
    return bind_socket("127.0.0.1", 0)


@pytest.fixture
def live_app(settings: Settings) -> FastAPI:
    """The app ``live_server`` runs (its ``state.bus`` tells who is subscribed)."""
    return create_app(settings)


@contextlib.asynccontextmanager
async def serving(server: uvicorn.Server) -> AsyncIterator[str]:
    """Run ``server`` on a loopback port in this event loop; yields its base URL."""
    sock = _free_socket()
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@pytest.fixture
async def live_server(live_app: FastAPI) -> AsyncIterator[str]:
    """A real uvicorn server on a loopback port, in this event loop; yields its base URL."""
    config = uvicorn_config(
        live_app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1
    )
    async with serving(ConvosServer(config, live_app.state.bus)) as url:
        yield url


@dataclass
class Workspace:
    """Builds a workspace through the API and keeps the tokens of who logged in."""

    http: httpx.AsyncClient
    settings: Settings
    tokens: dict[int, str] = field(default_factory=dict)
    admin_id: int = 0

    def auth(self, agent_id: int) -> dict[str, str]:
        """Headers authenticating as ``agent_id``."""
        return {"Authorization": f"Bearer {self.tokens[agent_id]}"}

    async def call(self, method: str, path: str, agent_id: int | None = None, **kw: Any) -> Any:
        """A call that must succeed (2xx); its JSON (or None for 204)."""
        headers = self.auth(agent_id if agent_id is not None else self.admin_id)
        response = await self.http.request(method, f"/api/v1{path}", headers=headers, **kw)
        assert response.is_success, (method, path, response.status_code, response.text)
        return response.json() if response.status_code != 204 else None

    async def login(self, email: str, password: str) -> int:
        """Log in and remember the token; the agent id."""
        response = await self.http.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        self.tokens[body["agent"]["id"]] = body["token"]
        return int(body["agent"]["id"])

    async def agent(self, name: str, *, role: str = "agent", online: bool = False) -> int:
        """Create an agent (as admin), log it in, and optionally set it online."""
        email = f"{name.lower()}@convos.test"
        await self.call(
            "POST", "/agents", json={"name": name, "email": email, "password": "pw", "role": role}
        )
        agent_id = await self.login(email, "pw")
        if online:
            await self.presence(agent_id, "online")
        return agent_id

    async def presence(self, agent_id: int, status: str, screen: str = "conversations") -> Any:
        """Send a heartbeat for ``agent_id``."""
        return await self.call(
            "PUT", "/presence", agent_id, json={"status": status, "screen": screen}
        )

    async def team(self, name: str, agent_ids: list[int]) -> int:
        """Create a team with members."""
        body = await self.call("POST", "/teams", json={"name": name, "agent_ids": agent_ids})
        return int(body["id"])

    async def inbox(self, name: str, team_id: int | None, **options: Any) -> dict[str, Any]:
        """Create an inbox; the response carries its ``api_key``."""
        body: dict[str, Any] = await self.call(
            "POST", "/inboxes", json={"name": name, "team_id": team_id, **options}
        )
        return body

    async def handoff(
        self, inbox: dict[str, Any], external_id: str, text: str = "Help me", **contact: Any
    ) -> dict[str, Any]:
        """A customer message with bot hand-off into ``inbox`` (opens a ticket)."""
        response = await self.http.post(
            f"/api/v1/channels/{inbox['id']}/messages",
            headers={"X-Api-Key": inbox["api_key"]},
            json={
                "contact": {"external_id": external_id, "name": external_id, **contact},
                "text": text,
                "handoff": True,
            },
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


async def make_admin(settings: Settings, email: str = "admin@convos.test") -> None:
    """Create the first admin straight in the database (as ``create-admin`` does)."""
    await create_admin(settings, email, "admin", "Admin")


@pytest.fixture
async def ws(client: httpx.AsyncClient, settings: Settings) -> Workspace:
    """A workspace with one admin logged in."""
    await make_admin(settings)
    workspace = Workspace(client, settings)
    workspace.admin_id = await workspace.login("admin@convos.test", "admin")
    return workspace


@pytest.fixture
async def live_ws(live_server, settings) -> AsyncIterator[Workspace]:
    """A workspace built over HTTP against the live server."""
    await make_admin(settings)
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        workspace = Workspace(http, settings)
        workspace.admin_id = await workspace.login("admin@convos.test", "admin")
        yield workspace


async def read_events(ws, agent_id, *, after=None, last_event_id=None, until=None, count=None):
    """Open a stream and collect ``(id, type, data)`` until ``until(events)`` or ``count``."""
    headers = ws.auth(agent_id)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    params = {"after": after} if after is not None else {}
    received: list[tuple[int, str, dict]] = []
    async with aconnect_sse(
        ws.http, "GET", "/api/v1/events", headers=headers, params=params
    ) as source:
        assert source.response.status_code == 200
        async for sse in source.aiter_sse():
            received.append((int(sse.id), sse.event, json.loads(sse.data)))
            if count is not None and len(received) >= count:
                break
            if until is not None and until(received):
                break
    return received


async def wait_for_subscribers(bus: EventBus, count: int, timeout_s: float) -> None:
    """Until ``bus`` has ``count`` subscribers; AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while bus.subscriber_count != count:
        assert time.monotonic() < deadline, f"{bus.subscriber_count} subscribers, not {count}"
        await asyncio.sleep(0.02)

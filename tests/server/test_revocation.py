"""Revoked tokens: logout, deactivation and a password change end sessions and their streams,
in every server process (two apps on one database stand for two processes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from httpx_sse import aconnect_sse
from sqlalchemy import update

from convos_server.app import create_app
from convos_server.body_writer import uvicorn_config
from convos_server.cli import ConvosServer, bind_socket
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services.events import TOKENS_REVOKED, EventBus, is_visible
from tests.server.conftest import BACKENDS, Workspace

# A stream must end within this many seconds of its token's revocation.
REVOCATION_BOUND_S = 5.0


class Stream:
    """An open ``GET /events`` stream read in the background until it ends."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.events: list[tuple[str, dict[str, object]]] = []
        self.ended = asyncio.Event()
        self._opened = asyncio.Event()
        self._task = asyncio.create_task(self._read(http, token))

    async def _read(self, http: httpx.AsyncClient, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with aconnect_sse(http, "GET", "/api/v1/events", headers=headers) as source:
                assert source.response.status_code == 200
                self._opened.set()
                async for sse in source.aiter_sse():
                    self.events.append((sse.event, json.loads(sse.data)))
        finally:
            self.ended.set()

    async def opened(self) -> None:
        """Until the server answered with the stream's headers."""
        await asyncio.wait_for(self._opened.wait(), 10)  # subscribed before the headers left

    async def ends_within(self, seconds: float) -> float:
        """Seconds until the stream ended; fails after ``seconds``."""
        started = time.monotonic()
        await asyncio.wait_for(asyncio.shield(self.ended.wait()), seconds)
        await self._task
        return time.monotonic() - started

    def bodies(self) -> list[object]:
        """The bodies of the ``message.created`` events received."""
        return [
            data["message"]["body"]  # type: ignore[index]
            for type_, data in self.events
            if type_ == "message.created"
        ]

    async def close(self) -> None:
        """Stop reading."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError, AssertionError):
            await self._task


async def login(http: httpx.AsyncClient, email: str, password: str = "pw") -> str:
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def me_status(http: httpx.AsyncClient, token: str) -> int:
    response = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def anna_with_inbox(ws: Workspace) -> tuple[int, dict[str, object]]:
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    return anna, inbox


async def test_logout_ends_the_stream_of_that_token_only(live_ws):
    ws = live_ws
    anna, inbox = await anna_with_inbox(ws)
    other_token = await login(ws.http, "anna@convos.test")
    revoked, kept = Stream(ws.http, ws.tokens[anna]), Stream(ws.http, other_token)
    try:
        await asyncio.gather(revoked.opened(), kept.opened())
        await ws.handoff(inbox, "wa:1", "before logout")
        await ws.call("POST", "/auth/logout", anna)
        assert await revoked.ends_within(REVOCATION_BOUND_S) < REVOCATION_BOUND_S
        await ws.handoff(inbox, "wa:2", "after logout")
        await asyncio.sleep(1.0)
        assert "after logout" not in revoked.bodies()
        assert not kept.ended.is_set()
        assert "after logout" in kept.bodies()
        assert await me_status(ws.http, ws.tokens[anna]) == 401
    finally:
        await revoked.close()
        await kept.close()


async def test_a_revoked_token_cannot_open_a_stream(live_ws):
    ws = live_ws
    anna, _ = await anna_with_inbox(ws)
    await ws.call("POST", "/auth/logout", anna)
    response = await ws.http.get("/api/v1/events", headers=ws.auth(anna))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_deactivation_revokes_every_token_for_good(live_ws):
    ws = live_ws
    anna, inbox = await anna_with_inbox(ws)
    second_token = await login(ws.http, "anna@convos.test")
    stream = Stream(ws.http, ws.tokens[anna])
    try:
        await stream.opened()
        await ws.call("PATCH", f"/agents/{anna}", json={"active": False})
        await stream.ends_within(REVOCATION_BOUND_S)
        await ws.handoff(inbox, "wa:1", "after deactivation")
        await ws.call("PATCH", f"/agents/{anna}", json={"active": True})
        assert await me_status(ws.http, ws.tokens[anna]) == 401
        assert await me_status(ws.http, second_token) == 401
        assert "after deactivation" not in stream.bodies()
        assert await me_status(ws.http, await login(ws.http, "anna@convos.test")) == 200
    finally:
        await stream.close()


async def test_a_password_change_revokes_the_other_tokens(ws):
    anna = await ws.agent("Anna")
    anna_second = await login(ws.http, "anna@convos.test")
    await ws.call("PATCH", f"/agents/{anna}", json={"password": "new secret"})
    assert await me_status(ws.http, ws.tokens[anna]) == 401
    assert await me_status(ws.http, anna_second) == 401
    assert await me_status(ws.http, await login(ws.http, "anna@convos.test", "new secret")) == 200
    # An admin changing its own password keeps the token it changed it with.
    admin_second = await login(ws.http, "admin@convos.test", "admin")
    await ws.call("PATCH", f"/agents/{ws.admin_id}", json={"password": "admin2"})
    assert await me_status(ws.http, ws.tokens[ws.admin_id]) == 200
    assert await me_status(ws.http, admin_second) == 401


async def test_a_change_without_password_or_deactivation_revokes_nothing(ws):
    anna = await ws.agent("Anna")
    await ws.call("PATCH", f"/agents/{anna}", json={"name": "Anna B.", "active": True})
    assert await me_status(ws.http, ws.tokens[anna]) == 200


@contextlib.asynccontextmanager
async def another_process(settings) -> AsyncIterator[str]:
    """A second server app on the same database, on its own port: its base URL."""
    sock = bind_socket("127.0.0.1", 0)
    app = create_app(settings)
    config = uvicorn_config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = ConvosServer(config, app.state.bus)
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


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_revocation_in_one_process_ends_streams_and_sessions_in_another(live_ws, settings):
    ws = live_ws
    anna, inbox = await anna_with_inbox(ws)
    async with (
        another_process(settings) as other_url,
        httpx.AsyncClient(base_url=other_url, timeout=30) as other,
    ):
        logged_out = await login(other, "anna@convos.test")
        stream = Stream(other, logged_out)
        deactivated_stream = None
        try:
            await stream.opened()
            assert await me_status(other, logged_out) == 200  # now in the other's token cache
            revoke = await ws.http.post(
                "/api/v1/auth/logout", headers={"Authorization": f"Bearer {logged_out}"}
            )
            assert revoke.status_code == 204
            await stream.ends_within(REVOCATION_BOUND_S)
            assert await me_status(other, logged_out) == 401  # before the cache's 5 s TTL
            deactivated_stream = Stream(other, ws.tokens[anna])
            await deactivated_stream.opened()
            await ws.call("PATCH", f"/agents/{anna}", json={"active": False})
            await deactivated_stream.ends_within(REVOCATION_BOUND_S)
            await ws.handoff(inbox, "wa:1", "after deactivation")
            await asyncio.sleep(1.0)
            assert "after deactivation" not in deactivated_stream.bodies()
            assert await me_status(other, ws.tokens[anna]) == 401
        finally:
            await stream.close()
            if deactivated_stream is not None:
                await deactivated_stream.close()


async def test_the_bus_ends_revoked_subscriptions_and_tells_the_token_cache(settings):
    db = Database(settings.database_url)
    dropped: list[set[int]] = []
    bus = EventBus(db, on_revoked=dropped.append)
    try:
        async with db.transaction() as session:
            agent = m.Agent(name="Anna", email="anna@x", password_hash="-", role="agent")
            session.add(agent)
            await session.flush()
            session.add_all(
                m.AuthToken(agent_id=agent.id, token_hash=h, revoked_at=revoked)
                for h, revoked in (("live", None), ("other", None), ("dead", m.utcnow()))
            )
        # A token revoked before the stream subscribed: the stream ends at once.
        late = await bus.subscribe(agent, "dead")
        assert late.closed
        assert late.revoked
        kept, ended = await bus.subscribe(agent, "other"), await bus.subscribe(agent, "live")
        assert bus.subscriber_count == 2
        async with db.transaction() as session:
            bus.publish_revocation(session, agent.id, ["live"])
            await bus.publish(session, "canned.changed", {"deleted_id": 1}, agent_id=agent.id)
        await bus._drain()
        assert ended.closed
        assert ended.revoked
        assert not kept.closed
        assert bus.subscriber_count == 1
        assert dropped == [{agent.id}]
        # The internal event reaches no stream, live or catching up.
        assert [e.type for e in kept.take()] == ["canned.changed"]
        head = await bus.stored_head()
        stored = [e async for batch in bus.read(0, head) for e in batch]
        internal = [e for e in stored if e.type == TOKENS_REVOKED]
        assert internal
        assert not any(is_visible(e, kept.visibility) for e in internal)
    finally:
        await db.dispose()


async def test_a_stream_opened_with_a_cached_but_revoked_token_is_refused(live_ws, settings):
    """The token cache may still hold a token revoked a moment ago: the stream checks it."""
    ws = live_ws
    anna, _ = await anna_with_inbox(ws)
    assert await me_status(ws.http, ws.tokens[anna]) == 200  # cached now
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:  # a bulk UPDATE this process never sees
            await session.execute(update(m.AuthToken).values(revoked_at=m.utcnow()))
            await session.commit()
    finally:
        await db.dispose()
    assert await me_status(ws.http, ws.tokens[anna]) == 200  # still answered from the cache
    response = await ws.http.get("/api/v1/events", headers=ws.auth(anna))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_an_agent_change_reaches_the_token_cache_of_another_process_at_once(
    live_ws, settings
):
    """A role change in one process shows in another's cached session well before its TTL."""
    anna = await live_ws.agent("Anna")
    headers = live_ws.auth(anna)
    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        first = await http.get("/api/v1/me", headers=headers)  # cached there from now on
        assert first.json()["role"] == "agent"
        await live_ws.call("PATCH", f"/agents/{anna}", json={"role": "admin"})
        started = time.monotonic()
        while (await http.get("/api/v1/me", headers=headers)).json()["role"] != "admin":
            assert time.monotonic() - started < 1.5, "the other process kept its cached row"
            await asyncio.sleep(0.02)

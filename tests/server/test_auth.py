"""Login, bad credentials, logout revoking the token, ``/me``, the error shapes, and the
token cache: revocation, deactivation and role changes apply at once in this process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from convos_server.app import create_app
from convos_server.db import models as m
from convos_server.services.token_cache import TokenCache


async def test_login_returns_a_token_that_authenticates(ws):
    response = await ws.http.post(
        "/api/v1/auth/login",
        json={"email": "ADMIN@convos.test", "password": "admin", "device": "laptop"},
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) >= 40
    assert body["agent"]["email"] == "admin@convos.test"
    assert body["agent"]["role"] == "admin"
    me = await ws.http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["agent"]["id"]


async def test_bad_password_and_unknown_email_are_bad_credentials(ws):
    for email, password in [("admin@convos.test", "nope"), ("ghost@convos.test", "admin")]:
        response = await ws.http.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "bad_credentials"


async def test_logout_revokes_only_the_token_used(ws):
    second = await ws.http.post(
        "/api/v1/auth/login", json={"email": "admin@convos.test", "password": "admin"}
    )
    other_token = second.json()["token"]
    response = await ws.http.post("/api/v1/auth/logout", headers=ws.auth(ws.admin_id))
    assert response.status_code == 204
    revoked = await ws.http.get("/api/v1/me", headers=ws.auth(ws.admin_id))
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "unauthorized"
    still = await ws.http.get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"})
    assert still.status_code == 200


async def test_missing_and_garbage_tokens_are_unauthorized(client):
    for headers in [{}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic eA=="}]:
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


async def test_malformed_login_is_invalid_with_the_field(client):
    response = await client.post("/api/v1/auth/login", json={"email": "a@b.c"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "password"


async def test_unknown_route_is_not_found_json(client):
    response = await client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_health_answers_without_auth(client):
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["server_time"].endswith("Z")


async def test_health_names_the_database_and_gives_its_connection_back(client, app):
    for _ in range(3):
        app.state.db.forget_ping()
        response = await client.get("/api/v1/health")
        assert response.json()["database"] == "sqlite"
    # The background tasks (event reader, sweepers) take a connection now and then.
    for _ in range(100):
        if app.state.db.engine.pool.checkedout() == 0:
            break
        await asyncio.sleep(0.01)
    assert app.state.db.engine.pool.checkedout() == 0


async def test_health_asks_the_database_once_a_second_and_again_after_a_failure(
    client, app, monkeypatch
):
    db = app.state.db
    asked: list[int] = []
    quick_read = db.quick_read

    def counting_quick_read() -> Any:
        asked.append(1)
        return quick_read()

    monkeypatch.setattr(db, "quick_read", counting_quick_read)
    db.forget_ping()
    for _ in range(5):
        assert (await client.get("/api/v1/health")).status_code == 200
    assert len(asked) == 1

    def unreachable() -> Any:
        asked.append(1)
        raise OSError("database unreachable")

    monkeypatch.setattr(db, "quick_read", unreachable)
    db.forget_ping()
    for _ in range(2):
        with pytest.raises(OSError, match="unreachable"):
            await client.get("/api/v1/health")
    assert len(asked) == 3


async def test_a_token_once_looked_up_is_cached_and_logout_drops_it(ws, app):
    assert (await ws.http.get("/api/v1/me", headers=ws.auth(ws.admin_id))).status_code == 200
    assert len(app.state.tokens) == 1
    await ws.call("POST", "/auth/logout")
    assert len(app.state.tokens) == 0
    revoked = await ws.http.get("/api/v1/me", headers=ws.auth(ws.admin_id))
    assert revoked.status_code == 401


async def test_deactivating_an_agent_ends_its_cached_session_at_once(ws):
    anna = await ws.agent("Anna")
    assert (await ws.call("GET", "/me", anna))["active"] is True
    await ws.call("PATCH", f"/agents/{anna}", json={"active": False})
    response = await ws.http.get("/api/v1/me", headers=ws.auth(anna))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_role_changes_apply_to_the_next_request(ws):
    anna = await ws.agent("Anna")
    team = {"name": "A", "agent_ids": []}
    denied = await ws.http.post("/api/v1/teams", json=team, headers=ws.auth(anna))
    assert denied.status_code == 403
    await ws.call("PATCH", f"/agents/{anna}", json={"role": "admin"})
    assert (await ws.call("POST", "/teams", anna, json=team))["name"] == "A"
    await ws.call("PATCH", f"/agents/{anna}", json={"role": "agent"})
    again = await ws.http.post("/api/v1/teams", json=team, headers=ws.auth(anna))
    assert again.status_code == 403


async def test_presence_seen_by_the_next_request_is_the_stored_one(ws):
    """The cached agent is never older than the last commit of this process."""
    anna = await ws.agent("Anna")
    assert (await ws.call("GET", "/me", anna))["status"] == "unavailable"
    await ws.presence(anna, "busy")
    assert (await ws.call("GET", "/me", anna))["status"] == "busy"
    await ws.presence(anna, "online")
    assert (await ws.call("GET", "/me", anna))["status"] == "online"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_another_process_sees_a_revocation_within_the_ttl(ws, app, settings):
    """Two apps on one database stand for two server processes."""
    clock = FakeClock()
    other = create_app(settings)
    other.state.tokens = TokenCache(ttl_s=5.0, clock=clock)
    other.state.tokens.watch(other.state.db.session_class)
    anna = await ws.agent("Anna")
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://o") as http,
    ):
        assert (await http.get("/api/v1/me", headers=ws.auth(anna))).status_code == 200
        await ws.call("POST", "/auth/logout", anna)  # through the first app
        clock.now += 4.9
        assert (await http.get("/api/v1/me", headers=ws.auth(anna))).status_code == 200
        clock.now += 0.2
        assert (await http.get("/api/v1/me", headers=ws.auth(anna))).status_code == 401


def cached_agent(agent_id: int, name: str = "Anna") -> m.Agent:
    return m.Agent(id=agent_id, name=name, email=f"{agent_id}@x", password_hash="-", role="agent")


def test_token_cache_hands_out_copies_and_forgets_the_least_recently_used():
    cache = TokenCache(max_size=2)
    for index in range(3):
        cache.put(f"hash-{index}", cached_agent(index), cache.generation)
    assert cache.get("hash-0") is None
    first = cache.get("hash-1")
    assert first is not None
    assert (first.id, first.name) == (1, "Anna")
    first.name = "Changed"
    second = cache.get("hash-1")
    assert second is not None
    assert second.name == "Anna"
    assert second is not first


def test_token_cache_does_not_store_an_answer_that_raced_with_a_change():
    cache = TokenCache()
    generation = cache.generation
    cache.drop_agents({7})  # a commit changed agent 7 while the lookup ran
    cache.put("hash", cached_agent(7), generation)
    assert cache.get("hash") is None
    cache.put("hash", cached_agent(7), cache.generation)
    assert cache.get("hash") is not None
    cache.drop_agents({8})
    assert cache.get("hash") is not None
    cache.drop_agents({7})
    assert cache.get("hash") is None


async def test_the_polled_ticket_page_ends_with_the_session_and_refuses_bad_tokens(ws):
    """The ticket page a client polls takes the agent's id and role from the token cache
    (``deps.cached_identity``): a logout, a deactivation and a role change apply to it at once,
    and a missing or bad token is refused as on any route."""
    anna = await ws.agent("Anna")
    team = await ws.team("A", [anna])
    inbox = await ws.inbox("Sales", team)
    other = await ws.inbox("Other", await ws.team("B", []))
    await ws.handoff(inbox, "wa:1")
    await ws.handoff(other, "wa:2")
    url = "/api/v1/tickets?limit=50"
    for _ in range(3):  # the query string and the agent's token and scope cached
        assert (await ws.http.get(url, headers=ws.auth(anna))).status_code == 200
    for headers in [{}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic eA=="}]:
        response = await ws.http.get(url, headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, "unauthorized")
    assert len((await ws.call("GET", "/tickets?limit=50", anna))["items"]) == 1
    await ws.call("PATCH", f"/agents/{anna}", json={"role": "admin"})
    assert len((await ws.call("GET", "/tickets?limit=50", anna))["items"]) == 2
    await ws.call("PATCH", f"/agents/{anna}", json={"active": False})
    assert (await ws.http.get(url, headers=ws.auth(anna))).status_code == 401
    await ws.call("POST", "/auth/logout")
    assert (await ws.http.get(url, headers=ws.auth(ws.admin_id))).status_code == 401

"""The cached scope of an agent (team ids, visible inboxes): a change of who sees what takes
effect at the next request, in this process and (PostgreSQL) in every other one at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from convos_server.app import create_app
from convos_server.db import models as m
from convos_server.services import tickets as ticket_service
from convos_server.services.token_cache import ScopeCache, TokenCache
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_auth import FakeClock
from tests.server.test_revocation import another_process


async def ticket_ids(http: httpx.AsyncClient, ws: Workspace, agent: int) -> set[int]:
    response = await http.get("/api/v1/tickets", params={"limit": 200}, headers=ws.auth(agent))
    assert response.status_code == 200, response.text
    return {ticket["id"] for ticket in response.json()["items"]}


async def ticket_status(http: httpx.AsyncClient, ws: Workspace, agent: int, ticket: int) -> int:
    response = await http.get(f"/api/v1/tickets/{ticket}", headers=ws.auth(agent))
    return response.status_code


async def me(http: httpx.AsyncClient, ws: Workspace, agent: int) -> dict[str, Any]:
    response = await http.get("/api/v1/me", headers=ws.auth(agent))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def two_inboxes(ws: Workspace) -> tuple[int, int, int, int, dict[str, Any], int]:
    """anna in team A; a ticket in team B's inbox: (anna, bob, team A, team B, inbox B,
    ticket B)."""
    anna, bob = await ws.agent("Anna"), await ws.agent("Bob")
    team_a, team_b = await ws.team("A", [anna]), await ws.team("B", [bob])
    await ws.inbox("Sales", team_a)
    inbox_b = await ws.inbox("Support", team_b)
    ticket_b = int((await ws.handoff(inbox_b, "wa:1"))["ticket_id"])
    return anna, bob, team_a, team_b, inbox_b, ticket_b


async def test_membership_inbox_team_and_role_changes_apply_to_the_next_request(ws, app):
    http = ws.http
    anna, bob, team_a, team_b, inbox_b, ticket_b = await two_inboxes(ws)
    assert ticket_b not in await ticket_ids(http, ws, anna)  # cached from now on
    assert (await me(http, ws, anna))["team_ids"] == [team_a]
    assert await ticket_status(http, ws, anna, ticket_b) == 404
    assert len(app.state.tokens.scopes) >= 1

    await ws.call("PATCH", f"/teams/{team_b}", json={"agent_ids": [bob, anna]})
    assert ticket_b in await ticket_ids(http, ws, anna)
    assert (await me(http, ws, anna))["team_ids"] == sorted([team_a, team_b])
    assert await ticket_status(http, ws, anna, ticket_b) == 200
    await ws.call("PATCH", f"/agents/{anna}", json={"team_ids": [team_a]})
    assert ticket_b not in await ticket_ids(http, ws, anna)
    assert (await me(http, ws, anna))["team_ids"] == [team_a]

    await ws.call("PATCH", f"/inboxes/{inbox_b['id']}", json={"team_id": team_a})
    assert ticket_b in await ticket_ids(http, ws, anna)
    assert ticket_b not in await ticket_ids(http, ws, bob)
    await ws.call("PATCH", f"/inboxes/{inbox_b['id']}", json={"team_id": team_b})
    assert ticket_b not in await ticket_ids(http, ws, anna)
    assert ticket_b in await ticket_ids(http, ws, bob)

    await ws.call("PATCH", f"/agents/{anna}", json={"role": "admin"})
    assert ticket_b in await ticket_ids(http, ws, anna)
    await ws.call("PATCH", f"/agents/{anna}", json={"role": "agent"})
    assert ticket_b not in await ticket_ids(http, ws, anna)

    # A new inbox is seen by admins (and, without a team, by everyone) at once.
    admin_before = await ticket_ids(http, ws, ws.admin_id)
    inbox_c = await ws.inbox("Open", None)
    ticket_c = int((await ws.handoff(inbox_c, "wa:2"))["ticket_id"])
    assert await ticket_ids(http, ws, ws.admin_id) == admin_before | {ticket_c}
    assert ticket_c in await ticket_ids(http, ws, anna)

    # A deleted team leaves its inbox without a team: everyone sees it.
    await ws.call("DELETE", f"/teams/{team_b}")
    assert ticket_b in await ticket_ids(http, ws, anna)
    assert (await me(http, ws, bob))["team_ids"] == []


async def test_another_process_sees_a_membership_change_within_the_ttl(ws, settings):
    """Two apps on one SQLite database stand for two processes: no NOTIFY, the TTL bounds it."""
    anna, bob, _team_a, team_b, _inbox_b, ticket_b = await two_inboxes(ws)
    clock = FakeClock()
    other = create_app(settings)
    other.state.tokens = TokenCache(ttl_s=5.0, clock=clock)
    other.state.tokens.watch(other.state.db.session_class)
    transport = httpx.ASGITransport(app=other)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=transport, base_url="http://o") as http,
    ):
        assert ticket_b not in await ticket_ids(http, ws, anna)
        await ws.call("PATCH", f"/teams/{team_b}", json={"agent_ids": [bob, anna]})
        clock.now += 4.9
        assert ticket_b not in await ticket_ids(http, ws, anna)
        clock.now += 0.2
        assert ticket_b in await ticket_ids(http, ws, anna)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_membership_change_reaches_every_process_at_once(live_ws, settings):
    ws = live_ws
    anna, bob, team_a, team_b, inbox_b, ticket_b = await two_inboxes(ws)

    async def until(check: Any) -> None:
        started = time.monotonic()
        while not await check():
            assert time.monotonic() - started < 1.5, "the other process kept its cached scope"
            await asyncio.sleep(0.02)

    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        assert ticket_b not in await ticket_ids(http, ws, anna)  # cached there from now on
        assert (await me(http, ws, anna))["team_ids"] == [team_a]
        await ws.call("PATCH", f"/teams/{team_b}", json={"agent_ids": [bob, anna]})

        async def sees() -> bool:
            return ticket_b in await ticket_ids(http, ws, anna)

        await until(sees)
        assert (await me(http, ws, anna))["team_ids"] == sorted([team_a, team_b])
        await ws.call("PATCH", f"/teams/{team_b}", json={"agent_ids": [bob]})

        async def hidden() -> bool:
            return await ticket_status(http, ws, anna, ticket_b) == 404

        await until(hidden)
        await ws.call("PATCH", f"/inboxes/{inbox_b['id']}", json={"team_id": team_a})
        await until(sees)


def test_scope_cache_does_not_store_an_answer_that_raced_with_a_change():
    cache = ScopeCache(ttl_s=5.0, max_size=2, clock=FakeClock())
    generation = cache.generation
    cache.drop({7})  # a commit changed agent 7's scope while the lookup ran
    cache.put(7, "agent", "old", generation)
    assert cache.get(7, "agent") is None
    cache.put(7, "agent", "new", cache.generation)
    assert cache.get(7, "agent") == "new"
    assert cache.get(7, "admin") is None  # computed for another role: recomputed
    for agent_id in (1, 2, 3):
        cache.put(agent_id, "agent", agent_id, cache.generation)
    assert len(cache) == 2


def test_token_cache_drops_scopes_with_tokens():
    tokens = TokenCache()
    agent = m.Agent(id=3, name="A", email="a@x", password_hash="-", role="agent")
    tokens.put("h", agent, tokens.generation)
    tokens.scopes.put(3, "agent", "scope", tokens.scopes.generation)
    tokens.scopes.put(4, "agent", "scope", tokens.scopes.generation)
    tokens.drop_agents({3})
    assert tokens.get("h") is None
    assert tokens.scopes.get(3, "agent") is None
    assert tokens.scopes.get(4, "agent") == "scope"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_page_whose_scope_left_the_cache_stays_on_the_driver(
    ws: Workspace, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a heartbeat or its TTL the agent's scope leaves the cache while the token stays:
    the page reads the scope into the cache and is read on the driver as always, not through
    SQLAlchemy's ``list_tickets`` (its ORM objects and several more round trips), and sees
    what the scope lets it see."""
    anna, _bob, _team_a, _team_b, _inbox_b, ticket_b = await two_inboxes(ws)
    everyone = await ws.inbox("Everyone", None)
    await ws.handoff(everyone, "wa:2")
    visible = await ticket_ids(ws.http, ws, anna)
    assert len(visible) == 1
    assert ticket_b not in visible
    tokens: TokenCache = app.state.tokens
    tokens.scopes.drop({anna})

    def not_through_sqlalchemy(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("the page was read through SQLAlchemy")

    monkeypatch.setattr(ticket_service, "list_tickets", not_through_sqlalchemy)
    assert await ticket_ids(ws.http, ws, anna) == visible
    assert tokens.scopes.get(anna, "agent") is not None

"""Login, logout and ``GET /me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from convos_server.api.deps import AgentDep, BusDep, DbDep, TokenDep
from convos_server.api.responses import errors
from convos_server.db.engine import Database
from convos_server.errors import ApiError
from convos_server.serialize import agent_json, load_agent
from convos_server.services import auth
from convos_server.services.login_throttle import LoginThrottle
from convos_server.services.token_cache import scope_cache_of_class
from convos_server.services.visibility import cached_scope, scope_for

router = APIRouter(tags=["auth"])


class LoginBody(BaseModel):
    """Credentials for ``POST /auth/login``."""

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    device: str | None = Field(default=None, max_length=200)


@router.post("/auth/login", responses=errors(401, 429))
async def login(body: LoginBody, request: Request, db: DbDep) -> dict[str, Any]:
    """``{token, agent}``; 401 ``bad_credentials``; 429 ``too_many_attempts`` (throttled)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client is not None else None
    throttle.check(body.email, address)
    throttle.failed(body.email, None)  # up front (parallel guesses); cleared if it succeeds
    try:
        async with db.transaction() as session:
            token, agent = await auth.login(session, body.email, body.password, body.device)
            agent_data = await load_agent(session, agent)
    except ApiError as error:
        if error.code == "bad_credentials":
            throttle.failed(None, address)
        raise
    throttle.succeeded(body.email)
    return {"token": token, "agent": agent_data}


@router.post("/auth/logout", status_code=204)
async def logout(_agent: AgentDep, token: TokenDep, db: DbDep, bus: BusDep) -> Response:
    """Revoke the token used for this call (its event streams end)."""
    async with db.transaction() as session:
        await auth.revoke_token(session, bus, token)
    bus.wake()
    return Response(status_code=204)


@router.get("/me")
async def me(agent: AgentDep, request: Request) -> dict[str, Any]:
    """The current agent: its row and team ids from the token and scope caches (no session
    at all once both hold it; the database from ``app.state``, not a dependency to solve)."""
    db: Database = request.app.state.db
    scope = cached_scope(scope_cache_of_class(db.session_class), agent)
    if scope is None:
        async with db.read() as session:
            scope = await scope_for(session, agent)
    return agent_json(agent, scope.team_ids)

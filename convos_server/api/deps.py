"""FastAPI dependencies: the collaborators on ``app.state`` and the authenticated agent.

All of them are ``async def`` although none awaits: FastAPI runs a plain ``def`` dependency
in its thread pool, a thread round trip per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from convos_server.api.shallow import in_child_task
from convos_server.config import Settings
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.errors import ApiError, forbidden
from convos_server.services import auth
from convos_server.services.events import EventBus
from convos_server.services.live import LiveState
from convos_server.services.token_cache import TokenCache
from convos_server.storage import FileStore

_bearer = HTTPBearer(auto_error=False, description="The token from POST /auth/login")


async def get_db(request: Request) -> Database:
    """The server's database."""
    db: Database = request.app.state.db
    return db


async def get_bus(request: Request) -> EventBus:
    """The server's event bus."""
    bus: EventBus = request.app.state.bus
    return bus


async def get_live(request: Request) -> LiveState:
    """Who views or types in which conversation (this process's clients)."""
    live: LiveState = request.app.state.live
    return live


async def get_settings(request: Request) -> Settings:
    """The server's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_file_store(request: Request) -> FileStore:
    """Where uploaded bytes live."""
    store: FileStore = request.app.state.files
    return store


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token of the request; 401 ``unauthorized`` when there is none."""
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "unauthorized", "Log in first")
    return credentials.credentials


async def current_agent(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> m.Agent:
    """The agent the bearer token belongs to; 401 ``unauthorized`` for a bad or revoked one.

    A token seen in the last few seconds is answered from the token cache without a session.
    The database and the cache come from ``app.state`` directly, not as sub-dependencies:
    each dependency FastAPI solves costs every authenticated request.
    """
    token = await bearer_token(credentials)
    token_hash = auth.secret_hash(token)
    tokens: TokenCache = request.app.state.tokens
    agent = tokens.get(token_hash)
    if agent is None:
        # In a child task: the request may be an event stream that lives for hours.
        agent = await in_child_task(agent_of_hash(request.app.state.db, tokens, token_hash))
    if agent is None:
        raise ApiError(401, "unauthorized", "Your session has ended; log in again")
    return agent


async def agent_of(request: Request) -> m.Agent:
    """``current_agent`` for a handler that solves no dependencies (``api.tickets``' page)."""
    return await current_agent(request, await _bearer(request))


def cached_identity(request: Request) -> tuple[int, str] | None:
    """The bearer token's agent id and role when the token cache holds the token (its
    ``Authorization`` header split as ``HTTPBearer`` splits it); ``None`` otherwise, and for
    a missing or malformed header: ``agent_of`` then answers (a 401 for a bad token)."""
    return identity_of_header(request.app.state.tokens, request.headers.get("authorization"))


def identity_of_header(tokens: TokenCache, header: str | None) -> tuple[int, str] | None:
    """``cached_identity`` of an ``Authorization`` header's value (``None``: no header)."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return tokens.identity(auth.secret_hash(token))


async def _lookup(db: Database, token_hash: str) -> m.Agent | None:
    async with db.read() as session:
        return await auth.agent_for_token_hash(session, token_hash)


async def agent_of_hash(db: Database, tokens: TokenCache, token_hash: str) -> m.Agent | None:
    """``current_agent``'s answer for a token hash, in the caller's task: the cached agent,
    else the token looked up (then cached); ``None`` for a bad or revoked token."""
    agent = tokens.get(token_hash)
    if agent is not None:
        return agent
    generation = tokens.generation
    agent = await _lookup(db, token_hash)
    if agent is not None:
        tokens.put(token_hash, agent, generation)
    return agent


async def require_admin(agent: Annotated[m.Agent, Depends(current_agent)]) -> m.Agent:
    """The current agent, who must be an admin; 403 ``forbidden`` otherwise."""
    if agent.role != "admin":
        raise forbidden("Only admins may do this")
    return agent


DbDep = Annotated[Database, Depends(get_db)]
BusDep = Annotated[EventBus, Depends(get_bus)]
LiveDep = Annotated[LiveState, Depends(get_live)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FileStoreDep = Annotated[FileStore, Depends(get_file_store)]
TokenDep = Annotated[str, Depends(bearer_token)]
AgentDep = Annotated[m.Agent, Depends(current_agent)]
AdminDep = Annotated[m.Agent, Depends(require_admin)]

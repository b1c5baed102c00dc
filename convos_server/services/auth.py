"""Passwords (argon2), bearer tokens (random, stored as SHA-256) and inbox API keys."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError
from convos_server.services.events import EventBus
from convos_server.services.token_cache import INBOX_KEY, ScopeCache

log = logging.getLogger("convos.auth")

_hasher = PasswordHasher()
# Verified when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("convos-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A fresh random token or API key: 32 bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """The SHA-256 hex digest under which a token or API key is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def login(
    session: AsyncSession, email: str, password: str, device: str | None
) -> tuple[str, m.Agent]:
    """Check the credentials and open a session: ``(token, agent)``; 401 ``bad_credentials``."""
    agent = await session.scalar(
        select(m.Agent).where(m.Agent.email == email.strip().lower(), m.Agent.active.is_(True))
    )
    # Argon2 takes a good fraction of a second by design: keep it off the event loop.
    stored_hash = agent.password_hash if agent is not None else _DUMMY_HASH
    matches = await asyncio.to_thread(verify_password, stored_hash, password)
    if agent is None or not matches:
        raise ApiError(401, "bad_credentials", "Wrong email or password")
    token = new_secret()
    session.add(
        m.AuthToken(
            agent_id=agent.id, token_hash=secret_hash(token), device=device, last_used_at=m.utcnow()
        )
    )
    log.info("agent %s logged in", agent.id)
    return token, agent


async def agent_for_token_hash(session: AsyncSession, token_hash: str) -> m.Agent | None:
    """The active agent a live (not revoked) token (by ``secret_hash``) belongs to, or ``None``."""
    return await session.scalar(
        select(m.Agent)
        .join(m.AuthToken, m.AuthToken.agent_id == m.Agent.id)
        .where(
            m.AuthToken.token_hash == token_hash,
            m.AuthToken.revoked_at.is_(None),
            m.Agent.active.is_(True),
        )
    )


async def revoke_token(session: AsyncSession, bus: EventBus, token: str) -> None:
    """Revoke a token; later requests with it get 401, its event streams end."""
    token_hash = secret_hash(token)
    agent_id = await session.scalar(
        select(m.AuthToken.agent_id).where(
            m.AuthToken.token_hash == token_hash, m.AuthToken.revoked_at.is_(None)
        )
    )
    if agent_id is None:
        return
    await _revoke(session, bus, agent_id, [token_hash])


async def revoke_agent_tokens(
    session: AsyncSession, bus: EventBus, agent_id: int, *, keep: str | None = None
) -> int:
    """Revoke every live token of the agent except the one whose hash is ``keep``; how many."""
    query = select(m.AuthToken.token_hash).where(
        m.AuthToken.agent_id == agent_id, m.AuthToken.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(m.AuthToken.token_hash != keep)
    token_hashes = list(await session.scalars(query))
    await _revoke(session, bus, agent_id, token_hashes)
    return len(token_hashes)


async def _revoke(
    session: AsyncSession, bus: EventBus, agent_id: int, token_hashes: list[str]
) -> None:
    if not token_hashes:
        return
    await session.execute(
        update(m.AuthToken)
        .where(m.AuthToken.token_hash.in_(token_hashes), m.AuthToken.revoked_at.is_(None))
        .values(revoked_at=m.utcnow())
    )
    bus.publish_revocation(session, agent_id, token_hashes)
    log.info("revoked %d tokens of agent %s", len(token_hashes), agent_id)


async def inbox_for_key(session: AsyncSession, inbox_id: int, api_key: str | None) -> m.Inbox:
    """The inbox an ingress call addresses, if ``api_key`` is its key; 403 ``forbidden`` else."""
    inbox = await session.get(m.Inbox, inbox_id)
    _check_inbox_key(inbox.api_key_hash if inbox is not None else None, api_key)
    assert inbox is not None
    return inbox


def _check_inbox_key(key_hash: str | None, api_key: str | None) -> None:
    """403 ``forbidden`` unless ``api_key`` is the key whose hash is ``key_hash``."""
    if (
        key_hash is None
        or not api_key
        or not secrets.compare_digest(key_hash, secret_hash(api_key))
    ):
        raise ApiError(403, "forbidden", "Bad inbox API key")


async def inbox_key_for(
    session: AsyncSession, cache: ScopeCache, inbox_id: int, api_key: str | None
) -> InboxKey:
    """``inbox_for_key``'s check with the inbox's key and ``active`` flag from ``cache``
    (``TokenCache.inbox_keys``; read and stored on a miss): the id and ``active`` of the
    inbox, 403 ``forbidden`` when ``api_key`` is not its key."""
    cached = cache.get(inbox_id, INBOX_KEY)
    if cached is None:
        generation = cache.generation
        row = (await session.execute(_INBOX_KEY, {"id": inbox_id})).first()
        cached = (row.api_key_hash, row.active) if row is not None else None
        if cached is not None:
            cache.put(inbox_id, INBOX_KEY, cached, generation)
    key_hash, active = cast(tuple[str, bool], cached) if cached is not None else (None, False)
    _check_inbox_key(key_hash, api_key)
    return InboxKey(inbox_id, active)


@dataclass(frozen=True, slots=True)
class InboxKey:
    """What the ingress needs of the inbox its key opened (``inbox_key_for``)."""

    id: int
    active: bool


_INBOX_KEY = select(m.Inbox.api_key_hash, m.Inbox.active).where(m.Inbox.id == bindparam("id"))

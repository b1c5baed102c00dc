"""Canned replies: shared ones (owner null, changed by admins) and each agent's own."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, forbidden, invalid, not_found
from convos_server.serialize import canned_json
from convos_server.services.events import EventBus

LANGUAGES = ("it", "en")


def _shortcut(value: str) -> str:
    shortcut = value.strip().lstrip("/")
    if not shortcut or any(ch.isspace() for ch in shortcut) or len(shortcut) > 64:
        raise invalid("A shortcut is one word of up to 64 characters", "shortcut")
    return shortcut


def _check_text_language(text: str | None, language: str | None) -> None:
    if text is not None and not text.strip():
        raise invalid("The text must not be empty", "text")
    if language is not None and language not in LANGUAGES:
        raise invalid("language must be it, en or null", "language")


async def _check_unique(
    session: AsyncSession,
    shortcut: str,
    language: str | None,
    owner_id: int | None,
    except_id: int | None = None,
) -> None:
    """409 ``shortcut_taken`` when the owner (or, for shared ones, everyone) already sees a
    reply with this shortcut in this language (case-insensitive)."""
    scope = (
        m.CannedReply.owner_id.is_(None)
        if owner_id is None
        else or_(m.CannedReply.owner_id.is_(None), m.CannedReply.owner_id == owner_id)
    )
    same_language = (
        m.CannedReply.language.is_(None) if language is None else m.CannedReply.language == language
    )
    query = select(m.CannedReply.id).where(
        scope, same_language, func.lower(m.CannedReply.shortcut) == shortcut.lower()
    )
    if except_id is not None:
        query = query.where(m.CannedReply.id != except_id)
    if await session.scalar(query.limit(1)) is not None:
        raise ApiError(
            409,
            "shortcut_taken",
            f"The shortcut /{shortcut} is already used by another quick reply",
            field="shortcut",
        )


async def visible_canned(session: AsyncSession, agent: m.Agent) -> list[m.CannedReply]:
    """The shared replies and the agent's own, by shortcut."""
    return list(
        await session.scalars(
            select(m.CannedReply)
            .where(or_(m.CannedReply.owner_id.is_(None), m.CannedReply.owner_id == agent.id))
            .order_by(m.CannedReply.shortcut, m.CannedReply.id)
        )
    )


async def _publish(
    session: AsyncSession, bus: EventBus, owner_id: int | None, data: dict[str, object]
) -> None:
    await bus.publish(session, "canned.changed", data, agent_id=owner_id)


async def create_canned(
    session: AsyncSession,
    bus: EventBus,
    agent: m.Agent,
    shortcut: str,
    text: str,
    language: str | None,
    shared: bool,
) -> m.CannedReply:
    """A new reply, the agent's own or (admins) shared."""
    if shared and agent.role != "admin":
        raise forbidden("Only admins may create shared replies")
    _check_text_language(text, language)
    owner_id = None if shared else agent.id
    await _check_unique(session, _shortcut(shortcut), language, owner_id)
    canned = m.CannedReply(
        shortcut=_shortcut(shortcut),
        text=text,
        language=language,
        owner_id=owner_id,
    )
    session.add(canned)
    await session.flush()
    await _publish(session, bus, canned.owner_id, {"canned": canned_json(canned)})
    return canned


async def _editable(session: AsyncSession, agent: m.Agent, canned_id: int) -> m.CannedReply:
    canned = await session.get(m.CannedReply, canned_id)
    if canned is None or canned.owner_id not in (None, agent.id):
        raise not_found("canned reply")
    if canned.owner_id is None and agent.role != "admin":
        raise forbidden("Only admins may change shared replies")
    return canned


async def update_canned(
    session: AsyncSession,
    bus: EventBus,
    agent: m.Agent,
    canned_id: int,
    *,
    shortcut: str | None,
    text: str | None,
    language: str | None,
    language_given: bool,
) -> m.CannedReply:
    """Change a reply the agent may change."""
    canned = await _editable(session, agent, canned_id)
    _check_text_language(text, language)
    await _check_unique(
        session,
        _shortcut(shortcut) if shortcut is not None else canned.shortcut,
        language if language_given else canned.language,
        canned.owner_id,
        except_id=canned.id,
    )
    if shortcut is not None:
        canned.shortcut = _shortcut(shortcut)
    if text is not None:
        canned.text = text
    if language_given:
        canned.language = language
    canned.updated_at = m.utcnow()
    await session.flush()
    await _publish(session, bus, canned.owner_id, {"canned": canned_json(canned)})
    return canned


async def delete_canned(
    session: AsyncSession, bus: EventBus, agent: m.Agent, canned_id: int
) -> None:
    """Delete a reply the agent may change."""
    canned = await _editable(session, agent, canned_id)
    owner_id = canned.owner_id
    await session.delete(canned)
    await session.flush()
    await _publish(session, bus, owner_id, {"deleted_id": canned_id})

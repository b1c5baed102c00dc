"""Channel ingress (inbox API key in ``X-Api-Key``) and the outbound feed; campaigns."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from convos_server.api.deps import AdminDep, BusDep, DbDep, LiveDep
from convos_server.api.params import Id, Position
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.retry import retried
from convos_server.serialize import load_messages
from convos_server.services import auth, campaigns, files, ingress
from convos_server.services.events import EventBus
from convos_server.services.token_cache import INBOX_KEY, TokenCache

router = APIRouter(tags=["channels"])

ApiKey = Annotated[str | None, Header(alias="X-Api-Key")]


class ContactRefBody(BaseModel):
    """How the channel names the customer."""

    external_id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)


class IngressBody(BaseModel):
    """``POST /channels/{inbox_id}/messages``."""

    contact: ContactRefBody
    text: str = Field(default="", max_length=10_000)
    file_ids: list[Id] = Field(default_factory=list, max_length=10)
    handoff: bool = False
    # The channel's id of this message: sent again (a gateway's retry), the first is answered.
    message_id: str | None = Field(default=None, min_length=1, max_length=64)


# A customer's first messages can arrive at the same moment on two server processes: both
# insert the new contact (or conversation, or ticket) and the later commit breaks a unique
# constraint, or on PostgreSQL two of them deadlock. The transaction is run again
# (``db.retry``) and finds what the other one created.
INGRESS_ATTEMPTS = 3


async def _receive_once(
    inbox_id: int,
    body: IngressBody,
    db: Database,
    bus: EventBus,
    tokens: TokenCache,
    x_api_key: str | None,
) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        return await _receive_in(session, inbox_id, body, bus, tokens, x_api_key)

    # Without a session when the message needs none (``db.lean``); a refusal, a new contact,
    # a ticket to open: the ORM's transaction. The inbox's key cached: nothing to read before
    # the lean path can go on (a miss would be a lean attempt given up at once).
    cached = tokens.inbox_keys.get(inbox_id, INBOX_KEY) is not None
    return await db.write(work, lean_first=cached)


def _contact_ref(contact: ContactRefBody) -> ingress.ContactRef:
    """The body's contact as the service names it: its fields read, not through
    ``model_dump``'s dict (pydantic's serializer, run for every customer message)."""
    return ingress.ContactRef(
        external_id=contact.external_id, name=contact.name, phone=contact.phone, email=contact.email
    )


async def _receive_in(
    session: AsyncSession,
    inbox_id: int,
    body: IngressBody,
    bus: EventBus,
    tokens: TokenCache,
    x_api_key: str | None,
) -> dict[str, Any]:
    inbox = await auth.inbox_key_for(session, tokens.inbox_keys, inbox_id, x_api_key)
    # A channel attaches library files, files of its own inbox, and unattached files that no
    # agent or an admin uploaded (the demo's simulator is trusted and skips this). Without
    # files the admins need not be read.
    if body.file_ids:
        await files.require_attachable(
            session,
            body.file_ids,
            owners=await files.channel_file_owners(session),
            already_in=m.Conversation.inbox_id == inbox.id,
        )
    result = await ingress.receive_customer_message(
        session,
        bus,
        inbox,
        _contact_ref(body.contact),
        body.text,
        body.file_ids,
        body.handoff,
        body.message_id,
    )
    return {
        "conversation_id": result.conversation_id,
        "message": result.message_json,
        "ticket_id": result.ticket_id,
        "created": result.created,
    }


@router.post("/channels/{inbox_id}/messages", status_code=201, responses=errors(403))
async def receive(
    inbox_id: Id,
    body: IngressBody,
    request: Request,
    response: Response,
    x_api_key: ApiKey = None,
) -> dict[str, Any]:
    """A customer message; ``handoff`` opens a ticket. ``{conversation_id, message, ticket_id}``
    (201; 200 with the first message when its ``message_id`` was stored already)."""
    data, created = await store_customer_message(request.app.state, inbox_id, body, x_api_key)
    response.status_code = 201 if created else 200
    return data


async def store_customer_message(
    state: State, inbox_id: int, body: IngressBody, x_api_key: str | None
) -> tuple[dict[str, Any], bool]:
    """``receive``'s work, committed: ``(answer, created)`` (``api.hot_writes`` answers with
    it too); the event reader woken when the message is new."""
    # The collaborators straight from app.state (as ``current_agent`` takes them), not as
    # dependencies: each one FastAPI solves costs every message (issue 14).
    db: Database = state.db
    bus: EventBus = state.bus
    tokens: TokenCache = state.tokens
    data = await retried(
        lambda: _receive_once(inbox_id, body, db, bus, tokens, x_api_key), INGRESS_ATTEMPTS
    )
    created = bool(data.pop("created"))
    if created:
        bus.wake()
    return data, created


@router.get("/channels/{inbox_id}/outbound", responses=errors(403))
async def outbound(
    inbox_id: Id,
    db: DbDep,
    x_api_key: ApiKey = None,
    after: Position = 0,
) -> list[dict[str, Any]]:
    """Agent ``out`` messages after ``after``, oldest first, for the gateway to deliver."""
    async with db.sessionmaker() as session:
        inbox = await auth.inbox_for_key(session, inbox_id, x_api_key)
        return await load_messages(session, await ingress.outbound_messages(session, inbox, after))


class ChannelTypingBody(BaseModel):
    """``POST /channels/{inbox_id}/typing``: the customer is typing."""

    contact: ContactRefBody


@router.post("/channels/{inbox_id}/typing", status_code=204, responses=errors(403))
async def customer_typing(
    inbox_id: Id, body: ChannelTypingBody, db: DbDep, live: LiveDep, x_api_key: ApiKey = None
) -> Response:
    """The customer types in its latest conversation of the inbox (nothing when it has none)."""
    async with db.sessionmaker() as session:
        inbox = await auth.inbox_for_key(session, inbox_id, x_api_key)
        conversation_id = await ingress.latest_conversation_id(
            session, inbox, body.contact.external_id
        )
    if conversation_id is not None:
        live.contact_typing(conversation_id, inbox.id)
    return Response(status_code=204)


@router.get("/channels/{inbox_id}/typing", responses=errors(403))
async def agents_typing(
    inbox_id: Id, db: DbDep, live: LiveDep, x_api_key: ApiKey = None
) -> list[dict[str, Any]]:
    """``[{conversation_id, external_id}]`` where an agent types a reply now (never a note)."""
    async with db.sessionmaker() as session:
        inbox = await auth.inbox_for_key(session, inbox_id, x_api_key)
        return await ingress.typing_targets(session, inbox, live.agents_typing_text())


class CampaignBody(BaseModel):
    """``POST /campaigns``."""

    kind: Literal["mass", "transactional"]
    inbox_id: Id
    contact_ids: list[Id] = Field(min_length=1, max_length=campaigns.MAX_CONTACTS)
    text: str = Field(min_length=1, max_length=10_000)
    name: str | None = Field(default=None, max_length=120)


@router.post("/campaigns", status_code=201)
async def create_campaign(
    body: CampaignBody, admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """One conversation per contact with one ``out`` message and no ticket."""
    async with db.transaction() as session:
        ids = await campaigns.send_campaign(
            session,
            bus,
            admin,
            body.kind,
            body.inbox_id,
            body.contact_ids,
            body.text,
            (body.name or "").strip() or None,
        )
    bus.wake()
    return {"conversation_ids": ids}

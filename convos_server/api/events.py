"""``GET /events``: the Server-Sent Events stream, resumable with ``Last-Event-ID``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from convos_server.api.deps import AgentDep, BusDep, TokenDep
from convos_server.api.event_stream import EventStreamResponse
from convos_server.api.keepalive import KeepAliveWheel
from convos_server.api.params import Position
from convos_server.api.responses import errors
from convos_server.errors import invalid
from convos_server.services.auth import secret_hash

router = APIRouter(tags=["sync"])


def _cursor(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        try:
            return int(last_event_id)
        except ValueError:
            raise invalid("Last-Event-ID must be an event id", "Last-Event-ID") from None
    return after


@router.get(
    "/events",
    response_class=EventStreamResponse,
    status_code=200,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **errors(429),
    },
)
async def events(
    agent: AgentDep,
    token: TokenDep,
    bus: BusDep,
    request: Request,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[Position | None, Query()] = None,
) -> EventStreamResponse:
    """The agent's event stream (see docs/protocol.md "Events")."""
    keepalive: KeepAliveWheel = request.app.state.keepalive
    return EventStreamResponse(
        bus, agent, _cursor(last_event_id, after), keepalive, secret_hash(token)
    )

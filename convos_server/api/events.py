"""``GET /events``: the Server-Sent Events stream, resumable with ``Last-Event-ID``."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse

from convos_server.api.deps import AgentDep, BusDep, SettingsDep
from convos_server.db import models as m
from convos_server.errors import invalid
from convos_server.services.events import EventBus, is_visible, sse_frame

log = logging.getLogger("convos.events")

router = APIRouter(tags=["sync"])


def _reset(seq: int) -> bytes:
    return sse_frame(seq, "reset", json.dumps({"event_seq": seq}))


async def _is_stale(bus: EventBus, cursor: int) -> tuple[bool, int]:
    """Whether ``cursor`` is older than what is kept or newer than the newest; the head."""
    head = await bus.stored_head()
    oldest = await bus.oldest_seq()
    expired = oldest is not None and cursor < oldest - 1
    return cursor > head or expired, head


async def event_stream(bus: EventBus, agent: m.Agent, cursor: int | None) -> AsyncIterator[bytes]:
    """Catch-up from the table after ``cursor``, then live events; no gap, no duplicate.

    Yields each event's pre-built frame, which sse-starlette writes unchanged.
    """
    subscription = await bus.subscribe(agent)
    try:
        last = subscription.start_seq
        if cursor is not None:
            stale, head = await _is_stale(bus, cursor)
            if stale:
                yield _reset(head)
                last = head
            else:
                last = cursor
                async for batch in bus.read(cursor, subscription.start_seq):
                    for event in batch:
                        if is_visible(event, subscription.visibility):
                            yield event.frame
                        last = event.seq
        while True:
            event = await subscription.queue.get()
            if subscription.overflowed:
                log.info("event stream of agent %s overflowed; the client resumes", agent.id)
                return
            if event.seq <= last:
                continue
            last = event.seq
            yield event.frame
    finally:
        bus.unsubscribe(subscription)


def _cursor(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        try:
            return int(last_event_id)
        except ValueError:
            raise invalid("Last-Event-ID must be an event id", "Last-Event-ID") from None
    return after


@router.get("/events", response_class=EventSourceResponse)
async def events(
    agent: AgentDep,
    bus: BusDep,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> EventSourceResponse:
    """The agent's event stream (see docs/protocol.md "Events")."""
    cursor = _cursor(last_event_id, after)
    ping_s = max(1, round(settings.keepalive_s))  # sse-starlette takes whole seconds
    return EventSourceResponse(event_stream(bus, agent, cursor), ping=ping_s)

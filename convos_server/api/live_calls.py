"""The live calls (``PUT /conversations/{id}/viewing`` and ``.../typing``) answered in memory.

A desktop client repeats these calls while its agent looks at a conversation and types (see
``convos_desktop/core/live.py``): with a thousand agents at work they are the most frequent
requests of all, and through FastAPI each one cost about a millisecond of CPU (middleware,
routing, dependency resolution, validation, a session for the token and one for the
conversation's visibility), CPU that the event streams' broadcasts waited for.

``LiveCallsMiddleware`` answers such a call before FastAPI when everything it needs is in
memory, with exactly the answer the route would give:

- the bearer token was looked up in the last ``TOKEN_MAX_AGE_S`` seconds and nothing dropped it
  since (``TokenCache.agent_id``: a revocation or a change of the agent drops it, in this
  process at its commit, in another within about a second);
- the agent holds an event stream with that token in this process: the stream's visibility,
  kept current by the bus (``EventBus.live_visibility``), says which inboxes it sees, and a
  revocation would have ended the stream;
- someone viewed or typed in the conversation lately, so its inbox is known
  (``LiveState.inbox_of``: a conversation never changes inbox; with several server processes
  a call another process answered counts too, the live state being mirrored), and the agent
  sees it;
- the body is small JSON of the exact shape (``{"viewing": bool}``, ``{"kind": "text"|"note"|
  null}``, or ``{}``).

Anything else (a first view, an unknown token, a conversation the agent may not see, any
unusual body) goes on to the FastAPI route, which checks it against the database and answers
every error; the route stays the API's definition (OpenAPI, the authorization matrix).
Either way the answer lists the viewers known to every process, and a change reaches the
other processes after the answer (``services.live_relay``): no database on this path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convos_server.api.params import MAX_ID
from convos_server.services import auth
from convos_server.services.events import EventBus
from convos_server.services.live import LiveState
from convos_server.services.token_cache import TokenCache

TOKEN_MAX_AGE_S = 300.0
MAX_BODY_BYTES = 256
_TYPING_KINDS = (None, "text", "note")
_JSON_HEADERS = [(b"content-type", b"application/json")]


class LiveCallsMiddleware:
    """Answers the live calls of ``prefix`` from memory when it can (see module docs)."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self._path = re.compile(
            re.escape(prefix) + r"/conversations/([1-9][0-9]{0,18})/(viewing|typing)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a live call in memory, or hand the request on unchanged."""
        if scope["type"] != "http" or scope["method"] != "PUT":
            await self.app(scope, receive, send)
            return
        match = self._path.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES or not message.get("more_body", False):
                break
        answered = size <= MAX_BODY_BYTES and await self._answer(
            scope, match, b"".join(m.get("body", b"") for m in received), send
        )
        if not answered:
            await self.app(scope, replay(received, receive), send)

    async def _answer(self, scope: Scope, match: re.Match[str], body: bytes, send: Send) -> bool:
        conversation_id = int(match.group(1))
        if conversation_id > MAX_ID:
            return False
        token, json_body = _bearer_and_json(scope)
        if token is None or not json_body:
            return False
        try:
            payload = json.loads(body)
        except ValueError:
            return False
        if not isinstance(payload, dict):
            return False
        state = scope["app"].state
        tokens: TokenCache = state.tokens
        bus: EventBus = state.bus
        live: LiveState = state.live
        token_hash = auth.secret_hash(token)
        agent_id = tokens.agent_id(token_hash, TOKEN_MAX_AGE_S)
        if agent_id is None:
            return False
        visibility = bus.live_visibility(agent_id, token_hash)
        inbox_id = live.inbox_of(conversation_id)
        if visibility is None or inbox_id is None or not visibility.sees_inbox(inbox_id):
            return False
        if match.group(2) == "viewing":
            viewing = payload.get("viewing", True)
            if payload.keys() - {"viewing"} or not isinstance(viewing, bool):
                return False
            live.view(agent_id, conversation_id, inbox_id, viewing)
            answer = {"viewers": live.viewers(conversation_id)}
            await _respond(send, 200, _JSON_HEADERS, _json(answer))
            return True
        kind = payload.get("kind")
        if payload.keys() - {"kind"} or kind not in _TYPING_KINDS:
            return False
        live.type(agent_id, conversation_id, inbox_id, kind)
        await _respond(send, 204, [], b"")
        return True


def _bearer_and_json(scope: Scope) -> tuple[str | None, bool]:
    """The bearer token of the request (or ``None``) and whether its body is declared JSON."""
    token: str | None = None
    json_body = False
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials:
                token = credentials
        elif name == b"content-type":
            json_body = value.lower() == b"application/json"
    return token, json_body


def _json(content: Any) -> bytes:
    """As FastAPI's ``JSONResponse`` renders it."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    if body:
        headers = [(b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def replay(received: list[Message], receive: Receive) -> Receive:
    """``receive`` giving back the messages already read first."""
    pending = list(received)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed

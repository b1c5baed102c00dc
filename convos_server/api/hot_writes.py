"""The hot writes (a customer message, an agent's reply) answered beside FastAPI's machinery.

A customer message through the channel ingress and an agent's reply are the server's most
frequent writes. Through FastAPI each one crossed about a dozen ASGI layers (the error and
exception middlewares, the body limit, the router trying routes, the endpoint's request
handler), had its dependencies solved, its body read through ``Request`` and validated field
by field, and its answer validated against the inferred response model before rendering:
about a fifth of the request's server CPU (``benchmarks/RESULTS.md``, issue 14, branch
sq14j).

``HotWritesMiddleware`` serves such a request itself when it is an ordinary one, with the
routes' own work (``api.channels.store_customer_message``, ``api.conversations.send_agent_reply``)
and the routes' own body models, so every rule stays the same code:

- ``POST {prefix}/channels/{inbox_id}/messages`` with ``X-Api-Key`` and a JSON body;
- ``POST {prefix}/conversations/{conversation_id}/messages`` with a bearer token of an agent
  (``deps.agent_of_hash``: the token cache, else the token looked up and cached, as
  ``deps.current_agent`` does) and a JSON body;
- a declared ``Content-Length`` of at most ``MAX_BODY_BYTES`` (and the server's body limit),
  a body of that length that parses and validates against the route's model.

Anything else, and the errors the work raises before or at its commit (``ROLLED_BACK``: a
wrong key, a closed ticket, a duplicate being retried out, an agent not Online, a database
error...: the write was rolled back, nothing committed), goes on to the FastAPI route with the
body read so far given back: the route checks it again and answers, errors included, as it
always did; the routes stay the API's definition (OpenAPI, the authorization matrix). Any
other exception (a fault of the in-memory steps after the commit: waking the event reader,
the typing state) is not given to the route, which would store the message a second time: it
goes on up as the route's own would (the server's 500, logged). The answer is rendered as the
route renders it: the JSON of the answer's dict, compact, ``content-length`` and
``content-type`` headers, 201 or 200.

The same middleware answers the polled ticket page (``GET {prefix}/tickets`` with a query
string FastAPI validated before and a cached token): ``api.tickets.serve_polled_page``, which
hands anything else to the route.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convos_server.api.channels import IngressBody, store_customer_message
from convos_server.api.conversations import SendBody, send_agent_reply
from convos_server.api.deps import agent_of_hash
from convos_server.api.live_calls import replay
from convos_server.api.params import MAX_ID
from convos_server.api.tickets import serve_polled_page
from convos_server.db import models as m
from convos_server.errors import ApiError
from convos_server.services import auth

# Bodies above this go to the route (a message's text is at most 10,000 characters).
MAX_BODY_BYTES = 64 * 1024
_JSON = b"application/json"
# What the work raises before or at its commit, rolled back: the route runs it again and
# answers (see module docs). The steps after the commit raise none of these.
ROLLED_BACK = (ApiError, HTTPException, SQLAlchemyError)


class HotWritesMiddleware:
    """Serves the ordinary hot writes of ``prefix`` itself (see module docs)."""

    def __init__(self, app: ASGIApp, *, prefix: str, max_body_bytes: int) -> None:
        self.app = app
        self._path = re.compile(
            re.escape(prefix) + r"/(channels|conversations)/([1-9][0-9]{0,18})/messages"
        )
        self._max_body = min(MAX_BODY_BYTES, max_body_bytes)
        self._page_path = prefix + "/tickets"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an ordinary hot write (or a polled ticket page), or hand the request on
        unchanged."""
        if scope["type"] != "http" or scope["method"] != "POST":
            if not (
                scope["type"] == "http"
                and scope["method"] == "GET"
                and scope["path"] == self._page_path
                and await serve_polled_page(scope["app"].state, scope, send)
            ):
                await self.app(scope, receive, send)
            return
        match = self._path.fullmatch(scope["path"])
        if match is None or int(match.group(2)) > MAX_ID:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        length = headers.get(b"content-length", b"")
        if (
            headers.get(b"content-type") != _JSON
            or not length.isdigit()
            or int(length) > self._max_body
        ):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        body = await _read_body(receive, received, int(length))
        answer = None if body is None else await self._answer(scope, match, headers, body)
        if answer is None:
            await self.app(scope, replay(received, receive), send)
            return
        data, created = answer
        await _respond(send, 201 if created else 200, _json(data))

    async def _answer(
        self, scope: Scope, match: re.Match[str], headers: dict[bytes, bytes], body: bytes
    ) -> tuple[dict[str, Any], bool] | None:
        """The route's work and answer, or ``None``: the route answers (see module docs)."""
        state: State = scope["app"].state
        target = int(match.group(2))
        if match.group(1) == "channels":
            key = headers.get(b"x-api-key")
            ingress = _validated(IngressBody, body)
            if key is None or not isinstance(ingress, IngressBody):
                return None
            try:
                return await store_customer_message(state, target, ingress, key.decode("latin-1"))
            except ROLLED_BACK:  # the route runs it again and answers the error
                return None
        reply = _validated(SendBody, body)
        if not isinstance(reply, SendBody):
            return None
        agent = await _agent(state, headers.get(b"authorization"))
        if agent is None:
            return None
        try:
            return await send_agent_reply(state, agent, target, reply)
        except ROLLED_BACK:  # the route runs it again and answers the error
            return None


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by name (the first of a repeated one, as Starlette's
    ``Headers.get`` answers), the values of ``content-type`` lower-cased."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name not in found:
            found[name] = value.lower() if name == b"content-type" else value
    return found


async def _read_body(receive: Receive, received: list[Message], length: int) -> bytes | None:
    """The request's body when it is exactly ``length`` bytes; ``None`` otherwise. Every
    message read is kept in ``received`` (for the route, when it answers)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return None
        part = message.get("body", b"")
        size += len(part)
        if size > length:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts) if size == length else None


def _validated(model: type[BaseModel], body: bytes) -> BaseModel | None:
    """``body`` parsed and validated against the route's model in one step, by pydantic's
    own JSON parser (``model_validate_json``: no ``json.loads`` and its encoding detection
    first, no Python objects in between); ``None`` when it fails: the route then reads the
    body as FastAPI does (``json.loads``, the model in Python mode) and answers, the 422
    included. A body the JSON parser refuses that ``json.loads`` reads (a byte order mark,
    UTF-16) is answered by the route as before."""
    try:
        return model.model_validate_json(body)
    except (ValueError, ValidationError):
        return None


async def _agent(state: State, authorization: bytes | None) -> m.Agent | None:
    """The bearer token's agent as ``deps.current_agent`` finds it (the header split as
    ``HTTPBearer`` splits it): from the token cache, else looked up and cached. A token not
    cached is a common case (the cache forgets it after a few seconds and at each heartbeat
    of its agent): served here, not by the route. ``None`` for anything else: the route
    answers (a malformed header, a bad or revoked token: 401)."""
    if authorization is None:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return await agent_of_hash(state.db, state.tokens, auth.secret_hash(token))


def _json(content: Any) -> bytes:
    """As the route's ``JSONResponse`` renders it."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", _JSON)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

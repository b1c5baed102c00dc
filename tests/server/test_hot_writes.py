"""The hot writes served beside FastAPI's layers (``api/hot_writes.py``).

An ordinary customer message and an agent's reply are answered by the middleware with the
routes' own work, exactly as the routes answer them (status, headers, body); anything unusual
(an odd content type, a body the model refuses, an unknown token) and every error the work
raises is answered by the route, with nothing committed twice.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from convos_server.api import hot_writes
from convos_server.db import models as m
from convos_server.services.auth import secret_hash
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_driver_sql import agents_notifications_handled

# The route answers this content type (the middleware takes only ``application/json``).
ROUTE_ONLY = "application/json; charset=utf-8"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The statuses of the answers the middleware gave itself."""
    statuses: list[int] = []
    respond = hot_writes._respond

    async def noted(send: Any, status: int, body: bytes) -> None:
        statuses.append(status)
        await respond(send, status, body)

    monkeypatch.setattr(hot_writes, "_respond", noted)
    return statuses


async def _post(
    ws: Workspace, path: str, body: dict[str, Any], headers: dict[str, str], content_type: str
) -> Any:
    return await ws.http.post(
        f"/api/v1{path}",
        content=json.dumps(body).encode(),
        headers={**headers, "Content-Type": content_type},
    )


def _shape(value: Any) -> Any:
    """The keys (in order) and value types of a JSON answer: what must not differ between two
    messages of different ids and times."""
    if isinstance(value, dict):
        return [(key, _shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


async def _stored_messages(app: Any) -> int:
    async with app.state.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(m.Message)) or 0)


async def _setup(ws: Workspace) -> tuple[int, dict[str, Any], int]:
    anna = await ws.agent("Anna", online=True)
    team = await ws.team("Support", [anna])
    inbox = await ws.inbox("Web", team, assignment="manual")
    opened = await ws.handoff(inbox, "cust-1")
    await ws.call("POST", f"/tickets/{opened['ticket_id']}/assign", anna, json={})
    return anna, inbox, int(opened["conversation_id"])


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_message_and_a_reply_are_answered_as_the_routes_answer(ws, app, served):
    anna, inbox, conversation = await _setup(ws)
    key = {"X-Api-Key": inbox["api_key"]}
    path = f"/channels/{inbox['id']}/messages"
    before = await _stored_messages(app)
    served.clear()

    by_route = await _post(
        ws,
        path,
        {"contact": {"external_id": "cust-1"}, "text": "a", "message_id": "m-1"},
        key,
        ROUTE_ONLY,
    )
    assert served == []
    fast = await _post(
        ws,
        path,
        {"contact": {"external_id": "cust-1"}, "text": "b", "message_id": "m-2"},
        key,
        "application/json",
    )
    assert served == [201]
    assert by_route.status_code == fast.status_code == 201
    assert by_route.headers["content-type"] == fast.headers["content-type"]
    assert _shape(by_route.json()) == _shape(fast.json())
    assert fast.json()["message"]["body"] == "b"
    # The channel's retry of a stored message: the same bytes either way, 200.
    again = {"contact": {"external_id": "cust-1"}, "text": "b", "message_id": "m-2"}
    repeated_fast = await _post(ws, path, again, key, "application/json")
    repeated_route = await _post(ws, path, again, key, ROUTE_ONLY)
    assert served == [201, 200]
    assert repeated_fast.status_code == repeated_route.status_code == 200
    assert repeated_fast.content == repeated_route.content
    assert dict(repeated_fast.headers) == dict(repeated_route.headers)

    reply_path = f"/conversations/{conversation}/messages"
    auth = ws.auth(anna)
    reply_route = await _post(ws, reply_path, {"client_id": "r-1", "body": "x"}, auth, ROUTE_ONLY)
    reply_fast = await _post(
        ws, reply_path, {"client_id": "r-2", "body": "y"}, auth, "application/json"
    )
    assert served == [201, 200, 201]
    assert reply_route.status_code == reply_fast.status_code == 201
    assert _shape(reply_route.json()) == _shape(reply_fast.json())
    same_fast = await _post(
        ws, reply_path, {"client_id": "r-2", "body": "y"}, auth, "application/json"
    )
    same_route = await _post(ws, reply_path, {"client_id": "r-2", "body": "y"}, auth, ROUTE_ONLY)
    assert same_fast.status_code == same_route.status_code == 200
    assert same_fast.content == same_route.content
    assert dict(same_fast.headers) == dict(same_route.headers)
    # Two customer messages, two replies: none stored twice.
    assert await _stored_messages(app) == before + 4


@pytest.mark.parametrize("backend", BACKENDS)
async def test_what_the_middleware_does_not_take_the_route_answers(ws, app, served):
    anna, inbox, conversation = await _setup(ws)
    bruno = await ws.agent("Bruno", online=True)
    path = f"/channels/{inbox['id']}/messages"
    reply_path = f"/conversations/{conversation}/messages"
    before = await _stored_messages(app)
    served.clear()
    message = {"contact": {"external_id": "cust-2"}, "text": "hi"}

    wrong_key = await _post(ws, path, message, {"X-Api-Key": "nope"}, "application/json")
    assert (wrong_key.status_code, wrong_key.json()["code"]) == (403, "forbidden")
    no_key = await _post(ws, path, message, {}, "application/json")
    assert no_key.status_code == 403
    refused = await _post(
        ws, path, {"contact": {"external_id": ""}, "text": "x"}, {}, "application/json"
    )
    assert refused.status_code == 422
    broken = await ws.http.post(
        f"/api/v1{path}", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    unknown_token = await _post(
        ws,
        reply_path,
        {"client_id": "u", "body": "x"},
        {"Authorization": "Bearer x"},
        "application/json",
    )
    assert unknown_token.status_code == 401
    not_assigned = await _post(
        ws, reply_path, {"client_id": "b-1", "body": "x"}, ws.auth(bruno), "application/json"
    )
    assert not_assigned.status_code in (403, 404)
    await ws.presence(anna, "unavailable")
    unavailable = await _post(
        ws, reply_path, {"client_id": "a-1", "body": "x"}, ws.auth(anna), "application/json"
    )
    assert (unavailable.status_code, unavailable.json()["code"]) == (409, "agent_not_online")
    assert served == []
    assert await _stored_messages(app) == before


async def test_a_body_over_the_limit_is_left_to_the_route(ws, served):
    _anna, inbox, _conversation = await _setup(ws)
    served.clear()
    text = "x" * (hot_writes.MAX_BODY_BYTES + 1)
    answer = await _post(
        ws,
        f"/channels/{inbox['id']}/messages",
        {"contact": {"external_id": "cust-3"}, "text": text},
        {"X-Api-Key": inbox["api_key"]},
        "application/json",
    )
    assert answer.status_code == 422  # the route's model: at most 10,000 characters
    assert served == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_fault_after_the_commit_is_not_run_again_by_the_route(ws, app, monkeypatch):
    """A failure of the steps that follow the commit (here waking the event reader, once)
    answers 500; the route is not given the request, which would store the message twice."""
    anna, inbox, conversation = await _setup(ws)
    bus = app.state.bus
    wake = bus.wake
    faults: list[str] = []

    def fails_once() -> None:
        if not faults:
            faults.append("wake")
            raise RuntimeError("a fault after the commit")
        wake()

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for path, body, headers in (
            (
                f"/channels/{inbox['id']}/messages",
                {"contact": {"external_id": "cust-1"}, "text": "once, customer"},
                {"X-Api-Key": inbox["api_key"]},
            ),
            (
                f"/conversations/{conversation}/messages",
                {"client_id": "r-once", "body": "once, agent"},
                ws.auth(anna),
            ),
        ):
            before = await _stored_messages(app)
            faults.clear()
            monkeypatch.setattr(bus, "wake", fails_once)
            answer = await http.post(f"/api/v1{path}", json=body, headers=headers)
            monkeypatch.setattr(bus, "wake", wake)
            assert faults == ["wake"]
            assert answer.status_code == 500, path
            assert await _stored_messages(app) == before + 1, path


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_reply_whose_token_and_scope_are_not_cached_is_served_lean(
    ws, app, served, monkeypatch
):
    """The token cache forgets an agent's token and scope at each heartbeat and after a few
    seconds, so most replies find neither: the middleware looks the token up (and caches it)
    instead of handing the reply to the route, and the scope is read into the cache before the
    write, which then runs without an ORM transaction."""
    anna, _inbox, conversation = await _setup(ws)
    reply_path = f"/conversations/{conversation}/messages"
    auth = ws.auth(anna)
    await _post(ws, reply_path, {"client_id": "r-0", "body": "first"}, auth, "application/json")
    if app.state.db.is_postgres:  # the set-up's NOTIFY convos_agents: handled before we look
        await agents_notifications_handled(app)
    tokens = app.state.tokens
    tokens.drop_agents({anna})  # what a heartbeat's commit or the expiry does
    token_hash = secret_hash(auth["Authorization"].removeprefix("Bearer "))
    assert tokens.get(token_hash) is None
    transactions: list[str] = []
    transaction = app.state.db.transaction

    def counted(*args: Any, **kwargs: Any) -> Any:
        transactions.append("session")
        return transaction(*args, **kwargs)

    monkeypatch.setattr(app.state.db, "transaction", counted)
    served.clear()
    answer = await _post(
        ws, reply_path, {"client_id": "r-1", "body": "x"}, auth, "application/json"
    )
    assert answer.status_code == 201
    assert served == [201]  # the middleware's answer, not the route's
    assert transactions == []  # the lean write
    assert tokens.get(token_hash) is not None
    # A revoked token is still the route's 401.
    await ws.call("POST", "/auth/logout", anna)
    revoked = await _post(
        ws, reply_path, {"client_id": "r-2", "body": "x"}, auth, "application/json"
    )
    assert revoked.status_code == 401
    assert served == [201]


# Bodies at the edges of JSON and of the models: the middleware's one-step parse must accept
# exactly what the route's ``json.loads`` and Python-mode validation accept, as the same model,
# or hand the body to the route (``None``), which then answers as FastAPI does.
_EDGE_BODIES = (
    b'{"contact":{"external_id":"a"},"text":"x"}',
    b'{"contact":{"external_id":"a"},"text":"x\ny"}',  # a raw control character
    b'{"contact":{"external_id":"a"},"handoff":NaN}',
    b'\xef\xbb\xbf{"contact":{"external_id":"a"}}',  # a byte order mark
    '{"contact":{"external_id":"a"}}'.encode("utf-16"),
    b'{"contact":{"external_id":"a"},"text":"\\ud800"}',  # a lone surrogate
    b'{"contact":{"external_id":"a"}} x',
    b'{"contact":{"external_id":"a"},"file_ids":[1.0]}',
    b'{"contact":{"external_id":"a"},"file_ids":[1.5]}',
    b'{"contact":{"external_id":"a"},"file_ids":["2"]}',
    b'{"contact":{"external_id":"a"},"handoff":"yes"}',
    b'{"contact":{"external_id":"a","external_id":"b"}}',
    b'{"contact":{"external_id":"a"},"message_id":1}',
    b'{"contact":{"external_id":""}}',
    b'{"contact":{"external_id":"a"},"text":"' + b"y" * 10_001 + b'"}',
    b'{"contact":{"external_id":"\xc3\xa9\xf0\x9f\x98\x80"}}',
    b'{"contact":{"external_id":"a\\u00e9"}}',
    b'{"contact":null}',
    b"[]",
    b"",
    b'{"body":"hi","client_id":"c-1"}',
    b'{"body":"hi","client_id":"c-1","reply_to":"7"}',
    b'{"body":"hi","client_id":"c-1","file_ids":[true]}',
    b'{"body":"' + b"z" * 10_001 + b'","client_id":"c-1"}',
)


@pytest.mark.parametrize("body", _EDGE_BODIES)
def test_the_middleware_validates_a_body_as_the_route_would_or_hands_it_on(body: bytes) -> None:
    for model in (hot_writes.IngressBody, hot_writes.SendBody):
        ours = hot_writes._validated(model, body)
        try:
            route: Any = model.model_validate(json.loads(body))
        except ValueError:  # json's decode errors and pydantic's validation errors
            route = None
        assert ours is None or ours == route, (model.__name__, body[:60])

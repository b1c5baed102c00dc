"""Every route x (admin, agent of the owning team, agent of another team, no token, revoked).

The routes come from the app's route table: a route without a row in ``EXPECTED`` fails
``test_every_route_has_a_row``, so a new route cannot skip the matrix. Objects belong to
team B; the agent of team A gets 404 for them (hidden looks like missing). Routes that change
an object get a fresh one per cell, so every cell starts from the same state. Runs against a
real server on a loopback port (the event stream needs real HTTP).

"revoked" is a token ended by its own logout. Tokens of a deactivated agent (issue 9,
finding 3), streams that outlive their token (finding 2), files attached by id (finding 1)
and login throttling (finding 7) have their own tests where they are fixed; no cell here
depends on them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from convos_server.api.responses import api_routes
from convos_server.app import API_PREFIX
from tests.server.two_teams import TwoTeams, build_two_teams, unique

ROLES = ("admin", "owner", "other", "none", "revoked")
Params = dict[str, Any]


async def _no_params(_t: TwoTeams) -> Params:
    return {}


def _ids(**names: str) -> Callable[[TwoTeams], Awaitable[Params]]:
    """Path parameters taken from the ``TwoTeams`` attributes ``names`` map to."""

    async def target(t: TwoTeams) -> Params:
        return {param: getattr(t, attribute) for param, attribute in names.items()}

    return target


def _fresh(
    param: str, make: Callable[[TwoTeams], Awaitable[int]]
) -> Callable[[TwoTeams], Awaitable[Params]]:
    async def target(t: TwoTeams) -> Params:
        return {param: await make(t)}

    return target


@dataclass(frozen=True)
class Row:
    """How to call one route and the status each role gets (in ``ROLES`` order)."""

    expected: tuple[int, int, int, int, int]
    target: Callable[[TwoTeams], Awaitable[Params]] = _no_params
    body: Callable[[TwoTeams, Params], Any] | None = None
    kind: str = "bearer"  # "api_key": X-Api-Key of the role's inbox; "upload"; "stream"
    query: dict[str, Any] = field(default_factory=dict)
    fresh_token: bool = False  # the call ends the token it uses


def _all(status: int) -> tuple[int, int, int, int, int]:
    """Every signed-in role gets ``status``; no token and a revoked one get 401."""
    return (status, status, status, 401, 401)


def _owned(status: int) -> tuple[int, int, int, int, int]:
    """Team B's object: admin and bob get ``status``, alice 404."""
    return (status, status, 404, 401, 401)


def _admin(status: int) -> tuple[int, int, int, int, int]:
    """Admin only: ``status`` for the admin, 403 for agents."""
    return (status, 403, 403, 401, 401)


def _note(_t: TwoTeams, _p: Params) -> dict[str, Any]:
    return {"client_id": unique("c"), "kind": "note", "body": "Internal note"}


EXPECTED: dict[tuple[str, str], Row] = {
    ("GET", "/health"): Row((200, 200, 200, 200, 200)),
    ("POST", "/auth/login"): Row(
        (200, 200, 200, 200, 200), body=lambda t, p: {"email": "bob@convos.test", "password": "pw"}
    ),
    ("POST", "/auth/logout"): Row(_all(204), fresh_token=True),
    ("GET", "/me"): Row(_all(200)),
    ("GET", "/bootstrap"): Row(_all(200)),
    ("GET", "/events"): Row(_all(200), kind="stream"),
    ("PUT", "/presence"): Row(
        _all(200), body=lambda t, p: {"status": "online", "screen": "conversations"}
    ),
    ("GET", "/tickets"): Row(_all(200)),
    ("GET", "/tickets/export"): Row(_all(200)),  # CSV of the caller's visible tickets only
    ("GET", "/tickets/{ticket_id}"): Row(_owned(200), _ids(ticket_id="ticket_b")),
    # Team A's agent cannot see inbox B: the inbox is named as missing (422 on the field).
    ("POST", "/tickets"): Row(
        (201, 201, 422, 401, 401),
        _fresh("contact_id", lambda t: t.fresh_contact()),
        body=lambda t, p: {
            "contact_id": p["contact_id"],
            "inbox_id": t.inbox_b["id"],
            "body": "Hi",
        },
    ),
    ("POST", "/tickets/{ticket_id}/assign"): Row(
        _owned(200), _fresh("ticket_id", lambda t: t.fresh_ticket(assigned=False))
    ),
    ("POST", "/tickets/{ticket_id}/unassign"): Row(
        _owned(200), _fresh("ticket_id", lambda t: t.fresh_ticket(assigned=True))
    ),
    ("POST", "/tickets/{ticket_id}/close"): Row(
        _owned(200), _fresh("ticket_id", lambda t: t.fresh_ticket(assigned=True))
    ),
    ("POST", "/tickets/{ticket_id}/reopen"): Row(
        _owned(200), _fresh("ticket_id", lambda t: t.fresh_ticket(assigned=True, closed=True))
    ),
    ("POST", "/tickets/{ticket_id}/snooze"): Row(
        _owned(200),
        _fresh("ticket_id", lambda t: t.fresh_ticket(assigned=True)),
        body=lambda t, p: {"until": None},
    ),
    ("POST", "/tickets/{ticket_id}/unsnooze"): Row(
        _owned(200), _fresh("ticket_id", lambda t: t.fresh_ticket(assigned=True))
    ),
    ("GET", "/labels"): Row(_all(200)),
    ("POST", "/labels"): Row(
        _admin(201), body=lambda t, p: {"name": unique("Label"), "color": "#336699"}
    ),
    ("PATCH", "/labels/{label_id}"): Row(
        _admin(200), _fresh("label_id", lambda t: _new_label(t)), body=lambda t, p: {}
    ),
    ("DELETE", "/labels/{label_id}"): Row(_admin(204), _fresh("label_id", lambda t: _new_label(t))),
    ("PUT", "/tickets/{ticket_id}/labels/{label_id}"): Row(
        _owned(200), lambda t: _ticket_and_label(t)
    ),
    ("DELETE", "/tickets/{ticket_id}/labels/{label_id}"): Row(
        _owned(200), lambda t: _ticket_and_label(t)
    ),
    ("GET", "/conversations"): Row(_all(200)),
    ("GET", "/conversations/{conversation_id}"): Row(
        _owned(200), _ids(conversation_id="conversation_b")
    ),
    ("GET", "/conversations/{conversation_id}/messages"): Row(
        _owned(200), _ids(conversation_id="conversation_b")
    ),
    ("POST", "/conversations/{conversation_id}/messages"): Row(
        _owned(201), _ids(conversation_id="conversation_b"), body=_note
    ),
    ("PUT", "/conversations/{conversation_id}/viewing"): Row(
        _owned(200), _ids(conversation_id="conversation_b"), body=lambda t, p: {"viewing": True}
    ),
    ("PUT", "/conversations/{conversation_id}/typing"): Row(
        _owned(204), _ids(conversation_id="conversation_b"), body=lambda t, p: {"kind": "note"}
    ),
    ("GET", "/mentions"): Row(_all(200)),
    # Bob's mention: only he may mark it read (admins too get 404, as for a missing one).
    ("POST", "/mentions/{mention_id}/read"): Row(
        (404, 200, 404, 401, 401), _fresh("mention_id", lambda t: t.fresh_mention())
    ),
    ("PUT", "/messages/{message_id}/reactions/{emoji}"): Row(
        _owned(200), _ids(message_id="message_b"), query={"emoji": "👍"}
    ),
    ("DELETE", "/messages/{message_id}/reactions/{emoji}"): Row(
        _owned(200), _ids(message_id="message_b"), query={"emoji": "👍"}
    ),
    ("GET", "/contacts"): Row(_all(200)),
    ("POST", "/contacts"): Row(
        _all(201),
        body=lambda t, p: {"name": unique("New contact"), "email": f"{unique('nc')}@example.com"},
    ),
    ("GET", "/contacts/{contact_id}"): Row(_owned(200), _ids(contact_id="contact_b")),
    ("PATCH", "/contacts/{contact_id}"): Row(
        _owned(200), _ids(contact_id="contact_b"), body=lambda t, p: {"name": unique("Renamed")}
    ),
    ("GET", "/contacts/{contact_id}/files"): Row(_owned(200), _ids(contact_id="contact_b")),
    ("GET", "/contacts/{contact_id}/activities"): Row(_owned(200), _ids(contact_id="contact_b")),
    ("GET", "/canned"): Row(_all(200)),
    ("POST", "/canned"): Row(
        _all(201), body=lambda t, p: {"shortcut": unique("s"), "text": "A reply"}
    ),
    # Bob's private reply: nobody else sees it, admins included.
    ("PATCH", "/canned/{canned_id}"): Row(
        (404, 200, 404, 401, 401),
        _fresh("canned_id", lambda t: t.fresh_canned()),
        body=lambda t, p: {"text": "Changed"},
    ),
    ("DELETE", "/canned/{canned_id}"): Row(
        (404, 204, 404, 401, 401), _fresh("canned_id", lambda t: t.fresh_canned())
    ),
    ("GET", "/inboxes"): Row(_all(200)),
    ("POST", "/inboxes"): Row(_admin(201), body=lambda t, p: {"name": unique("Inbox")}),
    ("PATCH", "/inboxes/{inbox_id}"): Row(
        _admin(200), _fresh("inbox_id", lambda t: t.fresh_inbox()), body=lambda t, p: {}
    ),
    ("POST", "/inboxes/{inbox_id}/rotate-key"): Row(
        _admin(200), _fresh("inbox_id", lambda t: t.fresh_inbox())
    ),
    ("DELETE", "/inboxes/{inbox_id}"): Row(
        _admin(204), _fresh("inbox_id", lambda t: t.fresh_inbox())
    ),
    ("GET", "/teams"): Row(_all(200)),
    ("POST", "/teams"): Row(_admin(201), body=lambda t, p: {"name": unique("Team")}),
    ("PATCH", "/teams/{team_id}"): Row(
        _admin(200), _fresh("team_id", lambda t: t.fresh_team()), body=lambda t, p: {}
    ),
    ("DELETE", "/teams/{team_id}"): Row(_admin(204), _fresh("team_id", lambda t: t.fresh_team())),
    ("GET", "/agents"): Row(_all(200)),
    ("POST", "/agents"): Row(
        _admin(201),
        body=lambda t, p: {"name": "N", "email": f"{unique('n')}@convos.test", "password": "pw"},
    ),
    ("PATCH", "/agents/{agent_id}"): Row(
        _admin(200), _ids(agent_id="bob"), body=lambda t, p: {"name": "Bob"}
    ),
    # Ingress answers to the inbox's API key only: team A's key, no key, a bearer token: 403.
    ("POST", "/channels/{inbox_id}/messages"): Row(
        (201, 201, 403, 403, 403),
        lambda t: _inbox_b(t),
        body=lambda t, p: {"contact": {"external_id": unique("ext")}, "text": "Hi"},
        kind="api_key",
    ),
    ("GET", "/channels/{inbox_id}/outbound"): Row(
        (200, 200, 403, 403, 403), lambda t: _inbox_b(t), kind="api_key"
    ),
    ("POST", "/channels/{inbox_id}/typing"): Row(
        (204, 204, 403, 403, 403),
        lambda t: _inbox_b(t),
        body=lambda t, p: {"contact": {"external_id": unique("ext")}},
        kind="api_key",
    ),
    ("GET", "/channels/{inbox_id}/typing"): Row(
        (200, 200, 403, 403, 403), lambda t: _inbox_b(t), kind="api_key"
    ),
    ("POST", "/campaigns"): Row(
        _admin(201),
        body=lambda t, p: {
            "kind": "mass",
            "inbox_id": t.inbox_b["id"],
            "contact_ids": [t.contact_b],
            "text": "Sale",
        },
    ),
    ("POST", "/files"): Row(_all(201), kind="upload"),
    ("GET", "/files"): Row(_all(200), query={"library": "1"}),
    ("GET", "/files/{file_id}"): Row(_owned(200), _ids(file_id="file_b")),
    ("DELETE", "/files/{file_id}/library"): Row(
        _admin(204), _fresh("file_id", lambda t: t.fresh_library_file())
    ),
    ("GET", "/reports"): Row(_all(200)),
    # Everyone may search; what each finds is limited by visibility (tests/server/test_search).
    ("GET", "/search/messages"): Row(_all(200), query={"q": "file"}),
}


async def _new_label(t: TwoTeams) -> int:
    label = await t.ws.call("POST", "/labels", json={"name": unique("L"), "color": "#aa0000"})
    return int(label["id"])


async def _ticket_and_label(t: TwoTeams) -> Params:
    return {"ticket_id": t.ticket_b, "label_id": await _new_label(t)}


async def _inbox_b(t: TwoTeams) -> Params:
    return {"inbox_id": t.inbox_b["id"]}


def _route_keys(app: Any) -> set[tuple[str, str]]:
    keys = set()
    for route in api_routes(app):
        path = route.path_format.removeprefix(API_PREFIX)
        keys.update((method, path) for method in route.methods)
    return keys


def test_every_route_has_a_row(live_app):
    assert _route_keys(live_app) == set(EXPECTED)


async def _headers(t: TwoTeams, role: str, row: Row, revoked_token: str) -> dict[str, str]:
    ws = t.ws
    agent_by_role = {"admin": ws.admin_id, "owner": t.bob, "other": t.alice}
    if row.kind == "api_key":
        keys = {"admin": t.inbox_b["api_key"], "owner": t.inbox_b["api_key"]}
        if role == "other":
            keys["other"] = t.inbox_a["api_key"]
        headers = {"X-Api-Key": keys[role]} if role in keys else {}
        if role == "revoked":
            headers["Authorization"] = f"Bearer {revoked_token}"
        return headers
    if role == "none":
        return {}
    if role == "revoked":
        return {"Authorization": f"Bearer {revoked_token}"}
    agent_id = agent_by_role[role]
    if row.fresh_token:
        email = {"admin": "admin@convos.test", "owner": "bob@convos.test"}.get(
            role, "alice@convos.test"
        )
        await ws.login(email, "admin" if role == "admin" else "pw")
    return ws.auth(agent_id)


async def _status(http: httpx.AsyncClient, method: str, url: str, row: Row, **kw: Any) -> int:
    if row.kind == "stream":
        async with http.stream(method, url, **kw) as response:
            return response.status_code
    if row.kind == "upload":
        kw["files"] = {"file": ("matrix.txt", b"matrix\n", "text/plain")}
    response = await http.request(method, url, **kw)
    if response.status_code >= 400:
        body = response.json()
        assert {"code", "message"} <= set(body), (url, body)
    return response.status_code


async def _revoked_token(t: TwoTeams) -> str:
    response = await t.ws.http.post(
        "/api/v1/auth/login", json={"email": "bob@convos.test", "password": "pw"}
    )
    token = str(response.json()["token"])
    logout = await t.ws.http.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert logout.status_code == 204
    return token


@pytest.mark.parametrize(
    ("method", "path"), sorted(EXPECTED), ids=[f"{m} {p}" for m, p in sorted(EXPECTED)]
)
async def test_route_answers_each_role(live_ws, method, path):
    row = EXPECTED[(method, path)]
    t = await build_two_teams(live_ws)
    revoked = await _revoked_token(t)
    actual = []
    for role in ROLES:
        params = await row.target(t)
        query = dict(row.query)
        url = API_PREFIX + path.format(**params, **query)
        kw: dict[str, Any] = {"headers": await _headers(t, role, row, revoked)}
        if row.body is not None:
            kw["json"] = row.body(t, params)
        if "emoji" not in path and query:
            kw["params"] = query
        actual.append(await _status(live_ws.http, method, url, row, **kw))
    assert dict(zip(ROLES, actual, strict=True)) == dict(zip(ROLES, row.expected, strict=True))

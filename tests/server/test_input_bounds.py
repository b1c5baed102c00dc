"""No input reaches a 500, and every input has a limit (issue 9, findings 5 and 8).

Ids beyond 2^63-1, days at the end of the calendar, odd cursors: a 422 ``{code, message}``.
Bodies, custom fields, reactions, searches and event streams have documented limits.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from convos_server.api.params import (
    CUSTOM_MAX_KEYS,
    CUSTOM_MAX_TOTAL_BYTES,
    CUSTOM_MAX_VALUE_CHARS,
    MAX_ID,
)
from convos_server.api.responses import api_routes
from convos_server.app import API_PREFIX
from tests.server.two_teams import build_two_teams, unique

TOO_BIG = str(MAX_ID + 1)


def assert_error(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["code"], str)
    assert isinstance(body["message"], str)
    return body


def _routes_with_ids(app: Any) -> list[tuple[str, str]]:
    found = []
    for route in api_routes(app):
        if "{" in route.path_format:
            found.extend((method, route.path_format) for method in sorted(route.methods))
    return found


@pytest.mark.parametrize("value", [TOO_BIG, "0", "-1", "99999999999999999999999"])
async def test_every_id_route_refuses_ids_out_of_range(ws, app, value):
    routes = _routes_with_ids(app)
    assert len(routes) > 20
    for method, template in routes:
        path = re.sub(r"\{emoji\}", "👍", template)
        path = re.sub(r"\{\w+\}", value, path)
        headers = ws.auth(ws.admin_id) | {"X-Api-Key": "key"}
        kw: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        response = await ws.http.request(method, path, headers=headers, **kw)
        body = assert_error(response)
        assert body["field"] in {
            "ticket_id",
            "conversation_id",
            "message_id",
            "contact_id",
            "canned_id",
            "inbox_id",
            "team_id",
            "agent_id",
            "file_id",
            "label_id",
            "mention_id",
        }, (
            method,
            template,
            body,
        )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/tickets?inbox={TOO_BIG}", "inbox"),
        (f"/tickets?assignee={TOO_BIG}", "assignee"),
        (f"/conversations?inbox={TOO_BIG}", "inbox"),
        (f"/conversations?contact={TOO_BIG}", "contact"),
        (f"/events?after={TOO_BIG}", "after"),
        ("/tickets?to=9999-12-31", "to"),
        ("/tickets?from=9999-12-31", "from"),
        ("/tickets?to=0", "to"),
        ("/tickets?to=1", "to"),
        ("/tickets?to=2026-1-1", "to"),
        ("/tickets?from=0001-01-01", "from"),
        ("/reports?to=9999-12-31", "to"),
        ("/reports?from=0", "from"),
        ("/contacts?cursor=²", "cursor"),
        ("/contacts?cursor=12345678901234567890", "cursor"),
        (f"/contacts?cursor={TOO_BIG}", "cursor"),
        ("/contacts?cursor=0", "cursor"),
        ("/contacts?cursor=-1", "cursor"),
    ],
)
async def test_query_parameters_out_of_range_are_422(ws, path, field):
    response = await ws.http.get(API_PREFIX + path, headers=ws.auth(ws.admin_id))
    assert assert_error(response)["field"] == field


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(f"2026-01-01T00:00:00+00:00|{TOO_BIG}"),
        _cursor("2026-01-01T00:00:00+00:00|²"),
        _cursor("9999-12-31T23:59:59-14:00|5"),
        _cursor("0001-01-01T00:00:00+14:00|5"),
        _cursor("2026-01-01T00:00:00|5"),
        _cursor("garbage"),
        "%%%",
    ],
)
async def test_list_cursors_out_of_range_are_422(ws, cursor):
    for path in ("/tickets", "/conversations"):
        response = await ws.http.get(
            API_PREFIX + path, params={"cursor": cursor}, headers=ws.auth(ws.admin_id)
        )
        assert assert_error(response)["field"] == "cursor"


async def test_ids_out_of_range_in_bodies_are_422(ws):
    t = await build_two_teams(ws)
    send = f"/api/v1/conversations/{t.conversation_b}/messages"
    for extra, field in [
        ({"reply_to": MAX_ID + 1}, "reply_to"),
        ({"file_ids": [MAX_ID + 1]}, "file_ids.0"),
        ({"file_ids": [0]}, "file_ids.0"),
    ]:
        body = {"client_id": unique("c"), "body": "x", **extra}
        response = await ws.http.post(send, json=body, headers=ws.auth(t.bob))
        assert assert_error(response)["field"] == field
    for path, body, field in [
        ("/tickets", {"contact_id": MAX_ID + 1, "inbox_id": 1, "body": "x"}, "contact_id"),
        (f"/tickets/{t.ticket_b}/assign", {"agent_id": MAX_ID + 1}, "agent_id"),
        ("/teams", {"name": "T", "agent_ids": [MAX_ID + 1]}, "agent_ids.0"),
        ("/inboxes", {"name": "I", "team_id": MAX_ID + 1}, "team_id"),
        ("/inboxes", {"name": "I", "max_open_per_agent": MAX_ID + 1}, "max_open_per_agent"),
    ]:
        response = await ws.http.post(API_PREFIX + path, json=body, headers=ws.auth(ws.admin_id))
        assert assert_error(response)["field"] == field
    ingress = await ws.http.post(
        f"/api/v1/channels/{t.inbox_b['id']}/messages",
        headers={"X-Api-Key": t.inbox_b["api_key"]},
        json={"contact": {"external_id": "x"}, "file_ids": [MAX_ID + 1]},
    )
    assert assert_error(ingress)["field"] == "file_ids.0"


async def test_the_last_day_of_the_range_is_accepted(ws):
    for path in ("/tickets?to=2999-12-31", "/reports?from=2999-12-30&to=2999-12-31"):
        response = await ws.http.get(API_PREFIX + path, headers=ws.auth(ws.admin_id))
        assert response.status_code == 200, response.text


# -- limits (finding 8) ----------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_json(ws, settings):
    big = {"name": "Big", "custom": {"notes": "x" * (settings.max_body_bytes + 10)}}
    response = await ws.http.post("/api/v1/contacts", json=big, headers=ws.auth(ws.admin_id))
    assert assert_error(response, 413)["code"] == "too_large"

    async def chunks():  # no Content-Length: the limit cuts the stream
        yield b'{"name": "Big", "custom": {"notes": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}}'

    streamed = await ws.http.post(
        "/api/v1/contacts",
        content=chunks(),
        headers=ws.auth(ws.admin_id) | {"content-type": "application/json"},
    )
    assert assert_error(streamed, 413)["code"] == "too_large"
    listed = await ws.call("GET", "/contacts")
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("custom", "why"),
    [
        ({f"k{i}": "v" for i in range(CUSTOM_MAX_KEYS + 1)}, "keys"),
        ({"k" * 65: "v"}, "key length"),
        ({"": "v"}, "empty key"),
        ({"notes": "x" * (CUSTOM_MAX_VALUE_CHARS + 1)}, "value length"),
        ({f"k{i}": "é" * 900 for i in range(CUSTOM_MAX_TOTAL_BYTES // 1800 + 1)}, "total"),
    ],
)
async def test_custom_fields_have_limits(ws, custom, why):
    made = await ws.http.post(
        "/api/v1/contacts", json={"name": "C", "custom": custom}, headers=ws.auth(ws.admin_id)
    )
    assert assert_error(made)["field"].startswith("custom"), why
    contact = await ws.call("POST", "/contacts", json={"name": "C", "email": "c@example.com"})
    patched = await ws.http.patch(
        f"/api/v1/contacts/{contact['id']}", json={"custom": custom}, headers=ws.auth(ws.admin_id)
    )
    assert assert_error(patched)["field"].startswith("custom"), why


async def test_custom_fields_within_the_limits_are_kept(ws):
    custom = {f"k{i}": "v" * 300 for i in range(CUSTOM_MAX_KEYS)}
    made = await ws.call(
        "POST", "/contacts", json={"name": "C", "email": "c2@example.com", "custom": custom}
    )
    assert made["custom"] == custom


@pytest.mark.parametrize("emoji", ["a", "ab", "\x00", "👍\x00", "👍👍", " "])
async def test_reactions_must_be_one_emoji(ws, emoji):
    t = await build_two_teams(ws)
    response = await ws.http.put(
        f"/api/v1/messages/{t.message_b}/reactions/{quote(emoji)}", headers=ws.auth(t.bob)
    )
    assert assert_error(response)["field"] == "emoji"


@pytest.mark.parametrize("emoji", ["👍", "👍🏽", "❤️", "👨‍👩‍👧"])
async def test_emoji_reactions_are_accepted(ws, emoji):
    t = await build_two_teams(ws)
    message = await ws.call("PUT", f"/messages/{t.message_b}/reactions/{emoji}", t.bob)
    assert any(r["emoji"] == emoji for r in message["reactions"]), message["reactions"]


async def test_search_takes_percent_and_underscore_literally(ws):
    inbox = await ws.inbox("Inbox", None)
    for name in ("Fully 100% sure", "snake_case fan", "Plain Person"):
        await ws.handoff(inbox, name, f"message of {name}")
    for q, expected in [("%", "Fully 100% sure"), ("_", "snake_case fan")]:
        contacts = await ws.call("GET", "/contacts", params={"q": q})
        assert [c["name"] for c in contacts["items"]] == [expected], q
        tickets = await ws.call("GET", "/tickets", params={"q": q})
        conversations = await ws.call("GET", "/conversations", params={"q": q})
        assert len(tickets["items"]) == 1, q
        assert len(conversations["items"]) == 1, q
    backslash = await ws.call("GET", "/contacts", params={"q": "\\"})
    assert backslash["items"] == []


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_streams_per_agent": 2}


async def test_open_streams_per_agent_are_limited(live_ws, live_app):
    agent = await live_ws.agent("Streamer")
    url = "/api/v1/events"
    headers = live_ws.auth(agent)
    async with live_ws.http.stream("GET", url, headers=headers) as first:
        assert first.status_code == 200
        async with live_ws.http.stream("GET", url, headers=headers) as second:
            assert second.status_code == 200
            refused = await live_ws.http.get(url, headers=headers)
            body = assert_error(refused, 429)
            assert body["code"] == "too_many_streams"
            other = live_ws.http.stream("GET", url, headers=live_ws.auth(live_ws.admin_id))
            async with other as admin_stream:
                assert admin_stream.status_code == 200
    for _ in range(100):  # the server notices the closed streams
        if live_app.state.bus.streams_of(agent) == 0:
            break
        await asyncio.sleep(0.05)
    async with live_ws.http.stream("GET", url, headers=headers) as again:
        assert again.status_code == 200


async def test_errors_are_json_documents(ws):
    response = await ws.http.get("/api/v1/tickets/abc", headers=ws.auth(ws.admin_id))
    assert json.loads(response.text)["field"] == "ticket_id"

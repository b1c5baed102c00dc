"""``GET /tickets``' query parameters, parsed once per query string (``TicketPageRoute``).

The golden file holds main's answers before the memo: the route's OpenAPI path item and the
status and body for a set of bad query strings. They must stay the same with the memo empty
and with it warm (a bad query is never remembered, so FastAPI answers it); a remembered query
answers the same bytes as FastAPI's first answer, and still needs a valid token.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI

from convos_server.api.tickets import PageQueries
from convos_server.errors import ApiError
from tests.server.conftest import BACKENDS, Workspace

GOLDEN = json.loads(Path(__file__).with_name("ticket_page_query.golden.json").read_text())
GOOD = ("limit=50", "", "view=mine&limit=3", "status=open&last_message=brief", "from=2026-01-02")


async def _bad_answers(ws: Workspace) -> dict[str, list[object]]:
    answers: dict[str, list[object]] = {}
    for query in GOLDEN["bad"]:
        response = await ws.http.get(f"/api/v1/tickets?{query}", headers=ws.auth(ws.admin_id))
        answers[query] = [response.status_code, response.text]
    return answers


async def test_openapi_path_item_unchanged(app: FastAPI) -> None:
    assert app.openapi()["paths"]["/api/v1/tickets"] == GOLDEN["openapi_path"]


async def test_bad_queries_answer_as_before_cold_and_warm(ws: Workspace, app: FastAPI) -> None:
    inbox = await ws.inbox("Support", None)
    await ws.handoff(inbox, "ann")
    queries: PageQueries = app.state.ticket_page_queries
    assert await _bad_answers(ws) == GOLDEN["bad"]
    assert len(queries) == 0
    for query in GOOD:
        first = await ws.http.get(f"/api/v1/tickets?{query}", headers=ws.auth(ws.admin_id))
        again = await ws.http.get(f"/api/v1/tickets?{query}", headers=ws.auth(ws.admin_id))
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
    assert len(queries) == len(GOOD)
    assert await _bad_answers(ws) == GOLDEN["bad"]
    assert len(queries) == len(GOOD)


async def test_a_remembered_query_still_needs_a_valid_token(ws: Workspace, app: FastAPI) -> None:
    await ws.call("GET", "/tickets?limit=50")
    assert app.state.ticket_page_queries.get(b"limit=50") is not None
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = await ws.http.get("/api/v1/tickets?limit=50", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    await ws.call("POST", "/auth/logout")
    response = await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    assert response.status_code == 401


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_polled_page_is_answered_before_fastapis_router(
    ws: Workspace, app: FastAPI, monkeypatch
) -> None:
    """A page FastAPI answered once (its query remembered, the token and scope cached) is
    answered again by the outermost middleware: the same status, headers and bytes, and the
    router is not entered (``tickets.serve_polled_page``). A token the cache does not hold,
    or a query not remembered, still goes to the route."""
    inbox = await ws.inbox("Support", None)
    await ws.handoff(inbox, "ann")
    await ws.handoff(inbox, "bob")
    first = await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    router_class = type(app.router)
    entered: list[str] = []
    real_call = router_class.__call__

    async def counted(self, scope, receive, send):  # type: ignore[no-untyped-def]
        entered.append(scope["path"])
        await real_call(self, scope, receive, send)

    monkeypatch.setattr(router_class, "__call__", counted)
    again = await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    assert entered == []
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert again.headers.raw == first.headers.raw
    other = await ws.http.get("/api/v1/tickets?limit=49", headers=ws.auth(ws.admin_id))
    assert other.status_code == 200
    assert entered == ["/api/v1/tickets"]  # a query not remembered yet: the route
    response = await ws.http.get("/api/v1/tickets?limit=50", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert entered == ["/api/v1/tickets"] * 2


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_polled_page_whose_read_fails_goes_to_the_route(
    ws: Workspace, app: FastAPI, monkeypatch
) -> None:
    """The driver's read failing before FastAPI's layers with an error the app's handlers
    answer sends the request on to the route, which reads again and answers as it always did
    (an error no handler answers goes up as the route's would: ``test_ticket_page_sql``'s
    lost connections)."""
    from convos_server.api import tickets as ticket_routes

    inbox = await ws.inbox("Support", None)
    await ws.handoff(inbox, "ann")
    first = await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    real_page = ticket_routes._driver_page
    calls: list[int] = []

    async def failing_once(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise ApiError(503, "unavailable", "not now")
        return await real_page(*args)

    monkeypatch.setattr(ticket_routes, "_driver_page", failing_once)
    again = await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    assert again.status_code == 200
    assert again.content == first.content
    assert len(calls) == 2  # before the router, then the route's own read

"""``GET /tickets``' query parameters, parsed once per query string (``TicketPageRoute``).

The golden file holds main's answers before the memo: the route's OpenAPI path item and the
status and body for a set of bad query strings. They must stay the same with the memo empty
and with it warm (a bad query is never remembered, so FastAPI answers it); a remembered query
answers the same bytes as FastAPI's first answer, and still needs a valid token.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from convos_server.api.tickets import PageQueries
from tests.server.conftest import Workspace

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

"""Live calls answered in memory (``api/live_calls.py``), from outside over real HTTP.

A viewing heartbeat or a typing call of an agent with an open event stream, about a
conversation someone already views, touches no database and answers exactly like the route;
whatever the memory cannot vouch for (a first view, another team's conversation, a revoked
token, an odd body) is answered by the route, with its errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from tests.server.test_collision import _close, _open, _team_of_three, _until


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the server runs inside the block."""
    seen: list[str] = []
    engine = app.state.db.engine.sync_engine

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def test_heartbeats_and_typing_of_a_viewer_with_a_stream_touch_no_database(live_ws, live_app):
    ws = live_ws
    anna, bruno, carla, _inbox, conversation = await _team_of_three(ws)
    anna_task, _anna_got = await _open(ws, anna)
    bruno_task, bruno_got = await _open(ws, bruno)
    carla_task, _carla_got = await _open(ws, carla)
    url = f"/conversations/{conversation}/viewing"
    try:
        await ws.call("PUT", url, bruno, json={"viewing": True})  # first view: the route
        with _statements(live_app) as statements:
            answer = await ws.call("PUT", url, anna, json={"viewing": True})
            await ws.call(
                "PUT", f"/conversations/{conversation}/typing", anna, json={"kind": "text"}
            )
            again = await ws.call("PUT", url, bruno, json={"viewing": True})
        assert statements == []
        assert answer == {
            "viewers": [{"agent_id": a, "typing": None} for a in sorted((anna, bruno))]
        }
        assert {"agent_id": anna, "typing": "text"} in again["viewers"]
        typing = await _until(bruno_got, lambda e: e[1] == "conversation.typing")
        assert typing[0][2]["agent_id"] == anna
        assert typing[0][2]["typing"] is True

        # Anna's reply stops her typing: her client sends no stop call after a send.
        body = {"client_id": "live-1", "body": "On it"}
        await ws.call("POST", f"/conversations/{conversation}/messages", anna, json=body)
        stopped = await _until(
            bruno_got, lambda e: e[1] == "conversation.typing" and not e[2]["typing"]
        )
        assert stopped[0][2]["agent_id"] == anna

        # What the memory cannot vouch for goes to the route.
        other_team = await ws.http.put(f"/api/v1{url}", headers=ws.auth(carla), json={})
        assert other_team.status_code == 404
        odd = await ws.http.put(f"/api/v1{url}", headers=ws.auth(anna), json={"viewing": "x"})
        assert odd.status_code == 422
        no_token = await ws.http.put(f"/api/v1{url}", json={"viewing": True})
        assert no_token.status_code == 401

        # A revoked token is refused at once, even before its stream has ended.
        token = ws.tokens[anna]
        await ws.call("POST", "/auth/logout", anna)
        ws.tokens[anna] = token
        revoked = await ws.http.put(
            f"/api/v1/conversations/{conversation}/typing",
            headers=ws.auth(anna),
            json={"kind": None},
        )
        assert revoked.status_code == 401
        await asyncio.wait_for(anna_task, 10)  # the revocation ended Anna's stream
    finally:
        await _close(anna_task)
        await _close(bruno_task)
        await _close(carla_task)

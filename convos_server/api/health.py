"""``GET /health``: liveness plus a recent database round trip, no authentication.

A load balancer asks every few seconds, a benchmark thousands of times a second: the database
is asked at most once per ``Database.PING_FRESH_S`` (a failed ping is never reused, so a lost
database shows within that long), and the answer is encoded here, without a dependency or
FastAPI's response serialisation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response

from convos_server.db.engine import Database

router = APIRouter(tags=["health"])
_encode = msgspec.json.Encoder().encode


@router.get("/health", response_model=dict[str, Any])
async def health(request: Request) -> Response:
    """``{status: "ok", database, server_time}`` when the database answered lately."""
    db: Database = request.app.state.db
    await db.ping()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {"status": "ok", "database": db.dialect_name, "server_time": now}
    return Response(_encode(body), media_type="application/json")

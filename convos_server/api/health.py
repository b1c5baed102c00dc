"""``GET /health``: liveness plus a database round trip, no authentication."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from convos_server.api.deps import DbDep
from convos_server.db.models import utcnow
from convos_server.serialize import iso

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(db: DbDep) -> dict[str, Any]:
    """``{status: "ok", database, server_time}`` when the database answers."""
    # A bare connection (a session costs several more round trips to the driver), the
    # inline one on SQLite: no worker-thread hand-off for a statement of microseconds.
    async with db.quick_read() as connection:
        await connection.exec_driver_sql("SELECT 1")
    return {"status": "ok", "database": db.engine.dialect.name, "server_time": iso(utcnow())}

"""``GET /bootstrap``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from convos_server.api.deps import AgentDep, DbDep
from convos_server.services.bootstrap import bootstrap as build_bootstrap

router = APIRouter(tags=["sync"])


@router.get("/bootstrap")
async def bootstrap(agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """The start-up snapshot and the ``event_seq`` to stream events from."""
    async with db.sessionmaker() as session, session.begin():
        return await build_bootstrap(session, agent)

"""``GET /reports``: opened, closed, backlog and response times by inbox or by agent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from convos_server.api.deps import AgentDep, DbDep
from convos_server.api.params import Day
from convos_server.errors import invalid
from convos_server.services.reports import build_report
from convos_server.services.visibility import visibility_for

router = APIRouter(tags=["reports"])

DEFAULT_RANGE_DAYS = 30


@router.get("/reports")
async def get_report(
    agent: AgentDep,
    db: DbDep,
    from_day: Annotated[Day | None, Query(alias="from")] = None,
    to_day: Annotated[Day | None, Query(alias="to")] = None,
    by: Annotated[Literal["inbox", "agent"], Query()] = "inbox",
) -> dict[str, Any]:
    """The report of the inboxes the agent sees; the last 30 days unless ``from``/``to``."""
    today = dt.datetime.now(dt.UTC).date()
    last_day = to_day or today
    first_day = from_day or last_day - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if first_day > last_day:
        raise invalid("from must not be after to", field="from")
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        return await build_report(session, visibility, first_day, last_day, by)

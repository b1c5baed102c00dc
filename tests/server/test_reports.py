"""Reports: percentile maths and the figures of GET /reports on a hand-computed data set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services import report_rollup
from convos_server.services.auth import hash_password
from convos_server.services.reports import day_range, percentile
from tests.server.conftest import BACKENDS

# --- percentile maths -----------------------------------------------------------------------


def test_percentile_interpolates_between_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([10, 20, 300], 0.9) == pytest.approx(244.0)
    assert percentile([1, 2, 3], 0.0) == 1
    assert percentile([1, 2, 3], 1.0) == 3


def test_percentile_refuses_a_quantile_out_of_range():
    with pytest.raises(ValueError, match="quantile"):
        percentile([1.0], 1.5)


def test_day_range_is_inclusive_of_both_days():
    start, end = day_range(dt.date(2026, 3, 10), dt.date(2026, 3, 12))
    assert start == dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 13, tzinfo=dt.UTC)


# --- figures over HTTP ----------------------------------------------------------------------


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=dt.UTC)


# (inbox, assignee, opened_at, first response after s, closed_at)
TICKETS = [
    ("A", "ag1", at(10, 9), 60, at(10, 10)),  # resolution 3600
    ("A", "ag1", at(11, 9), 120, at(12, 9)),  # resolution 86400
    ("A", "ag2", at(12, 23, 59, 59), 300, None),  # opened on the last second of the range
    ("A", "ag1", at(9, 23, 59, 59), 30, at(10, 0, 0, 29)),  # opened before, closed in range: 30
    ("A", "ag2", at(13), 5, at(13, 1)),  # opened on the first instant after the range
    ("A", "ag1", at(1), 40, at(13)),  # closed right after the range: backlog
    ("A", None, at(11, 12), None, None),  # unassigned, no response yet
    ("B", "ag2", at(10, 8), 10, at(10, 8, 10)),  # resolution 600
    ("B", "ag2", at(10, 9), 20, at(11, 9)),  # resolution 86400
]


async def seed_tickets(settings) -> dict[str, int]:
    """Agents admin/ag1 (team T1)/ag2 (T1, T2), inbox A (T1) and B (T2), and TICKETS."""
    db = Database(settings.database_url)
    ids: dict[str, int] = {}
    try:
        async with db.transaction() as session:
            password = hash_password("pw")
            agents = {
                name: m.Agent(
                    name=name, email=f"{name}@convos.test", password_hash=password, role=role
                )
                for name, role in (("admin", "admin"), ("ag1", "agent"), ("ag2", "agent"))
            }
            teams = {name: m.Team(name=name) for name in ("T1", "T2")}
            session.add_all([*agents.values(), *teams.values()])
            await session.flush()
            session.add_all(
                [
                    m.TeamMember(team_id=teams["T1"].id, agent_id=agents["ag1"].id),
                    m.TeamMember(team_id=teams["T1"].id, agent_id=agents["ag2"].id),
                    m.TeamMember(team_id=teams["T2"].id, agent_id=agents["ag2"].id),
                ]
            )
            inboxes = {
                name: m.Inbox(name=name, team_id=teams[team].id, api_key_hash=f"key-{name}")
                for name, team in (("A", "T1"), ("B", "T2"))
            }
            contact = m.Contact(name="Mario Rossi")
            session.add_all([*inboxes.values(), contact])
            await session.flush()
            for inbox_name, assignee, opened_at, response_s, closed_at in TICKETS:
                conversation = m.Conversation(
                    contact_id=contact.id, inbox_id=inboxes[inbox_name].id, origin="chatbot"
                )
                session.add(conversation)
                await session.flush()
                session.add(
                    m.Ticket(
                        conversation_id=conversation.id,
                        inbox_id=inboxes[inbox_name].id,
                        contact_id=contact.id,
                        status="open" if closed_at is None else "closed",
                        assignee_id=agents[assignee].id if assignee else None,
                        opened_at=opened_at,
                        first_response_at=(
                            opened_at + dt.timedelta(seconds=response_s) if response_s else None
                        ),
                        closed_at=closed_at,
                    )
                )
            await session.flush()
            await report_rollup.rebuild(session)
            ids = {name: agent.id for name, agent in agents.items()}
            ids |= {f"inbox {name}": inbox.id for name, inbox in inboxes.items()}
    finally:
        await db.dispose()
    return ids


async def report(client, who: str, **params) -> dict[str, Any]:
    login = await client.post(
        "/api/v1/auth/login", json={"email": f"{who}@convos.test", "password": "pw"}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    response = await client.get("/api/v1/reports", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def figures(opened, closed, backlog, fr_median, fr_p90, res_median, res_p90) -> dict[str, Any]:
    return {
        "opened": opened,
        "closed": closed,
        "backlog": backlog,
        "first_response_median_s": fr_median,
        "first_response_p90_s": fr_p90,
        "resolution_median_s": res_median,
        "resolution_p90_s": res_p90,
    }


RANGE = {"from": "2026-03-10", "to": "2026-03-12"}
INBOX_A = figures(4, 3, 3, 120.0, 264.0, 3600.0, 69840.0)
INBOX_B = figures(2, 2, 0, 15.0, 19.0, 43500.0, 77820.0)
TOTAL = figures(6, 5, 3, 60.0, 228.0, 3600.0, 86400.0)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_report_by_inbox_for_an_admin(client, settings):
    ids = await seed_tickets(settings)
    body = await report(client, "admin", by="inbox", **RANGE)
    assert (body["from"], body["to"], body["by"]) == ("2026-03-10", "2026-03-12", "inbox")
    assert body["rows"] == [
        {"id": ids["inbox A"], "name": "A", **INBOX_A},
        {"id": ids["inbox B"], "name": "B", **INBOX_B},
    ]
    assert body["total"] == TOTAL


async def test_report_by_agent_counts_unassigned_tickets_in_the_total_only(client, settings):
    ids = await seed_tickets(settings)
    body = await report(client, "admin", by="agent", **RANGE)
    assert body["rows"] == [
        {"id": ids["admin"], "name": "admin", **figures(0, 0, 0, None, None, None, None)},
        {"id": ids["ag1"], "name": "ag1", **figures(2, 3, 1, 90.0, 114.0, 3600.0, 69840.0)},
        {"id": ids["ag2"], "name": "ag2", **figures(3, 2, 1, 20.0, 244.0, 43500.0, 77820.0)},
    ]
    assert body["total"] == TOTAL


async def test_agents_only_see_their_teams_inboxes(client, settings):
    ids = await seed_tickets(settings)
    body = await report(client, "ag1", by="inbox", **RANGE)
    assert body["rows"] == [{"id": ids["inbox A"], "name": "A", **INBOX_A}]
    assert body["total"] == INBOX_A


async def test_single_day_range(client, settings):
    await seed_tickets(settings)
    body = await report(client, "admin", by="inbox", **{"from": "2026-03-13", "to": "2026-03-13"})
    # Opened on the 13th: one ticket (answered in 5 s, closed after 3600 s). Closed on the 13th:
    # that one and the ticket opened on the 1st (12 days = 1,036,800 s). Open at the end of the
    # day: the tickets opened on the 11th and the 12th.
    assert body["total"] == figures(1, 2, 2, 5.0, 5.0, 520_200.0, 933_480.0)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-12", "to": "2026-03-10"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"by": "team"}, "by"),
    ],
)
async def test_bad_parameters_are_422_with_the_field(client, settings, params, field):
    await seed_tickets(settings)
    login = await client.post(
        "/api/v1/auth/login", json={"email": "admin@convos.test", "password": "pw"}
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    response = await client.get("/api/v1/reports", params=params, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == field


async def test_reports_need_a_login(client):
    response = await client.get("/api/v1/reports")
    assert response.status_code == 401


def day(name, opened, closed, backlog, fr_median, res_median) -> dict[str, Any]:
    return {
        "day": name,
        "opened": opened,
        "closed": closed,
        "backlog": backlog,
        "first_response_median_s": fr_median,
        "resolution_median_s": res_median,
    }


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_trend_per_day_is_the_hand_computed_one(client, settings):
    """Per UTC day: tickets opened/closed that day, open at its end, medians of that day."""
    await seed_tickets(settings)
    body = await report(client, "admin", by="inbox", **RANGE)
    assert body["days"] == [
        day("2026-03-10", 3, 3, 2, 20.0, 600.0),
        day("2026-03-11", 2, 1, 3, 120.0, 86400.0),
        day("2026-03-12", 1, 1, 3, 300.0, 86400.0),
    ]
    assert sum(d["opened"] for d in body["days"]) == body["total"]["opened"]
    assert sum(d["closed"] for d in body["days"]) == body["total"]["closed"]
    assert body["days"][-1]["backlog"] == body["total"]["backlog"]


async def test_an_agent_sees_only_its_own_row_by_agent(client, settings):
    ids = await seed_tickets(settings)
    body = await report(client, "ag1", by="agent", **RANGE)
    own = figures(2, 3, 1, 90.0, 114.0, 3600.0, 69840.0)
    assert body["rows"] == [{"id": ids["ag1"], "name": "ag1", **own}]
    assert body["total"] == own
    assert sum(d["opened"] for d in body["days"]) == 2

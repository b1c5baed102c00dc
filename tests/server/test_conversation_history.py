"""The conversation history: filters (origin, agent, dates), orders, count, campaign names."""

from __future__ import annotations

import datetime as dt


async def seed(ws):
    """Anna (team A, inbox Sales): two bot hand-offs (one taken by Anna), a named campaign."""
    anna = await ws.agent("Anna", online=True)
    bruno = await ws.agent("Bruno", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna, bruno]))
    first = await ws.handoff(inbox, "wa:1", "Aiuto", name="Zita")
    second = await ws.handoff(inbox, "wa:2", "Buongiorno", name="Aldo")
    await ws.call("POST", f"/tickets/{first['ticket_id']}/assign", anna)
    contacts = [
        (
            await ws.call(
                "POST",
                "/contacts",
                anna,
                json={"name": name, "email": f"{name.lower()}@example.com"},
            )
        )["id"]
        for name in ("Ugo", "Vera")
    ]
    campaign = await ws.call(
        "POST",
        "/campaigns",
        json={
            "kind": "mass",
            "inbox_id": inbox["id"],
            "contact_ids": contacts,
            "text": "Saldi!",
            "name": "Saldi invernali",
        },
    )
    return anna, bruno, first, second, campaign["conversation_ids"]


async def test_campaign_conversations_carry_the_campaigns_name(ws):
    anna, _bruno, _first, _second, campaign_ids = await seed(ws)
    listed = await ws.call("GET", "/conversations?origin=campaign_mass&count=true", anna)
    assert listed["total"] == 2
    assert {c["campaign"] for c in listed["items"]} == {"Saldi invernali"}
    assert {c["id"] for c in listed["items"]} == set(campaign_ids)


async def test_filter_by_the_agent_who_handled_it_and_side_loaded_contacts(ws):
    anna, bruno, first, _second, _campaign = await seed(ws)
    mine = await ws.call("GET", f"/conversations?assignee={anna}&count=true&include=contacts", anna)
    assert mine["total"] == 1
    assert [c["id"] for c in mine["items"]] == [first["conversation_id"]]
    assert [c["name"] for c in mine["contacts"]] == ["Zita"]
    none = await ws.call("GET", f"/conversations?assignee={bruno}&count=true", anna)
    assert none["total"] == 0


async def test_orders_and_paging_by_position(ws):
    anna, *_ = await seed(ws)
    seen = []
    cursor = None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = await ws.call("GET", f"/conversations?sort=contact&order=asc&limit=3{suffix}", anna)
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    contacts = await ws.call("GET", "/conversations?include=contacts&limit=50", anna)
    names = {c["id"]: c["name"] for c in contacts["contacts"]}
    assert [names[c["contact_id"]] for c in seen] == ["Aldo", "Ugo", "Vera", "Zita"]
    by_origin = await ws.call("GET", "/conversations?sort=origin&order=asc", anna)
    assert [c["origin"] for c in by_origin["items"]] == ["campaign_mass"] * 2 + ["chatbot"] * 2


async def test_date_range_on_the_start_of_the_conversation(ws):
    anna, *_ = await seed(ws)
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = today + dt.timedelta(days=1)
    within = await ws.call("GET", f"/conversations?from={today}&to={today}&count=true", anna)
    assert within["total"] == 4
    later = await ws.call("GET", f"/conversations?from={tomorrow}&count=true", anna)
    assert later["total"] == 0

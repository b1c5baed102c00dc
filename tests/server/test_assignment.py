"""Automatic assignment: round robin and least busy among online agents, with the cap."""

from __future__ import annotations


async def setup_inbox(ws, mode, cap=None, names=("Anna", "Bruno", "Carla")):
    ids = [await ws.agent(name, online=True) for name in names]
    team = await ws.team("Team", ids)
    inbox = await ws.inbox("Sales", team, assignment=mode, max_open_per_agent=cap)
    return ids, inbox


async def assignee_of(ws, handoff) -> int | None:
    ticket = await ws.call("GET", f"/tickets/{handoff['ticket_id']}")
    return ticket["ticket"]["assignee_id"]


async def test_round_robin_rotates_over_online_agents(ws):
    (anna, bruno, carla), inbox = await setup_inbox(ws, "round_robin")
    await ws.presence(bruno, "busy")  # busy agents get no automatic tickets
    got = [await assignee_of(ws, await ws.handoff(inbox, f"c{i}")) for i in range(4)]
    assert got == [anna, carla, anna, carla]
    detail = await ws.call("GET", f"/tickets/{(await ws.handoff(inbox, 'c9'))['ticket_id']}")
    assert detail["conversation"]["last_message"]["direction"] == "in"


async def test_round_robin_respects_the_cap_then_leaves_unassigned(ws):
    (anna, bruno), inbox = await setup_inbox(ws, "round_robin", cap=1, names=("Anna", "Bruno"))
    got = [await assignee_of(ws, await ws.handoff(inbox, f"c{i}")) for i in range(3)]
    assert got == [anna, bruno, None]


async def test_least_busy_picks_fewest_open_tickets_lowest_id_on_ties(ws):
    (anna, bruno, carla), inbox = await setup_inbox(ws, "least_busy", cap=2)
    first = await ws.handoff(inbox, "c0")
    assert await assignee_of(ws, first) == anna
    assert await assignee_of(ws, await ws.handoff(inbox, "c1")) == bruno
    await ws.call("POST", f"/tickets/{first['ticket_id']}/close", anna)
    got = [await assignee_of(ws, await ws.handoff(inbox, f"c{i}")) for i in range(2, 8)]
    # After the close: anna 0, bruno 1, carla 0 -> anna, carla, then 1/1/1 -> anna...
    assert got == [anna, carla, anna, bruno, carla, None]


async def test_nobody_online_leaves_the_ticket_unassigned(ws):
    (anna, bruno, carla), inbox = await setup_inbox(ws, "least_busy")
    for agent_id in (anna, bruno, carla):
        await ws.presence(agent_id, "unavailable")
    assert await assignee_of(ws, await ws.handoff(inbox, "c0")) is None


async def test_manual_inbox_leaves_tickets_unassigned_and_manual_assign_honours_the_cap(ws):
    (anna,), inbox = await setup_inbox(ws, "manual", cap=1, names=("Anna",))
    one = await ws.handoff(inbox, "c0")
    two = await ws.handoff(inbox, "c1")
    assert await assignee_of(ws, one) is None
    await ws.call("POST", f"/tickets/{one['ticket_id']}/assign", anna)
    over = await ws.http.post(f"/api/v1/tickets/{two['ticket_id']}/assign", headers=ws.auth(anna))
    assert over.status_code == 409
    assert over.json()["code"] == "at_capacity"

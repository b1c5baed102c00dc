"""``GET /search/messages``: literal substring, newest first, paged, visibility enforced."""

from __future__ import annotations

from tests.server.two_teams import build_two_teams, unique


async def _search(ws, agent_id, **params):
    return await ws.call("GET", "/search/messages", agent_id, params=params)


async def test_each_agent_finds_only_what_it_sees(ws):
    t = await build_two_teams(ws)
    # "Hello from A" is in team A's inbox, "Hello from B" in team B's.
    alice = await _search(ws, t.alice, q="hello from")
    bob = await _search(ws, t.bob, q="HELLO FROM")
    admin = await _search(ws, ws.admin_id, q="hello from")
    assert [i["body"] for i in alice["items"]] == ["Hello from A"]
    assert [i["body"] for i in bob["items"]] == ["Hello from B"]
    assert [i["body"] for i in admin["items"]] == ["Hello from B", "Hello from A"]
    assert [c["id"] for c in bob["conversations"]] == [t.conversation_b]
    assert {c["id"] for c in bob["contacts"]} == {t.contact_b}
    # A note of team B is found by bob and never by alice.
    await ws.call(
        "POST",
        f"/conversations/{t.conversation_b}/messages",
        t.bob,
        json={"client_id": unique("n"), "kind": "note", "body": "secret 50% discount"},
    )
    assert (await _search(ws, t.alice, q="secret"))["items"] == []
    found = await _search(ws, t.bob, q="50%")
    assert [i["direction"] for i in found["items"]] == ["note"]


async def test_pages_and_wildcards(ws):
    t = await build_two_teams(ws)
    for n in range(5):
        await ws.call(
            "POST",
            f"/conversations/{t.conversation_b}/messages",
            t.bob,
            json={"client_id": unique("p"), "body": f"page_me {n}"},
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "page_me", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await _search(ws, t.bob, **params)
        seen += [i["body"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"page_me {n}" for n in reversed(range(5))]
    assert (await _search(ws, t.bob, q="page%me"))["items"] == []  # % is literal
    for bad in ({"q": ""}, {"q": "   "}, {"q": "x", "cursor": "nope"}):
        response = await ws.http.get("/api/v1/search/messages", params=bad, headers=ws.auth(t.bob))
        assert response.status_code == 422, bad

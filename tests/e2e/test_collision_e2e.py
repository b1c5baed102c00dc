"""Collision detection, typing and mentions with two clients against the real server (issue 15).

Anna holds the ticket; the admin is the colleague. Both cores run as the app runs them
(store, sync, outbox) with ``core.live`` and ``core.mentions`` fed by their event streams.
The second test runs two server processes on PostgreSQL, Anna's app on one and the admin's on
the other: the live state is mirrored between them (``services.live_relay``).
"""

import asyncio
from pathlib import Path

import pytest

from convos_desktop.core.api import ApiClient
from convos_desktop.core.live import Live
from convos_desktop.core.mentions import Mentions
from convos_desktop.core.outbox import CHANGED
from convos_server.cli import create_admin
from convos_server.config import Settings
from tests.e2e.conftest import (
    ADMIN_EMAIL,
    AGENT_EMAIL,
    PASSWORD,
    Client,
    Workspace,
    connected,
    open_client,
    seed_workspace,
    take_ticket,
    wait_until,
)
from tests.e2e.test_balancer_e2e import PostgresServer
from tests.server.conftest import fresh_postgres_database

pytestmark = pytest.mark.e2e


def with_live(client: Client) -> tuple[Live, Mentions]:
    live = Live.for_api(client.api, lambda: client.sync.me_id)
    mentions = Mentions(client.api)
    client.sync.ephemeral.connect(live.receive)
    mentions.follow(client.sync)
    return live, mentions


async def test_two_agents_see_each_other_are_asked_before_sending_and_get_mentions(
    workspace: Workspace, tmp_path
):
    answer = await workspace.customer_says("Salve, il mio ordine?", handoff=True)
    conversation_id = answer["conversation_id"]
    api = await workspace.agent_api()
    await take_ticket(api, answer["ticket_id"])
    anna = await open_client(tmp_path / "anna.sqlite3", workspace.server.url, str(api.token))
    await api.aclose()
    admin = await open_client(
        tmp_path / "admin.sqlite3", workspace.server.url, str(workspace.admin.token)
    )
    try:
        await connected(anna)
        await connected(admin)
        anna_live, anna_mentions = with_live(anna)
        admin_live, _ = with_live(admin)
        await anna.sync.ensure_history(conversation_id)
        seen = max(m.id for m in anna.store.messages_page(conversation_id))
        anna_live.view(conversation_id)
        admin_live.view(conversation_id)
        admin_id = admin.sync.me_id
        await wait_until(
            lambda: admin_id in anna_live.presence(conversation_id).viewers, what="viewer"
        )
        admin_live.typed("note")
        await wait_until(
            lambda: anna_live.presence(conversation_id).typing.get(admin_id or 0) == "note",
            what="typing a note",
        )
        await admin.outbox.send(conversation_id, "@Anna the customer called", kind="note")
        await wait_until(lambda: anna_mentions.unread() == 1, what="the mention")
        (mention,) = anna_mentions.items()
        assert mention.contact_id is not None
        assert mention.contact_name
        await admin.sync.update_contact(mention.contact_id, {"name": "Cliente Rinominato"})
        await wait_until(
            lambda: anna_mentions.items()[0].contact_name == "Cliente Rinominato",
            what="the mention's contact renamed",
        )
        refused: list[object] = []
        anna.outbox.item_failed.connect(refused.append)
        await anna.outbox.send(conversation_id, "Ecco il tracking", seen_message_id=seen)
        await wait_until(lambda: bool(refused), what="the collision")
        item = anna.outbox.items(conversation_id)[0]
        assert item.error == f"{CHANGED}: admin@example.com"  # the admin's name in this seed
        await anna.outbox.retry(item.client_id, force=True)
        await wait_until(lambda: not anna.outbox.items(conversation_id), what="sent anyway")
        await admin_live.stop()
        await wait_until(
            lambda: admin_id not in anna_live.presence(conversation_id).viewers, what="left"
        )
        await anna_live.stop()
    finally:
        await anna.close()
        await admin.close()


@pytest.mark.postgres
async def test_colleagues_on_two_server_processes_see_each_other(tmp_path: Path) -> None:
    """Anna's app talks to process 1 only, the admin's to process 2 only (no balancer): each
    sees the other view and type, the viewing call's answer names viewers of both, and the
    admin leaves, by the app and then with the process killed."""
    async with fresh_postgres_database() as database_url:
        servers = [PostgresServer(f"convos{n}", tmp_path / f"s{n}", database_url) for n in (1, 2)]
        clients: list[Client] = []
        try:
            await asyncio.gather(*(asyncio.to_thread(server.start) for server in servers))
            one, two = (server.url for server in servers)
            settings = Settings(database_url=database_url, data_dir=tmp_path)
            await create_admin(settings, ADMIN_EMAIL, PASSWORD, "Admin")
            workspace = await seed_workspace(servers[1])  # the admin's process
            admin_api = workspace.admin
            handoff = await workspace.customer_says("Salve", handoff=True)
            conversation_id = handoff["conversation_id"]
            anna_api = ApiClient(one)
            await anna_api.login(AGENT_EMAIL, PASSWORD, "e2e")
            await take_ticket(anna_api, handoff["ticket_id"])
            anna = await open_client(tmp_path / "anna.sqlite3", one, str(anna_api.token))
            clients.append(anna)
            await anna_api.aclose()
            admin = await open_client(tmp_path / "admin.sqlite3", two, str(admin_api.token))
            clients.append(admin)
            await admin_api.aclose()
            await connected(anna)
            await connected(admin)
            anna_live, _ = with_live(anna)
            admin_live, _ = with_live(admin)
            admin_id = admin.sync.me_id or 0
            anna_live.view(conversation_id)
            admin_live.view(conversation_id)

            def anna_sees() -> dict[str, object]:
                presence = anna_live.presence(conversation_id)
                return {"viewers": presence.viewers, "typing": presence.typing.get(admin_id)}

            await wait_until(lambda: admin_id in anna_sees()["viewers"], what="the admin viewing")
            await wait_until(
                lambda: workspace.agent_id in admin_live.presence(conversation_id).viewers,
                what="Anna viewing, seen by the admin",
            )
            answer = await anna.api.request(
                "PUT", f"/conversations/{conversation_id}/viewing", json={"viewing": True}
            )  # answered by process 1 from memory
            assert {v["agent_id"] for v in answer["viewers"]} == {workspace.agent_id, admin_id}
            # A balancer may send her call to process 2, which holds no stream of hers.
            elsewhere = ApiClient(two, str(anna.api.token))
            answer = await elsewhere.request(
                "PUT", f"/conversations/{conversation_id}/viewing", json={"viewing": True}
            )
            await elsewhere.aclose()
            assert {v["agent_id"] for v in answer["viewers"]} == {workspace.agent_id, admin_id}
            admin_live.typed("note")
            await wait_until(lambda: anna_sees()["typing"] == "note", what="typing a note")
            await admin_live.stop()
            await wait_until(lambda: admin_id not in anna_sees()["viewers"], what="left")
            # Process 2 killed while the admin views: its viewer goes (silent process).
            admin_live.view(conversation_id)
            await wait_until(lambda: admin_id in anna_sees()["viewers"], what="back")
            servers[1].stop()
            await wait_until(
                lambda: admin_id not in anna_sees()["viewers"], within=20, what="gone with it"
            )
            answer = await anna.api.request(
                "PUT", f"/conversations/{conversation_id}/viewing", json={"viewing": True}
            )
            assert answer["viewers"] == [{"agent_id": workspace.agent_id, "typing": None}]
            await anna_live.stop()
            await admin_live.stop()
        finally:
            for client in clients:
                await client.close()
            for server in servers:
                server.close()

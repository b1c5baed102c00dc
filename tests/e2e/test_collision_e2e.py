"""Collision detection, typing and mentions with two clients against the real server (issue 15).

Anna holds the ticket; the admin is the colleague. Both cores run as the app runs them
(store, sync, outbox) with ``core.live`` and ``core.mentions`` fed by their event streams.
"""

import pytest

from convos_desktop.core.live import Live
from convos_desktop.core.mentions import Mentions
from convos_desktop.core.outbox import CHANGED
from tests.e2e.conftest import Client, Workspace, connected, open_client, take_ticket, wait_until

pytestmark = pytest.mark.e2e


def with_live(client: Client) -> tuple[Live, Mentions]:
    live = Live.for_api(client.api, lambda: client.sync.me_id)
    mentions = Mentions(client.api)
    client.sync.ephemeral.connect(live.receive)
    client.sync.mention_event.connect(mentions.apply)
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

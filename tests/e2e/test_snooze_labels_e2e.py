"""Snooze and labels against the real server with two clients (Anna and the admin): a snooze
whose time falls while the server is down wakes at its restart and both clients see it back;
a customer reply wakes a ticket snoozed until reply; labels reach the other client live."""

import asyncio
import datetime as dt

import pytest

from convos_desktop.core.types import TicketQuery, TicketWoke, View
from tests.e2e.conftest import Client, Workspace, connected, open_client, take_ticket, wait_until

pytestmark = pytest.mark.e2e


async def two_clients(ws: Workspace, tmp_path) -> tuple[Client, Client, int]:
    answer = await ws.customer_says("Buongiorno, aspetto un rimborso", handoff=True)
    ticket_id = int(answer["ticket_id"])
    api = await ws.agent_api()
    await take_ticket(api, ticket_id)
    await api.aclose()  # the token lives on in Anna's client
    assert api.token is not None
    assert ws.admin.token is not None
    anna = await open_client(tmp_path / "anna.sqlite3", ws.server.url, api.token)
    admin = await open_client(tmp_path / "admin.sqlite3", ws.server.url, ws.admin.token)
    await connected(anna)
    await connected(admin)
    return anna, admin, ticket_id


def ids(client: Client, view: View) -> list[int]:
    return [t.id for t in client.store.tickets(view, client.sync.me_id)]


async def test_a_snooze_due_while_the_server_is_down_wakes_at_its_restart(workspace, tmp_path):
    anna, admin, ticket_id = await two_clients(workspace, tmp_path)
    woke: list[TicketWoke] = []
    anna.sync.ticket_woke.connect(woke.append)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    snoozed = await anna.api.snooze(ticket_id, until)
    assert snoozed.snoozed
    await wait_until(lambda: ids(anna, View.SNOOZED) == [ticket_id], what="snoozed at Anna")
    await wait_until(lambda: ids(admin, View.SNOOZED) == [ticket_id], what="snoozed at admin")
    assert ids(anna, View.MINE) == []
    assert anna.sync.counts.snoozed == 1
    workspace.server.stop()
    await asyncio.sleep(max(0.0, (until - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)
    workspace.server.start()  # the due time is in the database: the waker finds it at start
    await wait_until(lambda: ids(anna, View.MINE) == [ticket_id], within=30, what="back in Mine")
    await wait_until(lambda: ids(admin, View.ALL) == [ticket_id], what="back at the admin")
    await wait_until(lambda: bool(woke), what="ticket.woke at Anna")
    assert [(w.ticket.id, w.reason, w.snoozed_by) for w in woke] == [
        (ticket_id, "time", workspace.agent_id)
    ]
    assert ids(admin, View.SNOOZED) == []
    await anna.close()
    await admin.close()


async def test_a_customer_reply_wakes_it_and_labels_reach_the_other_client(workspace, tmp_path):
    anna, admin, ticket_id = await two_clients(workspace, tmp_path)
    woke: list[TicketWoke] = []
    anna.sync.ticket_woke.connect(woke.append)
    await anna.api.snooze(ticket_id, None)
    await wait_until(lambda: ids(admin, View.SNOOZED) == [ticket_id], what="snoozed at admin")
    await workspace.customer_says("Novità?")
    await wait_until(lambda: ids(anna, View.MINE) == [ticket_id], what="woken by the reply")
    await wait_until(lambda: bool(woke), what="ticket.woke")
    assert woke[0].reason == "reply"

    label = await admin.api.create_label("Rimborso", "#d9534f")
    await wait_until(lambda: [x.name for x in anna.store.labels()] == ["Rimborso"], what="label")
    await anna.api.set_ticket_label(ticket_id, label.id, True)

    def labelled() -> bool:
        ticket = admin.store.ticket(ticket_id)
        return ticket is not None and ticket.label_ids == (label.id,)

    await wait_until(labelled, what="the label at the admin")
    history = await admin.api.ticket_history(TicketQuery(label_id=label.id))
    assert [t.id for t in history.items] == [ticket_id]
    await admin.api.delete_label(label.id)
    await wait_until(lambda: anna.store.labels() == [], what="label deleted at Anna")
    await anna.close()
    await admin.close()

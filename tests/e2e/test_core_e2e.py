"""The desktop core against the real server subprocess: sync, reconnection, outbox, session."""

import asyncio
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from convos_desktop.core import session as sessions
from convos_desktop.core.api import ApiClient, AuthError
from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.session import Profile
from convos_desktop.core.store import OutboxItem, Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import Delivery, MessagesChanged, Screen, Status, View
from tests.e2e.conftest import (
    AGENT_EMAIL,
    FAST_BACKOFF,
    PASSWORD,
    Client,
    Workspace,
    connected,
    open_client,
    take_ticket,
    wait_until,
)

pytestmark = pytest.mark.e2e


def bodies(client: Client, conversation_id: int) -> list[str]:
    return [m.body for m in client.store.messages_page(conversation_id, limit=500)]


async def open_ticket(ws: Workspace) -> tuple[int, int]:
    """A customer hands off to a human: returns (ticket id, conversation id)."""
    answer = await ws.customer_says("Vorrei parlare con un operatore", handoff=True)
    assert answer["ticket_id"] is not None
    return answer["ticket_id"], answer["conversation_id"]


async def test_bootstrap_then_live_events_reach_the_store(workspace, tmp_path):
    ticket_id, conversation_id = await open_ticket(workspace)
    api = await workspace.agent_api()
    assert api.token is not None
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    changes: list[MessagesChanged] = []
    client.sync.messages_changed.connect(changes.append)
    await connected(client)
    assert [t.id for t in client.store.tickets(View.UNASSIGNED)] == [ticket_id]
    assert client.sync.counts.unassigned == 1

    await workspace.customer_says("Il mio ordine non è arrivato")
    await wait_until(lambda: "Il mio ordine non è arrivato" in bodies(client, conversation_id))
    # The write thread commits before the loop emits: the row can be read a moment before the
    # change is announced (a busy machine widens that moment), so the signal is waited for.
    await wait_until(
        lambda: any(c.conversation_id == conversation_id for c in changes),
        what="messages_changed for the conversation",
    )
    await take_ticket(api, ticket_id)
    await wait_until(lambda: client.sync.counts.mine == 1, what="ticket in Mine")
    await client.close()
    await api.aclose()


async def test_a_dropped_connection_and_a_server_restart_lose_nothing(workspace, tmp_path):
    _, conversation_id = await open_ticket(workspace)
    api = await workspace.agent_api()
    assert api.token is not None
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    await connected(client)
    sent = [f"messaggio {i}" for i in range(12)]
    for text in sent[:4]:
        await workspace.customer_says(text)
    client.sync.stream.reconnect_now()  # the transport is closed under the stream
    for text in sent[4:8]:
        await workspace.customer_says(text)
    workspace.server.stop()
    workspace.server.start()  # same port, same data: the client resumes with Last-Event-ID
    for text in sent[8:]:
        await workspace.customer_says(text)
    await wait_until(lambda: all(t in bodies(client, conversation_id) for t in sent), within=30)
    history = bodies(client, conversation_id)
    assert all(history.count(text) == 1 for text in sent)
    assert client.sync.stream.connections >= 3
    await client.close()
    await api.aclose()


async def test_server_restart_while_a_send_is_pending_delivers_exactly_once(workspace, tmp_path):
    ticket_id, conversation_id = await open_ticket(workspace)
    api = await workspace.agent_api()
    await take_ticket(api, ticket_id)
    assert api.token is not None
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    await connected(client)
    workspace.server.stop()
    echo = await client.outbox.send(conversation_id, "Arrivo subito")
    assert echo.client_id is not None
    client_id = echo.client_id

    def tried_once() -> bool:
        item = client.store.outbox_item(client_id)
        return item is not None and item.attempts >= 1

    await wait_until(tried_once, what="a failed attempt")
    workspace.server.start()
    await api.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    await wait_until(lambda: client.store.outbox_items() == [], within=30, what="delivered")
    await wait_until(lambda: "Arrivo subito" in bodies(client, conversation_id))
    server_side = await workspace.admin.messages(conversation_id, limit=100)
    assert [m.client_id for m in server_side.items].count(echo.client_id) == 1
    assert bodies(client, conversation_id).count("Arrivo subito") == 1
    await client.close()
    await api.aclose()


async def test_app_restart_with_a_pending_send_delivers_it_once(workspace, tmp_path):
    ticket_id, conversation_id = await open_ticket(workspace)
    api = await workspace.agent_api()
    await take_ticket(api, ticket_id)
    assert api.token is not None
    cache = tmp_path / "cache.sqlite3"
    workspace.server.stop()
    first = await open_client(cache, workspace.server.url, api.token)
    echo = await first.outbox.send(conversation_id, "Scritto offline")
    await first.close()  # the app quits with the send still pending

    workspace.server.start()
    await api.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    second = await open_client(cache, workspace.server.url, api.token)
    pending = second.store.messages_page(conversation_id)
    assert [m.delivery for m in pending if m.client_id == echo.client_id] == [Delivery.PENDING]
    await wait_until(lambda: second.store.outbox_items() == [], within=30, what="delivered")
    server_side = await workspace.admin.messages(conversation_id, limit=100)
    assert [m.client_id for m in server_side.items].count(echo.client_id) == 1
    await second.close()
    await api.aclose()


async def test_a_send_refused_for_a_closed_ticket_fails_with_the_reason(workspace, tmp_path):
    ticket_id, conversation_id = await open_ticket(workspace)
    api = await workspace.agent_api()
    await take_ticket(api, ticket_id)
    await api.close_ticket(ticket_id)
    assert api.token is not None
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    failures: list[OutboxItem] = []
    client.outbox.item_failed.connect(failures.append)
    echo = await client.outbox.send(conversation_id, "Testo da non perdere")
    await client.outbox.wait_idle()
    item = client.store.outbox_item(echo.client_id or "")
    assert item is not None
    assert item.state is Delivery.FAILED
    assert item.body == "Testo da non perdere"
    assert item.error is not None
    assert item.error.startswith("ticket_closed: ")
    assert [f.client_id for f in failures] == [echo.client_id]
    shown = [m for m in client.store.messages_page(conversation_id) if m.id < 0]
    assert [(m.delivery, m.error) for m in shown] == [(Delivery.FAILED, item.error)]
    note = await client.outbox.send(conversation_id, "Nota: cliente richiamato", kind="note")
    await wait_until(lambda: client.store.outbox_item(note.client_id or "") is None)
    await client.close()
    await api.aclose()


async def test_history_pages_load_once_per_anchor(workspace, tmp_path, monkeypatch):
    _, conversation_id = await open_ticket(workspace)
    for i in range(60):
        await workspace.customer_says(f"riga {i}")
    api = await workspace.agent_api()
    assert api.token is not None
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    requests: list[int | None] = []
    fetch = client.api.messages_json

    async def counted_fetch(conversation: int, **kwargs: Any) -> dict[str, Any]:
        requests.append(kwargs.get("before"))
        return await fetch(conversation, **kwargs)

    monkeypatch.setattr(client.api, "messages_json", counted_fetch)
    assert await client.sync.ensure_history(conversation_id) is True
    assert await client.sync.ensure_history(conversation_id) is True  # cached: no request
    newest = client.store.messages_page(conversation_id)
    assert len(newest) == 50
    first, second = await asyncio.gather(
        client.sync.load_older(conversation_id, newest[0].id),
        client.sync.load_older(conversation_id, newest[0].id),
    )
    assert first is second is False
    assert requests == [None, newest[0].id]
    assert len(client.store.messages_page(conversation_id, limit=500)) == 61
    await client.close()
    await api.aclose()


async def test_presence_heartbeats_reach_the_server_and_come_back_as_events(workspace, tmp_path):
    api = await workspace.agent_api()
    assert api.token is not None
    client = await open_client(tmp_path / "cache.sqlite3", workspace.server.url, api.token)
    await connected(client)
    driver = PresenceDriver(api.put_presence)
    driver.start()
    me = workspace.agent_id

    def status_of_me() -> Status | None:
        return {a.id: a.status for a in client.store.agents()}.get(me)

    await wait_until(lambda: status_of_me() is Status.ONLINE, what="online")
    driver.set_screen(Screen.OTHER)
    await wait_until(lambda: status_of_me() is Status.UNAVAILABLE, what="unavailable")
    driver.stop()
    await client.close()
    await api.aclose()


async def test_login_keeps_the_token_in_the_keyring_and_logout_revokes_it(
    workspace, memory_keyring
):
    profile = Profile("Lavoro", workspace.server.url, AGENT_EMAIL)
    session = await sessions.login(profile, PASSWORD)
    token = session.api.token
    assert session.remembered is True
    assert memory_keyring.passwords == {("convos-desktop", profile.keyring_user): token}
    await session.close()
    resumed = await sessions.resume(profile)
    assert resumed is not None
    assert resumed.me is not None
    assert resumed.me.email == AGENT_EMAIL
    await sessions.logout(resumed)
    assert memory_keyring.passwords == {}
    stale = ApiClient(workspace.server.url, token)
    with pytest.raises(AuthError):
        await stale.me()
    await stale.aclose()
    with pytest.raises(AuthError):
        await sessions.login(profile, "wrong password")
    assert await sessions.resume(profile) is None


async def test_login_works_without_a_keyring_and_remembers_nothing(workspace):
    keyring.set_keyring(keyring.backends.fail.Keyring())  # a machine with no secret service
    profile = Profile("Lavoro", workspace.server.url, AGENT_EMAIL)
    session = await sessions.login(profile, PASSWORD)
    assert session.me is not None
    assert session.remembered is False
    assert await sessions.resume(profile) is None
    await sessions.logout(session)  # revokes on the server, nothing to delete locally
    stale = ApiClient(workspace.server.url, session.api.token)
    with pytest.raises(AuthError):
        await stale.me()
    await stale.aclose()


async def test_login_without_remember_keeps_the_token_in_memory_only(workspace, memory_keyring):
    profile = Profile("Lavoro", workspace.server.url, AGENT_EMAIL)
    session = await sessions.login(profile, PASSWORD, remember=False)
    assert session.remembered is False
    assert memory_keyring.passwords == {}
    await session.close()


async def test_a_silent_connection_is_dropped_and_resumed(workspace, tmp_path):
    _, conversation_id = await open_ticket(workspace)
    api = await workspace.agent_api()
    assert api.token is not None
    store = Store(tmp_path / "cache.sqlite3")
    # The server pings every 15 s; a 0.2 s keep-alive makes 0.5 s of quiet look dead.
    sync = Sync(store, api, keepalive=0.2, backoff=FAST_BACKOFF)
    sync.start()
    await wait_until(lambda: sync.stream.connections >= 3, what="silence reconnections")
    await workspace.customer_says("ancora qui")
    await wait_until(
        lambda: any(m.body == "ancora qui" for m in store.messages_page(conversation_id))
    )
    await sync.stop()
    await api.aclose()
    store.close()


async def test_a_stale_cursor_gets_reset_and_bootstraps_again(workspace, tmp_path):
    ticket_id, _ = await open_ticket(workspace)
    api = await workspace.agent_api()
    assert api.token is not None
    store = Store(tmp_path / "cache.sqlite3")
    await store.kv_set("event_seq", 10**9)  # newer than the server's newest event
    sync = Sync(store, api, backoff=FAST_BACKOFF)
    resets: list[bool] = []
    sync.history_reset.connect(lambda: resets.append(True))
    sync.start()
    await wait_until(lambda: resets == [True], what="reset handled")
    assert [t.id for t in store.tickets()] == [ticket_id]
    seq = store.event_seq()
    assert seq is not None
    assert seq < 10**9
    await sync.stop()
    await api.aclose()
    store.close()

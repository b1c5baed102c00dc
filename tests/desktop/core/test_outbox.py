"""Outbox states without a server: written before any request, kept pending, discarded.

The server is a closed loopback port (a real connection refusal). Confirmation, refusal and
exactly-once delivery against the real server are in tests/e2e/test_core_e2e.py.
"""

import asyncio

import pytest

from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import Backoff
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import Delivery, MessagesChanged
from tests.desktop.core import protocol_json as pj

CLOSED_PORT = "http://127.0.0.1:9"
FAST = Backoff(base=0.01, cap=0.02)


@pytest.fixture
async def parts(tmp_path):
    store = Store(tmp_path / "cache.sqlite3")
    await store.replace_snapshot(pj.snapshot([pj.ticket(100, 10)], event_seq=1), reset=False)
    api = ApiClient(CLOSED_PORT, "token")
    sync = Sync(store, api)
    outbox = Outbox(store, api, sync, backoff=FAST)
    yield store, sync, outbox
    await outbox.stop()
    await api.aclose()
    store.close()


async def test_send_is_stored_and_echoed_before_any_request(parts):
    store, sync, outbox = parts
    changes: list[MessagesChanged] = []
    sync.messages_changed.connect(changes.append)
    echo = await outbox.send(10, "Buongiorno, come posso aiutarla?")
    assert echo.id < 0
    assert echo.delivery is Delivery.PENDING
    assert echo.sender_name == "Anna"
    assert changes[0].upserted == (echo,)
    stored = store.outbox_items(10)
    assert [(i.client_id, i.state) for i in stored] == [(echo.client_id, Delivery.PENDING)]


async def test_network_failure_keeps_retrying_and_stays_pending(parts):
    store, _, outbox = parts
    echo = await outbox.send(10, "Ciao")
    for _ in range(200):
        await asyncio.sleep(0.01)
        item = store.outbox_item(echo.client_id or "")
        if item is not None and item.attempts >= 3:
            break
    assert item is not None
    assert item.attempts >= 3
    assert item.state is Delivery.PENDING


async def test_discard_removes_the_echo_and_returns_the_text(parts):
    store, sync, outbox = parts
    echo = await outbox.send(10, "Da buttare", kind="note")
    changes: list[MessagesChanged] = []
    sync.messages_changed.connect(changes.append)
    assert echo.client_id is not None
    item = await outbox.discard(echo.client_id)
    assert item is not None
    assert item.body == "Da buttare"
    assert changes[-1].removed_client_ids == (echo.client_id,)
    assert store.outbox_items() == []
    assert [m.id for m in store.messages_page(10)] == []


async def test_retry_with_an_edited_text_keeps_the_client_id(parts):
    store, _, outbox = parts
    echo = await outbox.send(10, "Bozza")
    assert echo.client_id is not None
    retried = await outbox.retry(echo.client_id, body="Bozza corretta")
    assert retried is not None
    assert retried.client_id == echo.client_id
    assert retried.body == "Bozza corretta"
    assert [i.body for i in store.outbox_items(10)] == ["Bozza corretta"]


async def test_bad_input_is_refused_and_nothing_is_stored(parts):
    store, _, outbox = parts
    with pytest.raises(ValueError, match="text or files"):
        await outbox.send(10, "   ")
    with pytest.raises(ValueError, match="kind"):
        await outbox.send(10, "x", kind="sms")
    assert store.outbox_items() == []

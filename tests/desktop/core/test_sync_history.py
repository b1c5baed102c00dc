"""The thread model's history source pages back through the cache before asking the server."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from convos_desktop.core.api import ApiClient, ServerUnreachableError
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.models.sync_history import SyncHistory
from tests.desktop.core import protocol_json as pj

UNREACHABLE = "http://127.0.0.1:9"  # discard port: any request fails at once
CONVERSATION = 10


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[Store, SyncHistory]]:
    store = Store(tmp_path / "cache.sqlite3")
    api = ApiClient(UNREACHABLE, "token")
    sync = Sync(store, api)
    yield store, SyncHistory(store, sync)
    await sync.stop()
    await api.aclose()
    store.close()
    del sync
    # Sync's QObjects sit in reference cycles: collect them here, on the Qt thread, not
    # whenever the cyclic collector happens to run in the store's writer thread.
    gc.collect()


async def cache_history(store: Store, ids: range, *, newest: bool, has_more: bool) -> None:
    messages = [pj.message(i, CONVERSATION, body=f"messaggio {i}") for i in ids]
    await store.store_history(CONVERSATION, messages, newest=newest, has_more=has_more)


async def test_a_synced_history_pages_back_from_the_cache(parts) -> None:
    store, history = parts
    await cache_history(store, range(1, 121), newest=True, has_more=True)
    page = await history.older_messages(CONVERSATION, before_id=71, limit=50)
    assert [m.id for m in page.messages] == list(range(21, 71))
    assert page.has_more


async def test_the_start_of_a_conversation_in_the_cache_needs_no_request(parts) -> None:
    store, history = parts
    await cache_history(store, range(1, 121), newest=True, has_more=False)
    page = await history.older_messages(CONVERSATION, before_id=21, limit=50)
    assert [m.id for m in page.messages] == list(range(1, 21))
    assert not page.has_more


async def test_a_cache_short_of_a_page_asks_the_server(parts) -> None:
    store, history = parts
    await cache_history(store, range(100, 121), newest=True, has_more=True)
    with pytest.raises(ServerUnreachableError):
        await history.older_messages(CONVERSATION, before_id=110, limit=50)


async def test_an_unsynced_history_asks_the_server(parts) -> None:
    store, history = parts
    await cache_history(store, range(1, 121), newest=False, has_more=True)
    with pytest.raises(ServerUnreachableError):
        await history.older_messages(CONVERSATION, before_id=71, limit=50)

"""A send whose request is lost on a dead connection goes again as soon as the stream is back.

The API is a stand-in whose first POST never answers (bytes lost in a dead network path);
the chaos e2e test (tests/e2e/test_chaos_e2e.py, "hole") does the same with real sockets.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import Backoff
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import ConnectionState
from tests.desktop.core import protocol_json as pj
from tests.desktop.ui_shell.test_login_dialog import wait_until


class DeadFirstApi(ApiClient):
    """The first send hangs for ever; later ones answer with the stored message."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "token")
        self.calls: list[str] = []
        self.hanging: asyncio.Future[None] | None = None

    async def send_message_json(self, conversation_id: int, **fields: Any) -> dict[str, Any]:
        client_id = fields["client_id"]
        self.calls.append(client_id)
        if len(self.calls) == 1:
            self.hanging = asyncio.get_running_loop().create_future()
            await self.hanging
        return pj.message(
            500, conversation_id, fields["body"], client_id=client_id, direction="out"
        )


@pytest.fixture
async def parts(tmp_path):
    store = Store(tmp_path / "cache.sqlite3")
    await store.replace_snapshot(pj.snapshot([pj.ticket(100, 10)], event_seq=1), reset=False)
    api = DeadFirstApi()
    sync = Sync(store, api)
    outbox = Outbox(store, api, sync, backoff=Backoff(base=0.01, cap=0.02))
    yield store, sync, api, outbox
    await outbox.stop()
    await api.aclose()
    store.close()


async def test_a_request_in_flight_is_abandoned_and_sent_again_on_reconnection(parts):
    store, sync, api, outbox = parts
    echo = await outbox.send(10, "Arrivo subito")
    await wait_until(lambda: api.hanging is not None, 2)
    sync.connection_state_changed.emit(ConnectionState.CONNECTED)  # the first connection
    await asyncio.sleep(0.05)
    assert api.calls == [echo.client_id]  # a fresh connection is no sign of a dead request
    sync.connection_state_changed.emit(ConnectionState.RECONNECTING)
    sync.connection_state_changed.emit(ConnectionState.CONNECTED)
    await wait_until(lambda: store.outbox_items() == [], 2)
    assert api.calls == [echo.client_id, echo.client_id]  # the same send, once more
    assert [m.id for m in store.messages_page(10) if m.client_id == echo.client_id] == [500]
    assert api.hanging is not None
    assert not api.hanging.cancelled()  # left to end by itself, not cancelled
    await outbox.stop()  # ...until the outbox stops
    assert api.hanging.cancelled()

"""Where the thread model's older pages come from: the local cache first, then the server."""

from __future__ import annotations

from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.models.thread import HistoryPage


class SyncHistory:
    """The thread model's history source: the cache first, then the server.

    Once a conversation's newest page was fetched (``synced``), its cached messages are
    contiguous back to the oldest one cached (the event stream resumes without gaps and a
    ``reset`` empties the cache): a page found there whole, or one that reaches the start of
    the conversation, needs no request. Otherwise ``Sync.load_older`` fills the cache and the
    page is read back from the store.
    """

    def __init__(self, store: Store, sync: Sync) -> None:
        self._store = store
        self._sync = sync

    async def older_messages(
        self, conversation_id: int, before_id: int | None, limit: int
    ) -> HistoryPage:
        if before_id is not None:
            synced, has_more = self._store.history_state(conversation_id)
            if synced:
                cached = self._store.messages_page(conversation_id, before_id, limit)
                if len(cached) >= limit or not has_more:
                    return HistoryPage(tuple(cached), has_more or len(cached) >= limit)
        has_more = await self._sync.load_older(conversation_id, before_id)
        page = self._store.messages_page(conversation_id, before_id, limit)
        return HistoryPage(tuple(m for m in page if m.id > 0), has_more)

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
        synced, has_more = self._store.history_state(conversation_id)
        if synced:
            cached = self._store.messages_page(conversation_id, before_id, limit)
            confirmed = sum(1 for m in cached if m.id > 0)  # the newest page has echoes too
            newest = before_id is None and confirmed > 0
            if confirmed >= limit or not has_more or newest:
                return HistoryPage(tuple(cached), has_more or confirmed >= limit)
        has_more = await self._sync.load_older(conversation_id, before_id)
        page = self._store.messages_page(conversation_id, before_id, limit)
        return HistoryPage(tuple(m for m in page if m.id > 0), has_more)

    async def newer_messages(self, conversation_id: int, after_id: int, limit: int) -> HistoryPage:
        """From the cache once the newest page is in (then it holds every message after a
        cached one: the event stream keeps it up to date); the last page ends with the local
        echoes."""
        await self._sync.ensure_history(conversation_id)
        page, has_more = self._store.messages_after(conversation_id, after_id, limit)
        return HistoryPage(tuple(page), has_more)

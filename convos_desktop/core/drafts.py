"""Per-conversation drafts (text, reply target, note mode), saved as typed and after restarts.

:meth:`Drafts.set` keeps the newest draft in memory at once and writes it to the store after
a quiet period (about 300 ms, a loop timer: it works under qasync and plain asyncio);
:meth:`Drafts.flush` writes everything still waiting, and :meth:`Drafts.flush_blocking` does
so without a running loop (at quit).
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from convos_desktop.core.store import Store
from convos_desktop.core.types import Draft

log = logging.getLogger("convos.drafts")

SAVE_DELAY_SECONDS = 0.3


class Drafts(QObject):
    """The drafts of one profile; emits ``changed(conversation_id)`` when one is saved."""

    changed = Signal(int)

    def __init__(self, store: Store, *, delay: float = SAVE_DELAY_SECONDS) -> None:
        super().__init__()
        self._store = store
        self._delay = delay
        self._unsaved: dict[int, Draft] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}

    def get(self, conversation_id: int) -> Draft | None:
        """The draft of a conversation (the unsaved one if it is newer than the store's)."""
        draft = self._unsaved.get(conversation_id) or self._store.draft(conversation_id)
        if draft is None or (not draft.text and draft.reply_to is None):
            return None
        return draft

    def conversation_ids(self) -> set[int]:
        """Conversations with a non-empty draft."""
        ids = self._store.draft_conversation_ids()
        for conversation_id, draft in self._unsaved.items():
            if draft.text or draft.reply_to is not None:
                ids.add(conversation_id)
            else:
                ids.discard(conversation_id)
        return ids

    def set(self, draft: Draft) -> None:
        """Remember ``draft`` now; write it after the debounce delay."""
        self._unsaved[draft.conversation_id] = draft
        timer = self._timers.pop(draft.conversation_id, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._timers[draft.conversation_id] = loop.call_later(
            self._delay, lambda: loop.create_task(self._save(draft.conversation_id))
        )

    def clear(self, conversation_id: int) -> None:
        """Forget a conversation's draft (after it was sent)."""
        self.set(Draft(conversation_id, "", None, False))

    async def flush(self) -> None:
        """Write every waiting draft now."""
        for conversation_id in list(self._unsaved):
            await self._save(conversation_id)

    def flush_blocking(self) -> None:
        """Write every waiting draft, waiting in this thread (at quit, loop stopped)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        drafts, self._unsaved = list(self._unsaved.values()), {}
        if drafts:
            self._store.save_drafts_blocking(drafts)
            log.debug("%d drafts written at quit", len(drafts))

    async def _save(self, conversation_id: int) -> None:
        timer = self._timers.pop(conversation_id, None)
        if timer is not None:
            timer.cancel()
        draft = self._unsaved.get(conversation_id)
        if draft is None:
            return
        await self._store.save_draft(draft)
        if self._unsaved.get(conversation_id) is draft:
            del self._unsaved[conversation_id]
        self.changed.emit(conversation_id)

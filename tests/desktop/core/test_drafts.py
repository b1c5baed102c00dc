"""Drafts: debounced saving, restore after a restart, flush at quit."""

import asyncio

from convos_desktop.core.drafts import Drafts
from convos_desktop.core.store import Store
from convos_desktop.core.types import Draft


async def test_typing_is_saved_once_after_a_quiet_period(tmp_path):
    store = Store(tmp_path / "cache.sqlite3")
    drafts = Drafts(store, delay=0.05)
    saved: list[int] = []
    drafts.changed.connect(saved.append)
    for text in ("C", "Ci", "Cia", "Ciao"):
        drafts.set(Draft(10, text, None))
    assert drafts.get(10) == Draft(10, "Ciao", None)
    assert store.draft(10) is None
    await asyncio.sleep(0.2)
    assert store.draft(10) == Draft(10, "Ciao", None)
    assert saved == [10]
    store.close()


async def test_draft_with_reply_target_and_note_mode_survives_a_restart(tmp_path):
    path = tmp_path / "cache.sqlite3"
    store = Store(path)
    drafts = Drafts(store)
    drafts.set(Draft(10, "Nota interna", reply_to=7, is_note=True))
    drafts.flush_blocking()  # what the app does at quit
    store.close()
    reopened = Store(path)
    restored = Drafts(reopened)
    assert restored.get(10) == Draft(10, "Nota interna", reply_to=7, is_note=True)
    assert restored.conversation_ids() == {10}
    reopened.close()


async def test_clearing_removes_the_draft(tmp_path):
    store = Store(tmp_path / "cache.sqlite3")
    drafts = Drafts(store)
    drafts.set(Draft(10, "Ciao", None))
    await drafts.flush()
    drafts.clear(10)
    assert drafts.get(10) is None
    assert drafts.conversation_ids() == set()
    await drafts.flush()
    assert store.draft(10) is None
    store.close()

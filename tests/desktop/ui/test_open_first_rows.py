"""Opening a long conversation in the main window: the chat lays out and paints the rows that
fill it first (issue 16), the rest of the first page follows on idle passes and is there when
the agent scrolls up; what the chat shows is the same."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from PySide6.QtCore import QSize

from benchmarks.client_harness import BIG_CONVERSATION, fill_cache, offline_context
from convos_desktop.models.thread import PAGE_SIZE
from convos_desktop.ui.shell.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


async def test_a_long_conversation_opens_with_the_rows_that_fill_the_chat(
    qtbot, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite3"
    await fill_cache(cache, tickets=20, thread_messages=300)
    context = offline_context(tmp_path, cache)
    window = MainWindow(context)
    window.resize(QSize(1280, 800))
    window.show()
    context.sync.emit_cached()
    await context.sync.flush()
    workspace = window.workspace
    chat, messages, delegate = workspace.chat, workspace.messages, workspace.pane.delegate
    at_paint: list[tuple[int, int, int]] = []
    chat.painted.connect(
        lambda: at_paint.append(
            (delegate.layouts_computed, messages.rowCount(), delegate.picture_pixmap_bytes())
        )
    )
    assert workspace.select_ticket(BIG_CONVERSATION)
    await asyncio.sleep(0.1)
    layouts, rows, picture_bytes = at_paint[0]
    assert rows < PAGE_SIZE  # not the whole first page
    assert layouts == rows  # only the rows shown were laid out before the first paint
    assert picture_bytes == 0  # painted straight: no pictures made for the first paint
    newest = context.store.messages_page(BIG_CONVERSATION, limit=PAGE_SIZE)
    assert messages.message_at(rows - 1) == max(newest, key=lambda m: (m.created_at, m.id))
    assert chat.is_at_bottom()

    chat.viewport().repaint()  # painted again: the rows get their pictures
    assert delegate.picture_pixmap_bytes() > 0
    bar = chat.verticalScrollBar()
    bar.setValue(0)  # the top of the rows shown: the rest of the page goes in at once
    await asyncio.sleep(0.05)
    shown = {messages.message_at(row).id for row in range(messages.rowCount())}
    assert {m.id for m in newest} <= shown

    window.hide()
    await workspace.shutdown()
    await context.drafts.flush()
    await context.sync.flush()
    context.store.close()
    await context.api.aclose()
    window.deleteLater()
    await asyncio.sleep(0)
    gc.collect()

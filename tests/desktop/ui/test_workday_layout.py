"""Issue 10 (item 7): at 1280x800 and 1366x768 every pane stays usable, reply banner open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from convos_desktop.ui.shell.main_window import MainWindow
from tests.desktop.ui.workday import (
    LONG_CONTACT,
    LONG_QUOTE,
    close_window,
    populate,
    quiet,
    window_context,
)
from tests.fakes import FakeClock

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
async def window(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[MainWindow]:
    context = window_context(tmp_path, FakeClock())
    main = MainWindow(context)
    main.show()
    populate(context, main)
    await quiet()
    yield main
    await close_window(context, main)


async def settle(width: int, height: int, window: MainWindow) -> None:
    window.resize(width, height)
    await asyncio.sleep(0.1)
    window.resize(width, height)
    await asyncio.sleep(0.1)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1366, 768)])
async def test_a_reply_banner_does_not_squeeze_the_ticket_list(
    window: MainWindow, width: int, height: int, tmp_path: Path
) -> None:
    space = window.workspace
    space.composer.set_reply_to(LONG_QUOTE)
    await settle(width, height, window)
    assert window.size().width() == width
    list_width, chat_width = space.splitter.sizes()
    assert list_width >= 250  # a ticket row stays readable
    assert chat_width >= 420
    # the banner elides the long name and quote instead of widening the chat pane
    assert LONG_CONTACT in space.composer.reply_sender.full_text()
    assert space.composer.reply_sender.width() < chat_width
    assert space.right.minimumSizeHint().width() <= chat_width
    assert window.grab().save(str(tmp_path / f"workday_{width}.png"))


async def test_the_chat_header_keeps_the_name_and_the_assignee(window: MainWindow) -> None:
    await settle(1280, 800, window)
    header = window.workspace.header
    assert header.title.width() >= 220  # the name is not cut to a few letters
    assert header.title.full_text() == LONG_CONTACT
    assert not header.buttons_beside_title()  # the buttons moved to their own row
    assert "Bartolomeo Massimiliano Fontanarosa" in header.subtitle.text()  # not elided away
    for button in header.buttons.values():
        if button.isVisible():
            assert button.width() >= button.sizeHint().width()  # labels whole
    await settle(1920, 1080, window)
    assert header.buttons_beside_title()
    assert not header.title.is_elided()

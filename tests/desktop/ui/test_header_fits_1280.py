"""Issue 15 (pop-out slice): the main window fits 1280 pixels in Italian and English with the
chat header at its fullest (an admin on a colleague's ticket: take over, Unassign, Finalize,
Snooze, Labels, Open in a new window); on a narrow chat pane the less-used actions go into
the "⋯" menu and every action keeps its key. Screenshots at 1280x800 (``CONVOS_SHOTS_DIR``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from convos_desktop.core.types import Label
from convos_desktop.models.conversation_history import ConversationColumn
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.paged_table import moment_text
from convos_desktop.ui.screens.conversations_screen import CONTACT_MAX, MESSAGE_COLUMN_MIN
from convos_desktop.ui.screens.history_filters import WIDEST_MOMENT
from convos_desktop.ui.shell.main_window import MainWindow
from convos_desktop.ui.workspace.ticket_actions import SHORTCUTS, TicketAction
from tests.desktop.ui.test_product_window import install_italian, shots_folder
from tests.desktop.ui.workday import ME, OTHER, close_window, populate, window_context
from tests.fakes import FakeClock

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

FULL = [TicketAction.ASSIGN, TicketAction.UNASSIGN, TicketAction.CLOSE, TicketAction.SNOOZE]


@pytest.mark.parametrize("language", ["en", "it"])
async def test_the_full_header_fits_a_1280_window(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: str
) -> None:
    translators = install_italian(qapp) if language == "it" else []
    context = window_context(tmp_path, FakeClock())
    window = MainWindow(context)
    try:
        window.show()
        populate(context, window)  # ticket 1 is held by a colleague
        admin = dataclasses.replace(ME, role="admin")
        context.directory.set_me(admin)
        context.directory.set_agents([admin, OTHER])
        context.directory.set_labels([Label(1, "VIP", "#d9534f"), Label(2, "Rimborso", "#f0ad4e")])
        window.workspace.select_ticket(1)
        header = window.workspace.header
        assert header.visible_actions() == FULL
        assert not header.labels_button.isHidden()
        assert not header.popout_button.isHidden()  # Open in a new window
        assert window.minimumSizeHint().width() <= 1280
        window.resize(1280, 800)
        await asyncio.sleep(0.1)
        assert window.width() == 1280
        for action in FULL:  # a button, or an entry of the "⋯" menu; the key always
            key = header.actions_by_kind[action]
            assert key.isEnabled()
            assert key.shortcut().toString() == SHORTCUTS[action]
            assert header.buttons[action].isVisible() or key in header.row.overflowed()
        folder = shots_folder(tmp_path)
        assert window.grab().save(str(folder / f"header_full_{language}_1280x800.png"))
        # the list widened: the chat pane is narrow, the less-used actions overflow
        space = window.workspace
        total = sum(space.splitter.sizes())
        space.splitter.setSizes([total - 380, 380])
        await asyncio.sleep(0.1)
        overflowed = header.row.overflowed()
        assert header.actions_by_kind[TicketAction.UNASSIGN] in overflowed
        assert header.buttons[TicketAction.CLOSE].isVisible()
        assert header.row.more.isVisible()
        assert header.row.width() <= header.width()
        assert window.grab().save(str(folder / f"header_narrow_{language}_1280x800.png"))
    finally:
        await context.live.stop()  # its heartbeat task would keep quiet() waiting
        await close_window(context, window)
        for translator in translators:
            qapp.removeTranslator(translator)


@pytest.mark.parametrize("language", ["en", "it"])
async def test_the_conversations_table_fits_beside_its_thread_at_1280(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: str
) -> None:
    """Conversazioni's six columns fit beside the thread pane on a 1280 window, its dates
    whole in the language's locale (en_GB writes the year in four digits), with no
    horizontal scroll bar (the last message's preview narrows and elides, its title too);
    on a 1920 window the preview and the contact's name get the room; a width the agent
    gives the contact's column stays."""
    translators = install_italian(qapp) if language == "it" else []
    italian = (QLocale.Language.Italian, QLocale.Country.Italy)
    QLocale.setDefault(QLocale(*italian) if language == "it" else QLocale("en_GB"))
    context = window_context(tmp_path, FakeClock())
    window = MainWindow(context)
    try:
        window.resize(1280, 800)
        window.show()
        window.navigate(NavTarget.CONVERSATIONS)
        screen = window.conversations
        table = screen.table
        await asyncio.sleep(0.1)
        thread_width = screen.splitter.sizes()[1]
        assert thread_width >= 320  # a conversation stays readable beside the table
        assert table.horizontalScrollBar().maximum() == 0
        message = table.columnWidth(ConversationColumn.LAST_MESSAGE)
        assert message >= MESSAGE_COLUMN_MIN
        assert table.horizontalHeader().textElideMode() == Qt.TextElideMode.ElideRight
        moment = table.fontMetrics().horizontalAdvance(moment_text(WIDEST_MOMENT))  # whole
        for column in (ConversationColumn.STARTED, ConversationColumn.LAST_ACTIVITY):
            assert table.columnWidth(column) >= moment + 6
        folder = shots_folder(tmp_path)
        assert window.grab().save(str(folder / f"conversations_{language}_1280x800.png"))
        window.resize(1920, 1080)
        await asyncio.sleep(0.1)
        assert table.horizontalScrollBar().maximum() == 0
        assert table.columnWidth(ConversationColumn.LAST_MESSAGE) >= 400
        assert table.columnWidth(ConversationColumn.CONTACT) == CONTACT_MAX  # names widen too
        table.horizontalHeader().resizeSection(ConversationColumn.CONTACT, 180)  # the agent's
        window.resize(1280, 800)
        await asyncio.sleep(0.1)
        assert table.columnWidth(ConversationColumn.CONTACT) == 180
    finally:
        await close_window(context, window)
        for translator in translators:
            qapp.removeTranslator(translator)

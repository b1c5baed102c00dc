"""The new ticket, management and history screens are built when first opened, once, and
only the built ones are shut down at quit (issue 16: memory)."""

from __future__ import annotations

from PySide6.QtGui import QImage, QPixmap, QPixmapCache

from convos_desktop.app import SCREENS_WITH_REQUESTS
from convos_desktop.core.types import Inbox
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.screens.conversations_screen import ConversationsScreen
from convos_desktop.ui.screens.mentions_screen import MentionsScreen
from convos_desktop.ui.screens.shortcuts_screen import ShortcutsScreen
from convos_desktop.ui.shell.main_window import MainWindow

ON_DEMAND = (
    NavTarget.NEW_TICKET,
    NavTarget.SHORTCUTS,
    NavTarget.INBOXES,
    NavTarget.CONVERSATIONS,
    NavTarget.TICKETS,
    NavTarget.PERFORMANCE,
    NavTarget.MENTIONS,
)


def test_screens_are_built_when_first_opened(window: MainWindow) -> None:
    assert not window.findChildren(ConversationsScreen)
    assert window.built_screens() == []
    stacked = window.stack.count()
    window.navigate(NavTarget.SHORTCUTS)  # shown: built (the others load from the server)
    shown = window.stack.currentWidget()
    assert isinstance(shown, ShortcutsScreen)
    assert window.shortcuts is shown  # built once
    assert window.stack.count() == stacked + 1
    assert isinstance(window.mentions, MentionsScreen)  # asked for: built, not shown
    assert window.stack.currentWidget() is shown
    built = [window.screen_of(target) for target in ON_DEMAND]
    assert [window.screen_of(target) for target in ON_DEMAND] == built
    assert window.stack.count() == stacked + len(ON_DEMAND)
    assert len(window.built_screens()) == len(ON_DEMAND)
    with_requests = window.built_screens(SCREENS_WITH_REQUESTS)  # what quitting shuts down
    expected = [window.screen_of(t) for t in ON_DEMAND if t in SCREENS_WITH_REQUESTS]
    assert len(with_requests) == len(expected) == 5
    assert {id(screen) for screen in with_requests} == {id(screen) for screen in expected}


def test_quit_shuts_down_only_the_built_screens_with_requests(window: MainWindow) -> None:
    assert window.built_screens(SCREENS_WITH_REQUESTS) == []
    window.navigate(NavTarget.SHORTCUTS)  # no requests to end at quit
    assert window.built_screens(SCREENS_WITH_REQUESTS) == []
    assert isinstance(window.mentions, MentionsScreen)
    assert window.built_screens(SCREENS_WITH_REQUESTS) == [window.mentions]


def test_the_new_ticket_screen_built_late_has_the_window_state(window: MainWindow) -> None:
    context = window._context
    inbox = Inbox(7, "Assistenza", "web", None, "manual", None)
    context.directory.set_inboxes([inbox])  # what the window's directory change does
    window.set_new_ticket_language("it")
    screen = window.new_ticket
    assert screen.inbox.count() > 0
    assert [screen.inbox.itemData(i) for i in range(screen.inbox.count())] == [
        inbox.id for inbox in context.directory.inboxes()
    ]
    assert screen._effective is context.presence.effective
    assert screen.composer._language == "it"


def test_the_heap_is_trimmed_once_a_scroll_or_an_open_settles(window: MainWindow, qtbot) -> None:
    trims: list[None] = []
    window.memory._trim = lambda: trims.append(None)  # glibc's trim, counted
    window.memory._settle.setInterval(20)
    bar = window.workspace.chat.verticalScrollBar()
    bar.setRange(0, 1000)
    for value in (100, 200, 300):
        bar.setValue(value)
    qtbot.waitUntil(lambda: trims == [None], timeout=2000)
    window.workspace.ticketOpened.emit(1)
    qtbot.waitUntil(lambda: len(trims) == 2, timeout=2000)


def test_an_idle_window_drops_what_no_open_conversation_shows(window: MainWindow, qtbot) -> None:
    context = window._context
    image = QImage(40, 40, QImage.Format.Format_ARGB32)
    context.thumbnails._keep(7, image)  # a photo of a conversation no longer open
    QPixmapCache.insert("style-pixmap", QPixmap(40, 40))
    calls: list[str] = []
    window.memory._trim = lambda: calls.append("trim")
    window.memory._settle.setInterval(60_000)
    window.memory._idle.setInterval(30)
    window.workspace.ticketOpened.emit(1)
    qtbot.wait(10)
    assert context.thumbnails.cached_count == 1  # not idle yet
    qtbot.waitUntil(lambda: calls == ["trim"], timeout=2000)
    assert context.thumbnails.cached_count == 0
    assert QPixmapCache.find("style-pixmap") is None
    assert context.store.kv_get("absent") is None  # the GUI's connection reads on


async def test_quitting_stops_the_idle_release_before_the_cache_closes(window: MainWindow) -> None:
    window.workspace.ticketOpened.emit(1)
    assert window.memory._idle.isActive()
    await window.stop_memory_work()
    assert not window.memory._idle.isActive()
    assert not window.memory._settle.isActive()


async def test_a_settle_hands_the_caches_page_caches_back_then_trims(
    window: MainWindow, monkeypatch
) -> None:
    calls: list[str] = []
    store = window._context.store
    shrink = store.shrink_memory

    async def counted() -> None:
        calls.append("shrink")
        await shrink()

    monkeypatch.setattr(store, "shrink_memory", counted)
    window.memory._trim = lambda: calls.append("trim")
    window.memory._trim_settled()  # what the settle timer runs once the app is at rest
    await window._store_shrinks.wait_idle()
    assert calls == ["trim", "shrink", "trim"]  # the writer's pages trimmed once given back
    assert store.kv_get("absent") is None  # the GUI's connection reads on


async def test_a_settle_keeps_the_open_chats_layouts_within_a_view_of_the_screen(
    window: MainWindow, monkeypatch
) -> None:
    pane = window.workspace.pane
    kept: list[tuple[set[str], set[str]]] = []
    monkeypatch.setattr(
        pane.delegate, "keep_layouts_near_screen", lambda rows, near: kept.append((rows, near))
    )
    window.memory._trim = lambda: None
    window.memory._trim_settled()  # what the settle timer runs once the app is at rest
    await window._store_shrinks.wait_idle()
    assert kept == [(pane.messages.row_keys(), pane.chat.row_keys_on_screen(margin_views=1))]


async def test_a_settle_drops_every_picture_of_the_open_chats_rows(
    window: MainWindow, monkeypatch
) -> None:
    pane = window.workspace.pane
    dropped: list[set[str]] = []
    monkeypatch.setattr(pane.delegate, "drop_pictures_at_rest", dropped.append)
    window.memory._trim = lambda: None
    window.memory._trim_settled()  # what the settle timer runs once the app is at rest
    await window._store_shrinks.wait_idle()
    assert dropped == [pane.messages.row_keys()]  # the rows on screen too

"""The management and history screens are built when first opened, once, and only the built
ones are shut down at quit (issue 16: memory)."""

from __future__ import annotations

from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.screens.conversations_screen import ConversationsScreen
from convos_desktop.ui.screens.mentions_screen import MentionsScreen
from convos_desktop.ui.screens.shortcuts_screen import ShortcutsScreen
from convos_desktop.ui.shell.main_window import MainWindow

ON_DEMAND = (
    NavTarget.SHORTCUTS,
    NavTarget.INBOXES,
    NavTarget.CONVERSATIONS,
    NavTarget.TICKETS,
    NavTarget.PERFORMANCE,
    NavTarget.MENTIONS,
)


def test_screens_are_built_when_first_opened(window: MainWindow) -> None:
    assert not window.findChildren(ConversationsScreen)
    assert [type(s).__name__ for s in window.built_screens()] == ["NewTicketScreen"]
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
    assert len(window.built_screens()) == 1 + len(ON_DEMAND)

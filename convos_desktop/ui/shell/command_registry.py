"""Every action of the app, collected from the widgets, for the palette and the cheat sheet.

Nothing is registered by hand: :meth:`CommandRegistry.actions` walks the window (and any
other root given with :meth:`CommandRegistry.add_root`, e.g. the tray's menu) and takes

- every ``QAction`` with a text (menus, window and toolbar actions, dock toggles),
- every visible button with a shortcut (e.g. the chat header's ticket actions),
- every ``QShortcut`` with a ``whatsThis`` (a described key of a screen),

so an action added later by any feature appears without changing the palette. An object
opts out with the dynamic property ``paletteHidden`` set to ``True``; disabled ones are left
out (they could not run). Screens come from the navigation targets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QToolButton, QWidget

from convos_desktop.models.commands import Command, CommandKind
from convos_desktop.models.navigation import NavTarget, target_label

HIDDEN_PROPERTY = "paletteHidden"


def key_text(sequence: QKeySequence) -> str:
    """A shortcut as the platform writes it ("Ctrl+K", "⌘K"); ``""`` for none."""
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


def clean_title(text: str) -> str:
    """A menu text without its mnemonic ampersand ("&&" stays one "&") and final ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _hidden(obj: QObject) -> bool:
    return bool(obj.property(HIDDEN_PROPERTY))


class CommandRegistry(QObject):
    """See the module docstring; ``navigate`` opens a navigation target."""

    def __init__(self, window: QWidget, navigate: Callable[[NavTarget], None]) -> None:
        super().__init__(window)
        self._roots: list[QObject] = [window]
        self._navigate = navigate

    def add_root(self, root: QObject) -> None:
        """Collect the actions under ``root`` too (objects outside the window's tree)."""
        self._roots.append(root)

    def _objects(self) -> Iterable[QObject]:
        seen: set[int] = set()
        for root in self._roots:
            found: list[QObject] = []
            if isinstance(root, QWidget):
                found.extend(root.actions())
            found.extend(root.findChildren(QObject))
            for obj in found:
                if id(obj) not in seen:
                    seen.add(id(obj))
                    yield obj

    def actions(self) -> list[Command]:
        """The enabled actions, buttons and described shortcuts, by title (no duplicates)."""
        commands: dict[tuple[str, str], Command] = {}
        for obj in self._objects():
            command = self._command_of(obj)
            if command is not None:
                commands.setdefault((command.title.casefold(), command.shortcut), command)
        # The same title with and without a key (a dock's own toggle and the header's): keep
        # the one with the key.
        keyed = {title for title, shortcut in commands if shortcut}
        unique = [c for (t, k), c in commands.items() if k or t not in keyed]
        return sorted(unique, key=lambda c: c.title.casefold())

    def _command_of(self, obj: QObject) -> Command | None:
        if _hidden(obj):
            return None
        if isinstance(obj, QAction):
            if obj.isSeparator() or obj.menu() is not None or not obj.isEnabled():
                return None
            title = clean_title(obj.text())
            if not title:
                return None
            return Command(
                CommandKind.ACTION,
                title,
                obj.trigger,
                detail="" if clean_title(obj.toolTip()) == title else clean_title(obj.toolTip()),
                shortcut=key_text(obj.shortcut()),
            )
        if isinstance(obj, QAbstractButton):
            if obj.shortcut().isEmpty() or not obj.isVisibleTo(obj.window()):
                return None
            if obj.window() not in self._roots:  # a dialog's own keys (mnemonics) stay there
                return None
            if not obj.isEnabled() or (isinstance(obj, QToolButton) and obj.defaultAction()):
                return None
            title = clean_title(obj.text()) or clean_title(obj.accessibleName())
            if not title or not any(c.isalnum() for c in title):
                title = clean_title(obj.toolTip().split("(")[0])
            if not title:
                return None
            return Command(CommandKind.ACTION, title, obj.click, shortcut=key_text(obj.shortcut()))
        if isinstance(obj, QShortcut):
            title = obj.whatsThis().strip()
            if not title or not obj.isEnabled():
                return None
            return Command(
                CommandKind.ACTION, title, obj.activated.emit, shortcut=key_text(obj.key())
            )
        return None

    def screens(self) -> list[Command]:
        """Every screen of the navigation tree."""
        return [
            Command(
                CommandKind.SCREEN,
                target_label(target),
                lambda t=target: self._navigate(t),  # type: ignore[misc]
            )
            for target in NavTarget
        ]

    def shortcuts(self) -> list[tuple[str, str]]:
        """``(title, keys)`` of every collected action that has a shortcut, by title."""
        return [(c.title, c.shortcut) for c in self.actions() if c.shortcut]

"""Show or hide the contact card: a checkable action with a shortcut, in the header bar.

A closed dock could only be found again by right-clicking the header; this action (its text
is the dock's title, its shortcut ``Ctrl+Shift+I``) brings it back. It remembers what the
agent chose: screens without a conversation hide the card, ticket screens show it again only
if the agent had not closed it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

SHORTCUT = "Ctrl+Shift+I"


class DockToggle(QAction):
    """Toggles ``dock``; ``set_available`` says whether the current screen has a card."""

    def __init__(self, dock: QDockWidget, parent: QObject | None = None) -> None:
        super().__init__(dock.windowTitle(), parent)
        self._dock = dock
        self._available = True
        self._wanted = True
        self.setCheckable(True)
        self.setChecked(True)
        self.setShortcut(QKeySequence(SHORTCUT))
        native = QKeySequence(SHORTCUT).toString(QKeySequence.SequenceFormat.NativeText)
        self.setToolTip(self.tr("Show or hide the contact card (%1)").replace("%1", native))
        self.toggled.connect(self._on_toggled)
        dock.visibilityChanged.connect(self._on_dock_visibility)

    def is_wanted(self) -> bool:
        """Whether the agent wants the card shown (on screens that have one)."""
        return self._wanted

    def set_available(self, available: bool) -> None:
        """Whether the current screen has a contact card to show."""
        self._available = available
        self.setEnabled(available)
        self._dock.setVisible(available and self._wanted)

    def _on_toggled(self, checked: bool) -> None:
        self._wanted = checked
        if self._available:
            self._dock.setVisible(checked)

    def _on_dock_visibility(self, _visible: bool) -> None:
        # The dock's own close button changes the choice too. ``isHidden`` (hidden on
        # purpose), not the visibility: a window going to the tray hides its docks as well.
        if self._available:
            self._wanted = not self._dock.isHidden()
            self.setChecked(self._wanted)

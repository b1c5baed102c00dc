"""The app menu: Settings… (Ctrl+,) and About, from a header button and the tray menu.

F1 opens the shortcut cheat sheet (ui/shell/commands.py); About has no key of its own.

Opens the dialogs modeless, one of each at a time, and applies a saved settings change to
the running window: the header's bell follows the sound setting (volume, tray messages and
close-to-tray are read where they are used, so they apply at once too).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMargins, QObject, QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from convos_desktop import preferences as prefs
from convos_desktop.logs import log_folder
from convos_desktop.ui.shell.tray import Tray
from convos_desktop.ui.theme import set_font_parts
from convos_desktop.ui.widgets.menu_button import PaddedMenuButton

# The dialogs are imported when first opened: most sessions never open them (issue 16).
if TYPE_CHECKING:
    from convos_desktop.ui.shell.about_dialog import AboutDialog
    from convos_desktop.ui.shell.settings_dialog import SettingsDialog


class AppMenu(QObject):
    """Settings and About for ``window``; ``button`` goes in the header."""

    def __init__(
        self,
        window: QWidget,
        settings: QSettings,
        *,
        play_sound: Callable[[], object],
        on_saved: Callable[[], None],
        logs: Path | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._play_sound = play_sound
        self._on_saved = on_saved
        self._logs = logs or log_folder()
        self.settings_dialog: SettingsDialog | None = None
        self.about_dialog: AboutDialog | None = None
        self.settings_action = QAction(self.tr("Settings…"), window)
        self.settings_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Preferences))
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.about_action = QAction(self.tr("About Convos Desktop"), window)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.open_about)
        window.addAction(self.settings_action)
        window.addAction(self.about_action)
        self.menu = QMenu(window)
        self.menu.addAction(self.settings_action)
        self.menu.addAction(self.about_action)
        self.button = PaddedMenuButton(QMargins(10, 2, 10, 2), window)
        self.button.setObjectName("appMenuButton")
        set_font_parts(self.button, pixel_size=17)
        self.button.setText("⚙")
        self.button.setAutoRaise(True)
        self.button.setToolTip(self.tr("Settings and information"))
        self.button.setAccessibleName(self.tr("Settings and information"))
        self.button.setMenu(self.menu)

    def add_to_tray(self, tray: Tray) -> None:
        """Settings and About in the tray menu too (above Quit); tray messages obey the
        notifications setting."""
        tray.menu.insertAction(tray.quit_action, self.settings_action)
        tray.menu.insertAction(tray.quit_action, self.about_action)
        tray.menu.insertSeparator(tray.quit_action)
        tray.messages_enabled = lambda: prefs.messages_enabled(self._settings)

    def open_settings(self) -> SettingsDialog:
        """Show the settings (the open one is raised)."""
        if self.settings_dialog is None:
            from convos_desktop.ui.shell.settings_dialog import SettingsDialog

            dialog = SettingsDialog(self._settings, self._window, play_sound=self._play_sound)
            dialog.saved.connect(self._on_saved)
            dialog.finished.connect(self._forget_settings)
            self.settings_dialog = dialog
            dialog.open()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()
        return self.settings_dialog

    def open_about(self) -> AboutDialog:
        """Show the About box (the open one is raised)."""
        if self.about_dialog is None:
            from convos_desktop.ui.shell.about_dialog import AboutDialog

            dialog = AboutDialog(self._logs, self._window)
            dialog.finished.connect(self._forget_about)
            self.about_dialog = dialog
            dialog.open()
        self.about_dialog.raise_()
        self.about_dialog.activateWindow()
        return self.about_dialog

    def _forget_settings(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
            self.settings_dialog = None

    def _forget_about(self, _result: int) -> None:
        if self.about_dialog is not None:
            self.about_dialog.deleteLater()
            self.about_dialog = None

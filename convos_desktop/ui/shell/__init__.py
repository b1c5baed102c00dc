"""The window around the screens: the main window and its navigation, menus, header bar,
tray, notifications, sound and the app's dialogs."""

"""Widgets of Convos Desktop: main window, views, delegates, dialogs, docks."""

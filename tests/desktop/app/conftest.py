"""Fixtures of the lifecycle tests: a main window over a real cache, a fake clock and tray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from convos_desktop.core.api import ApiClient
from convos_desktop.core.drafts import Drafts
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.presence import PresenceDriver
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import Screen, Status
from convos_desktop.models.directory import Directory
from convos_desktop.ui.chat.thumbnails import ThumbnailCache
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import MainWindow
from tests.fakes import FakeClock

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform cannot size or raise top-level windows and says so: harmless."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support"))


class RecordingTrayIcon(QSystemTrayIcon):
    """A tray icon that records instead of talking to a tray host (offscreen has none)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str]] = []
        self.shown = False

    def show(self) -> None:  # type: ignore[override]
        self.shown = True

    def hide(self) -> None:  # type: ignore[override]
        self.shown = False

    def showMessage(self, title: str, text: str, *_args: object) -> None:  # type: ignore[override]
        self.messages.append((title, text))

    def current_icon(self) -> QIcon:
        return self.icon()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def context(tmp_path: Path, clock: FakeClock, qapp: QApplication) -> Iterator[ClientContext]:
    """A window's collaborators over a real cache file; nothing is started (no network)."""
    api = ApiClient("http://127.0.0.1:9")
    store = Store(tmp_path / "cache.sqlite3")
    sync = Sync(store, api)

    async def no_send(_status: Status, _screen: Screen) -> None:
        return None

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield ClientContext(
        api=api,
        store=store,
        sync=sync,
        outbox=Outbox(store, api, sync),
        drafts=Drafts(store),
        presence=PresenceDriver(no_send, clock=clock),
        directory=Directory(load_contact=store.contact),
        thumbnails=ThumbnailCache(api.file_bytes),
        settings=settings,
    )
    store.close()


@pytest.fixture
def window(context: ClientContext, qtbot) -> MainWindow:
    main = MainWindow(context)
    qtbot.addWidget(main)
    main.show()
    return main

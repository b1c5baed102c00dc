"""Fixtures of the shell widget tests: a qasync loop, the embedded demo server, screenshots."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QWidget

from convos_desktop.embedded_demo import DemoServer, start_demo_server

SHOTS_ENV = "CONVOS_SHOTS_DIR"  # a folder to keep the screenshots in; else pytest's tmp_path
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform cannot size or raise top-level windows and says so: harmless."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support"))


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return qasync.QEventLoop(app, already_running=False)


def pytest_asyncio_loop_factories(config: Any, item: pytest.Item) -> Mapping[str, Any] | None:
    """Async shell tests run on a qasync loop, as in the app, so Qt events flow while awaiting."""
    if HERE not in Path(item.path).parents:
        return None
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def keep_app_running(qapp: QApplication) -> Iterator[None]:
    """Closing the only window (a dialog) must not quit the app and stop the qasync loop."""
    previous = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(previous)


@pytest.fixture
async def demo_server(tmp_path: Path) -> AsyncIterator[DemoServer]:
    """The real demo server in a subprocess on a loopback port."""
    server = await start_demo_server(tmp_path / "demo")
    yield server
    await server.stop()


@pytest.fixture
def shoot(qapp: QApplication, tmp_path: Path) -> Callable[[QWidget, str], Path]:
    """Grab a widget into ``<tmp_path or $CONVOS_SHOTS_DIR>/u3_<name>.png`` (for a human)."""
    folder = Path(os.environ.get(SHOTS_ENV) or tmp_path / "shots")

    def grab(widget: QWidget, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        qapp.processEvents()
        path = folder / f"u3_{name}.png"
        assert widget.grab().save(str(path))
        return path

    return grab

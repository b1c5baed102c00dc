"""Fixtures of the composer/contact-dock widget tests: QSettings in tmp_path, screenshots."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

SHOTS_ENV = "CONVOS_SHOTS_DIR"  # a folder to keep the screenshots in; else pytest's tmp_path
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform cannot size or raise top-level windows and says so: harmless."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support"))


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """A QSettings backed by an ini file of this test only."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def shoot(qapp: QApplication, tmp_path: Path) -> Callable[[QWidget, str], Path]:
    """Grab a widget into ``<tmp_path or $CONVOS_SHOTS_DIR>/u2_<name>.png`` (for a human)."""
    folder = Path(os.environ.get(SHOTS_ENV) or tmp_path / "shots")

    def grab(widget: QWidget, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        qapp.processEvents()
        path = folder / f"u2_{name}.png"
        assert widget.grab().save(str(path))
        return path

    return grab

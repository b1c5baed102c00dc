"""Issue 10 (item 8): "Open" on a file no application opens says so and offers Save as."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from convos_desktop.ui.chat.open_failed import OpenFailedBox, open_local_file


def test_a_file_nothing_opens_is_said_and_can_be_saved(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    path = tmp_path / "preventivo.xyz"
    path.write_bytes(b"dati")
    saved: list[bool] = []
    # The offscreen platform has no desktop services: openUrl returns False, as it does on a
    # desktop with no application for the file.
    box = open_local_file(path, "preventivo.xyz", lambda: saved.append(True), parent)
    assert isinstance(box, OpenFailedBox)
    qtbot.waitUntil(box.isVisible)
    assert "preventivo.xyz" in box.text()
    assert box.save_button.text() == "Save as…"
    box.save_button.click()
    assert saved == [True]

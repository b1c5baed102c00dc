"""Tray icon states from resources/: normal, unread (badge), disconnected (grey)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from convos_desktop.ui.shell.tray import Tray, tray_icon_image
from tests.desktop.app.conftest import RecordingTrayIcon

CENTRE_TILE = (8, 32)  # left edge of the tile, beside the speech bubble


def is_blue(color: QColor) -> bool:
    return color.blue() > 150 and color.red() < 120


def test_connected_is_blue_disconnected_is_grey(qapp):
    connected = tray_icon_image(0).toImage().pixelColor(*CENTRE_TILE)
    disconnected = tray_icon_image(0, connected=False).toImage().pixelColor(*CENTRE_TILE)
    assert is_blue(connected)
    assert not is_blue(disconnected)
    assert abs(disconnected.red() - disconnected.blue()) < 40


def test_the_tray_follows_the_connection_and_keeps_its_badge(qapp):
    icon = RecordingTrayIcon()
    tray = Tray(icon)
    tray.set_unread(3)
    tray.set_connected(False)
    grey = icon.icon().pixmap(64, 64).toImage()
    assert not is_blue(grey.pixelColor(*CENTRE_TILE))
    assert grey.pixelColor(48, 4).red() > 200  # the badge is still there
    tray.set_connected(True)
    assert is_blue(icon.icon().pixmap(64, 64).toImage().pixelColor(*CENTRE_TILE))


def test_look_at_the_states(qapp, tmp_path):
    for name, image in {
        "normal": tray_icon_image(0),
        "unread": tray_icon_image(12),
        "disconnected": tray_icon_image(0, connected=False),
        "disconnected_unread": tray_icon_image(120, connected=False),
    }.items():
        assert image.save(str(tmp_path / f"tray_{name}.png"))

"""The agent's preferences in QSettings: keys and typed readers (no widgets).

Written by the settings dialog (``ui/shell/settings_dialog.py``), read where they apply: the sound
at each play, tray messages at each message, close-to-tray at each close (all at once), the
language at the next start (Qt widgets here do not retranslate live), the server address and
profile at the next sign-in, start-at-login by ``platform/autostart.py`` when saved.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

SERVER_KEY = "connection/server"
PROFILE_KEY = "connection/profile"
LANGUAGE_KEY = "ui/language"  # "" = the system's, "it", "en"
SOUND_KEY = "notifications/sound"  # the header's bell writes the same key
VOLUME_KEY = "notifications/volume"
MESSAGES_KEY = "notifications/messages"
START_AT_LOGIN_KEY = "system/startAtLogin"
CLOSE_TO_TRAY_KEY = "window/closeToTray"

DEFAULT_VOLUME = 70
LANGUAGES = ("", "it", "en")


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """A boolean preference (INI files give strings back; both are understood)."""
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def read_volume(settings: QSettings) -> int:
    """The sound volume 0-100 (70 when never set, clamped when edited by hand)."""
    value = settings.value(VOLUME_KEY, DEFAULT_VOLUME)
    try:
        volume = int(str(value))
    except ValueError:
        volume = DEFAULT_VOLUME
    return max(0, min(100, volume))


def saved_language(settings: QSettings) -> str | None:
    """The chosen language, ``None`` for the system's (or anything unknown)."""
    value = str(settings.value(LANGUAGE_KEY, "") or "")
    return value if value in LANGUAGES and value else None


def messages_enabled(settings: QSettings) -> bool:
    """Whether new work is announced with tray messages."""
    return read_bool(settings, MESSAGES_KEY, True)


def close_to_tray(settings: QSettings) -> bool:
    """Whether closing the window keeps Convos running in the tray."""
    return read_bool(settings, CLOSE_TO_TRAY_KEY, True)

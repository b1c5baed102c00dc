"""Start Convos at login, per OS, for the current user only.

- Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/convos-desktop.desktop``.
- Windows: the ``Convos Desktop`` value of ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run``.
- macOS: ``~/Library/LaunchAgents/com.convos.desktop.plist`` (RunAtLoad).

The command is the bundle's executable when frozen, else ``python -m convos_desktop``.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
from pathlib import Path

from PySide6.QtCore import QSettings

log = logging.getLogger("convos.platform")

ENTRY_NAME = "convos-desktop.desktop"
WINDOWS_RUN_KEY = r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run"
WINDOWS_VALUE = "Convos Desktop"
MAC_LABEL = "com.convos.desktop"


def launch_command() -> list[str]:
    """How this install is started."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "convos_desktop"]


def xdg_autostart_file() -> Path:
    """The per-user XDG autostart entry."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "autostart" / ENTRY_NAME


def mac_agent_file() -> Path:
    """The per-user launch agent."""
    return Path.home() / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"


def desktop_entry(command: list[str]) -> str:
    """The autostart ``.desktop`` text."""
    return (
        "[Desktop Entry]\nType=Application\nName=Convos Desktop\n"
        f"Exec={shlex.join(command)}\nIcon=convos-desktop\nTerminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def set_start_at_login(enabled: bool, platform: str = sys.platform) -> None:
    """Register or remove the login item of this OS (small writes, done when saved)."""
    command = launch_command()
    if platform == "win32":
        run = QSettings(WINDOWS_RUN_KEY, QSettings.Format.NativeFormat)
        if enabled:
            run.setValue(WINDOWS_VALUE, subprocess_line(command))
        else:
            run.remove(WINDOWS_VALUE)
        run.sync()
    elif platform == "darwin":
        import plistlib  # macOS only: it brings xml's parser, ~0.6 MiB (issue 16)

        _write_or_remove(
            mac_agent_file(),
            plistlib.dumps({"Label": MAC_LABEL, "ProgramArguments": command, "RunAtLoad": True})
            if enabled
            else None,
        )
    else:
        _write_or_remove(xdg_autostart_file(), desktop_entry(command).encode() if enabled else None)
    log.info("start at login %s", "on" if enabled else "off")


def is_registered(platform: str = sys.platform) -> bool:
    """Whether the login item exists."""
    if platform == "win32":
        return QSettings(WINDOWS_RUN_KEY, QSettings.Format.NativeFormat).contains(WINDOWS_VALUE)
    path = mac_agent_file() if platform == "darwin" else xdg_autostart_file()
    return path.is_file()


def subprocess_line(command: list[str]) -> str:
    """A Windows command line with each part quoted."""
    return " ".join(f'"{part}"' for part in command)


def _write_or_remove(path: Path, content: bytes | None) -> None:
    if content is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)

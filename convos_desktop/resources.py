"""Where the app's resource files are: the one place every resource path resolves through.

The files live in the repository's top-level ``resources/`` folder (icons, tray icons, the
notification sound, the translations; no style sheet: the look is the palette and the
widgets' own painting, ``ui.theme``). :func:`resources_root` finds it in
each way the app runs:

- a PyInstaller bundle: ``sys._MEIPASS/resources`` (``build_installer.spec`` puts it there);
- a source checkout or an editable install: ``<repo>/resources`` next to the package;
- an installed wheel: ``<prefix>/share/convos-desktop/resources`` (the wheel's data files);
- ``CONVOS_RESOURCES`` in the environment overrides all of them.

"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DISTRIBUTION = "convos-desktop"
MARKER = "convos-resources.txt"

ICON_NAMES = ("app", "tray-normal", "tray-unread", "tray-disconnected")
SOUND_NAME = "notify.wav"


class ResourcesNotFoundError(FileNotFoundError):
    """No folder with the app's resources (a broken install)."""


def candidate_roots() -> list[Path]:
    """The folders :func:`resources_root` tries, most specific first."""
    roots: list[Path] = []
    override = os.environ.get("CONVOS_RESOURCES")
    if override:
        roots.append(Path(override))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        roots.append(Path(bundle) / "resources")
    roots.append(PACKAGE_DIR.parent / "resources")
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        roots.append(Path(prefix) / "share" / DISTRIBUTION / "resources")
    return roots


def resources_root() -> Path:
    """The top-level ``resources/`` folder of this run (see the module docstring)."""
    for root in candidate_roots():
        if (root / MARKER).is_file():
            return root
    tried = ", ".join(str(r) for r in candidate_roots())
    raise ResourcesNotFoundError(f"no Convos resources folder (tried {tried})")


def translations_dir() -> Path:
    """The folder of the compiled ``*.qm`` catalogues (and their ``.ts`` sources)."""
    return resources_root() / "translations"


def icon_path(name: str, extension: str = "svg") -> Path:
    """``resources/icons/<name>.<extension>`` (``app``, ``tray-unread``, ...)."""
    return resources_root() / "icons" / f"{name}.{extension}"


def sound_path(name: str = SOUND_NAME) -> Path:
    """A sound of ``resources/sounds``."""
    return resources_root() / "sounds" / name

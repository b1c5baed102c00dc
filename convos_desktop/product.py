"""The product side of the command line: ``--version`` and ``--self-check``.

Kept apart from ``app.py`` (which only wires): the arguments an installed product needs on
top of the app's own.
"""

from __future__ import annotations

import argparse
import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion

from convos_desktop import __version__

APP_NAME = "Convos Desktop"


def version_text() -> str:
    """``Convos Desktop 0.1.0 (Qt 6.x, PySide6 6.x, Python 3.x, <OS>)``."""
    python = platform.python_version()
    frozen = ", bundle" if getattr(sys, "frozen", False) else ""
    return (
        f"{APP_NAME} {__version__} (Qt {qVersion()}, PySide6 {pyside_version}, "
        f"Python {python}, {platform.system()}{frozen})"
    )


def add_product_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--version`` and ``--self-check`` to the app's parser."""
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="load resources, translations, emoji data and a local cache, then exit (0 = ok)",
    )

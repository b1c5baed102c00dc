"""The product side of the command line: ``--version``, ``--self-check``, ``--profile`` and
a ticket to open (``123`` or ``convos://ticket/123``), and the single-instance hand-over.

Kept apart from ``app.py`` (which only wires): what an installed product needs on top of the
app's own arguments. A demo run (``--demo``) is never single-instance: each has its own
throwaway server.
"""

from __future__ import annotations

import argparse
import platform
import sys
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, QSettings, Qt, qVersion

from convos_desktop import __version__
from convos_desktop.platform.single_instance import SingleInstance, claim, parse_ticket
from convos_desktop.preferences import PROFILE_KEY, SERVER_KEY, saved_language

if TYPE_CHECKING:
    from convos_desktop.ui.shell.main_window import MainWindow

APP_NAME = "Convos Desktop"
DEFAULT_PROFILE = "default"


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
    parser.add_argument(
        "--profile", help="profile name: one running app per profile (default: the saved one)"
    )
    parser.add_argument(
        "ticket", nargs="?", help="a ticket to open: 123, #123 or convos://ticket/123"
    )


def apply_saved_preferences(args: argparse.Namespace, settings: QSettings) -> None:
    """Fill what the command line left out from the settings: language, server, profile."""
    if args.lang is None:
        args.lang = saved_language(settings)
    if args.server is None:
        args.server = str(settings.value(SERVER_KEY, "") or "") or None
    if args.profile is None:
        args.profile = str(settings.value(PROFILE_KEY, "") or "") or DEFAULT_PROFILE


def show_uncaught(text: str) -> None:
    """Tell the agent about an unexpected error (modeless; the app goes on)."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None:
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "Convos",
        QApplication.translate(
            "Product", "Something went wrong. Convos keeps running; the details are in the log."
        ),
    )
    box.setDetailedText(text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def claim_instance(args: argparse.Namespace, parent: QObject) -> SingleInstance | None:
    """The listener of this launch, or ``None`` when a running app took it over (exit 0)."""
    if args.demo:
        return SingleInstance("", parent)  # never listens: demo runs are independent
    return claim(args.profile or DEFAULT_PROFILE, parse_ticket(args.ticket), parent)


def open_named_ticket(window: MainWindow, args: argparse.Namespace) -> None:
    """Open the ticket named on this launch's own command line, if any."""
    ticket = parse_ticket(args.ticket)
    if ticket is not None:
        window.open_ticket_by_id(ticket)


def bring_forward(window: MainWindow | None, ticket: int | None) -> None:
    """What a second launch asks of the running app: the window in front, the ticket open."""
    if window is None:
        return
    window.bring_back()
    if ticket is not None:
        window.open_ticket_by_id(ticket)

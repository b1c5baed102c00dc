"""Issue 10: the new strings speak Italian, and so does Qt's file dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QFileInfo, QTranslator
from PySide6.QtWidgets import QApplication, QFileDialog, QFileIconProvider, QLabel
from pytestqt.qtbot import QtBot

from convos_desktop.ui.i18n import install_translators
from tests.desktop.ui_shell.test_shell_translations import catalogue, source_strings

NEW_MODULES = ("ui/widgets/dock_toggle.py", "ui/chat/open_failed.py", "ui/shell/demo_splash.py")


@pytest.fixture
def italian(qapp: QApplication) -> Iterator[None]:
    """Every committed Italian catalogue and Qt's own, as the app installs them."""
    install_translators(qapp, "it")
    yield
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.setParent(None)


@pytest.mark.parametrize("module", NEW_MODULES)
def test_every_new_string_has_an_italian_entry(module: str) -> None:
    strings = source_strings(module)
    assert strings
    assert not strings - catalogue()


def test_the_file_dialog_speaks_italian(qtbot: QtBot, italian: None) -> None:
    dialog = QFileDialog(None, "x")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dialog)
    labels = {label.text() for label in dialog.findChildren(QLabel)}
    # qtbase_it still has "Look in:" without the accelerator Qt 6 added: ours fills the gap
    assert labels == {"&Cerca in:", "&Nome del file:", "File di &tipo:"}


def test_the_file_dialog_calls_a_folder_a_folder(
    qtbot: QtBot, italian: None, tmp_path: Path
) -> None:
    assert QFileIconProvider().type(QFileInfo(str(tmp_path))) == "Cartella"

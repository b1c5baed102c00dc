"""The hand-written Italian catalogue covers every string of the widgets and really loads."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

import convos_desktop
from convos_desktop.core.types import Draft
from convos_desktop.ui.chat.composer import Composer
from convos_desktop.ui.chat.emoji_picker import Category, category_title
from convos_desktop.ui.contacts.contact_dock import ContactDock, relative_time
from convos_desktop.ui.i18n import TRANSLATIONS_DIR

PACKAGE = Path(convos_desktop.__file__).parent
TS_FILE = TRANSLATIONS_DIR / "ui_widgets_it.ts"
MODULES = (
    "chat/emoji_picker",
    "chat/quick_replies",
    "chat/attachments",
    "chat/composer",
    "contacts/contact_dock",
)


def catalogue() -> set[tuple[str, str]]:
    """Every (context, source) of the Italian catalogues: Qt searches all installed ones."""
    return {
        (context.findtext("name"), message.findtext("source"))
        for ts_file in sorted(TS_FILE.parent.glob("*_it.ts"))
        for context in ET.parse(ts_file).getroot().iter("context")
        for message in context.iter("message")
    }


def source_strings() -> set[tuple[str, str]]:
    """(class, text) of every ``self.tr("...")`` in the widget modules."""
    found = set()
    for module in MODULES:
        tree = ast.parse((PACKAGE / "ui" / f"{module}.py").read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for node in ast.walk(cls):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "tr"
                ):
                    found.add((cls.name, ast.literal_eval(node.args[0])))
    return found


@pytest.fixture
def italian(qapp, tmp_path):
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    qm = tmp_path / "ui_widgets_it.qm"
    subprocess.run([str(lrelease), str(TS_FILE), "-qm", str(qm)], check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(qm))
    QCoreApplication.installTranslator(translator)
    yield
    QCoreApplication.removeTranslator(translator)


def test_widgets_speak_italian(qtbot, settings, italian):
    composer = Composer(settings)
    qtbot.addWidget(composer)
    composer.set_draft(Draft(1, "", None))
    assert composer.send_button.text() == "Invia"
    composer.set_note_mode(True)
    assert composer.send_button.text() == "Aggiungi nota"
    assert composer.mode_label.full_text().startswith("Nota interna")
    dock = ContactDock()
    qtbot.addWidget(dock)
    assert dock.windowTitle() == "Scheda di contatto"
    assert category_title(Category.FOOD) == "Cibo e bevande"
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert relative_time(now - dt.timedelta(minutes=3), now) == "3 min fa"

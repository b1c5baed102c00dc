"""The inbox tree's and New ticket's strings have Italian entries, and the screen speaks
Italian with the compiled catalogues installed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QTranslator

from convos_desktop.ui.contacts.contact_picker import NewContactForm
from convos_desktop.ui.i18n import TRANSLATIONS_DIR, install_translators
from tests.desktop.ui_shell.test_shell_translations import catalogue, source_strings

MODULES = ("ui/screens/new_ticket.py", "ui/contacts/contact_picker.py", "models/navigation.py")


@pytest.mark.parametrize("module", MODULES)
def test_every_string_has_an_italian_entry(module: str) -> None:
    strings = source_strings(module)
    assert strings
    assert not strings - catalogue()


@pytest.fixture
def italian(qapp, tmp_path):
    for name in ("shell_it.qm", "screens-a_it.qm"):
        (tmp_path / name).write_bytes((TRANSLATIONS_DIR / name).read_bytes())
    install_translators(qapp, "it", tmp_path)
    yield
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.setParent(None)


def test_new_ticket_speaks_italian(qtbot, tmp_path, italian) -> None:
    QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    form = NewContactForm()
    qtbot.addWidget(form)
    assert form.create_button.text() == "Crea contatto"
    assert form.use_existing.text() == "Usa quello esistente"
    assert QCoreApplication.translate("Navigation", "New ticket") == "Nuovo Ticket"
    assert QCoreApplication.translate("NewTicketScreen", "Reactivate") == "Riattiva"
    assert QCoreApplication.translate("FirstMessageComposer", "Start ticket") == "Avvia ticket"

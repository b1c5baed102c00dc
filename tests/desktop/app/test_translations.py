"""The lifecycle strings (tray, close-to-tray, notifications) are in Italian."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

from convos_desktop.core.types import Status
from convos_desktop.ui.i18n import TRANSLATIONS_DIR
from convos_desktop.ui.shell.tray import Tray
from tests.desktop.app.conftest import RecordingTrayIcon


def test_tray_menu_and_badge_tooltip_in_italian(qapp) -> None:
    translator = QTranslator(qapp)
    assert translator.load(str(TRANSLATIONS_DIR / "desktop_it.qm"))
    QCoreApplication.installTranslator(translator)
    tray = Tray(RecordingTrayIcon())
    assert tray.open_action.text() == "Apri Convos"
    assert tray.quit_action.text() == "Esci"
    tray.set_unread(3)
    assert tray.icon.toolTip() == "Convos: 3 conversazioni con messaggi non letti"
    tray.set_unread(1)
    assert tray.icon.toolTip() == "Convos: 1 conversazione con messaggi non letti"
    assert translator.translate("Notifier", "Message from %1") == "Messaggio da %1"
    assert translator.translate("Tray", "Convos keeps running") == "Convos resta attivo"


def test_tray_status_menu_names_statuses_as_the_header_does(qapp) -> None:
    translator = QTranslator(qapp)
    assert translator.load(str(TRANSLATIONS_DIR / "shell_it.qm"))
    QCoreApplication.installTranslator(translator)
    try:
        tray = Tray(RecordingTrayIcon())
        names = [tray.status_actions[s].text() for s in (Status.BUSY, Status.UNAVAILABLE)]
        assert names == ["Occupato", "Non disponibile"]
    finally:
        QCoreApplication.removeTranslator(translator)

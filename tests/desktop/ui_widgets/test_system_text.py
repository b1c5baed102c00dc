"""System lines, activities, custom field names, dates and numbers in Italian and English."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
from PySide6.QtWidgets import QFormLayout

from convos_desktop.core.types import (
    Activity,
    Agent,
    Contact,
    Direction,
    PresenceChanged,
    Status,
    SystemLine,
)
from convos_desktop.models.directory import Directory
from convos_desktop.ui.contacts.contact_dock import ContactDock, relative_time
from convos_desktop.ui.formatting import local_date, local_date_time, short_time, whole_number
from convos_desktop.ui.i18n import TRANSLATIONS_DIR
from convos_desktop.ui.system_text import SystemWording, field_label, fill
from tests.desktop.ui.conftest import make_message
from tests.desktop.ui_shell.test_shell_translations import source_strings

ANNA = Agent(1, "Anna Neri", "anna@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)
BRUNO = Agent(2, "Bruno", "bruno@convos.test", "admin", (1,), Status.ONLINE, Status.ONLINE)
CATALOGUE = TRANSLATIONS_DIR / "i18n_it.ts"

# (kind, params, English, Italian): every kind and every variant of its wording.
CASES = [
    ("ticket.opened", {"by_agent_id": None}, "Ticket opened: handed over by the bot",
     "Ticket aperto: passato dal bot"),
    ("ticket.opened", {"by_agent_id": 1}, "Ticket opened by Anna Neri",
     "Ticket aperto da Anna Neri"),
    ("ticket.assigned", {"agent_id": 1, "by_agent_id": None},
     "Ticket assigned to Anna Neri automatically", "Ticket assegnato automaticamente a Anna Neri"),
    ("ticket.assigned", {"agent_id": 1, "by_agent_id": 1}, "Anna Neri took the ticket",
     "Anna Neri ha preso in carico il ticket"),
    ("ticket.assigned", {"agent_id": 1, "by_agent_id": 2}, "Ticket assigned to Anna Neri by Bruno",
     "Ticket assegnato a Anna Neri da Bruno"),
    ("ticket.unassigned", {"by_agent_id": 1}, "Ticket put back in Unassigned by Anna Neri",
     "Ticket rimesso in Non assegnato da Anna Neri"),
    ("ticket.closed", {"by_agent_id": 2}, "Ticket finalized by Bruno",
     "Ticket finalizzato da Bruno"),
    ("ticket.reopened", {"by_agent_id": 1}, "Ticket reactivated by Anna Neri",
     "Ticket riattivato da Anna Neri"),
    ("contact.edited", {"by_agent_id": 1, "fields": ["phone", "email", "custom"]},
     "Profile edited by Anna Neri: phone, email, and custom fields",  # en_US list
     "Profilo modificato da Anna Neri: telefono, email e campi personalizzati"),
    ("contact.edited", {"by_agent_id": 1}, "Profile edited by Anna Neri",
     "Profilo modificato da Anna Neri"),
    ("ticket.closed", {"by_agent_id": 99}, "Ticket finalized by an agent",
     "Ticket finalizzato da un operatore"),
    ("ticket.merged", {"into": 5}, "SERVER ENGLISH", "SERVER ENGLISH"),
]  # fmt: skip


@pytest.fixture
def directory(qapp) -> Directory:
    found = Directory()
    found.set_agents([ANNA, BRUNO])
    return found


@pytest.fixture
def italian(qapp):
    translator = QTranslator()
    assert translator.load(str(TRANSLATIONS_DIR / "i18n_it.qm"))
    QCoreApplication.installTranslator(translator)
    QLocale.setDefault(QLocale(QLocale.Language.Italian, QLocale.Country.Italy))
    yield
    QCoreApplication.removeTranslator(translator)


@pytest.fixture
def english(qapp):
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))


def system_line(kind: str, params: dict) -> object:
    return make_message(
        direction=Direction.SYSTEM,
        body="SERVER ENGLISH",
        sender_name="System",
        system=SystemLine(kind, params),
    )


def activity(kind: str, params: dict) -> Activity:
    return Activity(1, 7, kind, "SERVER ENGLISH", None, None, dt.datetime.now(dt.UTC), params)


@pytest.mark.parametrize(("kind", "params", "english_text", "italian_text"), CASES)
def test_every_kind_in_english(directory, english, kind, params, english_text, italian_text):
    wording = SystemWording(directory)
    assert wording.message_text(system_line(kind, params)) == english_text
    assert wording.activity_text(activity(kind, params)) == english_text


@pytest.mark.parametrize(("kind", "params", "english_text", "italian_text"), CASES)
def test_every_kind_in_italian(directory, italian, kind, params, english_text, italian_text):
    wording = SystemWording(directory)
    assert wording.message_text(system_line(kind, params)) == italian_text
    assert wording.activity_text(activity(kind, params)) == italian_text


def test_lines_without_a_kind_and_other_messages_keep_their_text(directory, italian):
    wording = SystemWording(directory)
    old_line = make_message(direction=Direction.SYSTEM, body="Ticket closed by Someone")
    assert wording.message_text(old_line) == "Ticket closed by Someone"
    assert wording.message_text(make_message(body="Ticket closed by me")) == "Ticket closed by me"


def test_a_rename_is_told_once_and_presence_changes_are_not(qtbot, directory):
    wording = SystemWording(directory)
    assert wording.agent(2) == "Bruno"
    with qtbot.assertNotEmitted(wording.names_changed):
        directory.apply_presence(PresenceChanged(2, Status.BUSY, Status.BUSY))
    with qtbot.waitSignal(wording.names_changed, timeout=100):
        directory.set_agents(
            [ANNA, Agent(2, "Bruno Russo", "b", "admin", (), Status.ONLINE, Status.ONLINE)]
        )
    assert wording.message_text(system_line("ticket.closed", {"by_agent_id": 2})) == (
        "Ticket finalized by Bruno Russo"
    )


def test_an_agent_met_later_replaces_an_agent(qtbot, qapp):
    directory = Directory()
    wording = SystemWording(directory)
    assert wording.agent(1) == "an agent"
    with qtbot.waitSignal(wording.names_changed, timeout=100):
        directory.set_agents([ANNA])
    assert wording.agent(1) == "Anna Neri"
    assert wording.agent("1") == "an agent"  # not an id


def test_fill_replaces_in_one_pass():
    assert fill("%1 took %2", "Anna %2", "it") == "Anna %2 took it"
    assert fill("%1 and %3", "a") == "a and %3"


def test_custom_field_keys(italian):
    assert field_label("customer_since") == "Cliente dal"
    assert field_label("vat_number") == "Partita IVA"
    assert field_label("loyalty_card") == "loyalty_card"


def test_custom_field_keys_in_english(english):
    assert field_label("customer_since") == "Customer since"
    assert field_label("loyalty_card") == "loyalty_card"


def test_every_string_is_in_the_catalogue():
    root = ET.parse(CATALOGUE).getroot()
    entries = {
        (context.findtext("name"), message.findtext("source"))
        for context in root.iter("context")
        for message in context.iter("message")
    }
    unfinished = [m for m in root.iter("message") if m.find("translation").get("type")]
    assert not source_strings("ui/system_text.py") - entries
    assert not unfinished


WHEN = dt.datetime(2026, 12, 4, 13, 5, tzinfo=dt.UTC)


def test_dates_and_numbers_in_italian(italian):
    day = WHEN.astimezone().date()
    assert local_date(WHEN) == f"{day.day:02d}/{day.month:02d}/{day.year % 100:02d}"
    assert local_date_time(WHEN).startswith(local_date(WHEN) + " ")
    assert whole_number(12345) == "12.345"
    assert relative_time(WHEN - dt.timedelta(days=40), WHEN) == local_date(
        WHEN - dt.timedelta(days=40)
    )


def test_dates_and_numbers_in_english(english):
    day = WHEN.astimezone().date()
    assert local_date(WHEN) == f"{day.month}/{day.day}/{day.year % 100:02d}"
    assert whole_number(12345) == "12,345"


def test_the_contact_card_words_known_keys_and_sorts_by_label(qtbot, italian):
    contact = Contact(
        7,
        "Giulia",
        None,
        None,
        None,
        {"tier": "gold", "customer_since": "2019", "loyalty_card": "LC-1"},
        WHEN,
        WHEN,
    )
    dock = ContactDock()
    qtbot.addWidget(dock)
    dock.set_contact(contact)
    form = dock.summary_form
    labels = [
        form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().text()
        for row in range(2, form.rowCount())
    ]
    assert labels == ["Cliente dal", "Livello", "loyalty_card"]


def test_ticket_list_dates_follow_the_locale(qapp):
    earlier = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)
    now = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    last_year = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)
    QLocale.setDefault(QLocale(QLocale.Language.Italian, QLocale.Country.Italy))
    assert short_time(earlier, now) == "4 mar"
    assert short_time(last_year, now) == "04/03/25"
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    assert short_time(earlier, now) == "Mar 4"
    assert short_time(last_year, now) == "3/4/25"
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    assert short_time(earlier, now) == "4 Mar"

"""The contact dock: summary, edit validation and signals, saving state, files, activity."""

from __future__ import annotations

import datetime as dt

import pytest

from convos_desktop.core.types import Activity, Agent, Contact, FileInfo, Status
from convos_desktop.models.directory import Directory
from convos_desktop.ui.contacts.contact_dock import ActivityModel, ContactDock, relative_time
from convos_desktop.ui.formatting import local_date
from convos_desktop.ui.system_text import SystemWording

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
GIULIA = Contact(
    7,
    "Giulia Verdi",
    "+39 333 123 4567",
    "giulia@example.com",
    "wa-7",
    {"customer_code": "C-4411", "city": "Bologna"},
    NOW,
    NOW,
)
FILES = [
    FileInfo(
        11,
        "fattura-marzo.pdf",
        "document",
        "application/pdf",
        88_000,
        "",
        None,
        None,
        False,
        "/api/v1/files/11",
    ),
    FileInfo(
        12,
        "foto-pacco.jpg",
        "image",
        "image/jpeg",
        1_400_000,
        "",
        1200,
        900,
        False,
        "/api/v1/files/12",
    ),
]
ACTIVITIES = [
    Activity(
        1,
        7,
        "ticket.opened",
        "Ticket opened",
        None,
        31,
        NOW - dt.timedelta(days=3),
        {"by_agent_id": None},
    ),
    # a kind this client does not know: the server's English text
    Activity(
        2, 7, "contact.merged", "Merged with Anna's copy", 1, None, NOW - dt.timedelta(minutes=5)
    ),
    Activity(
        3,
        7,
        "ticket.closed",
        "Ticket closed by Anna",
        1,
        31,
        NOW - dt.timedelta(hours=2),
        {"by_agent_id": 1},
    ),
]
ANNA = Agent(1, "Anna Neri", "anna@convos.test", "agent", (1,), Status.ONLINE, Status.ONLINE)


@pytest.fixture
def dock(qtbot):
    directory = Directory()
    directory.set_agents([ANNA])
    dock = ContactDock(now=lambda: NOW, wording=SystemWording(directory))
    qtbot.addWidget(dock)
    dock.set_contact(GIULIA, FILES, ACTIVITIES)
    dock.resize(320, 640)
    dock.show()
    return dock


def test_summary_shows_the_contact_as_plain_text(qtbot, dock):
    assert dock.name_label.text() == "Giulia Verdi"
    assert dock.phone_label.text() == "+39 333 123 4567"
    assert dock.summary_form.rowCount() == 4  # phone, email and two custom fields
    dock.set_contact(GIULIA.__class__(**{**_fields(GIULIA), "name": "<b>Evil</b>"}))
    assert dock.name_label.text() == "<b>Evil</b>"
    assert dock.name_label.textFormat().name == "PlainText"
    dock.set_contact(None)
    assert dock.empty_label.isVisibleTo(dock)
    assert not dock.card.isVisibleTo(dock)


def test_long_values_are_elided_with_the_full_text_in_a_tooltip(qtbot, dock):
    name = "Maria Antonietta Esposito-Bianchi della Rovere di Montalcino"
    email = "maria.antonietta.esposito.bianchi@example-company.com"
    dock.set_contact(GIULIA.__class__(**{**_fields(GIULIA), "name": name, "email": email}))
    qtbot.waitUntil(lambda: dock.email_label.is_elided())
    assert dock.width() == 320  # the long values did not widen the dock
    for label, full in ((dock.name_label, name), (dock.email_label, email)):
        assert label.full_text() == full
        assert label.text().endswith("…")
        assert label.toolTip() == full
        assert label.geometry().right() < dock.width()
    assert dock.phone_label.toolTip() == ""  # fits: no tooltip


def _fields(contact):
    return {name: getattr(contact, name) for name in contact.__slots__}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("name", "   ", "name is required"),
        ("email", "giulia@", "not an email"),
        ("email", "giulia example.com", "not an email"),
        ("phone", "333-123-4567", "phone number"),
        ("phone", "+39 12", "phone number"),
        ("phone", "abc", "phone number"),
    ],
)
def test_edit_rejects_bad_input_and_keeps_it(qtbot, dock, field, value, words):
    dock.start_editing()
    edit = getattr(dock, f"{field}_edit")
    edit.setText(value)
    with qtbot.assertNotEmitted(dock.editRequested):
        dock.save_button.click()
    assert words in dock.error_label.text()
    assert dock.error_label.isVisibleTo(dock)
    assert dock.is_editing()
    assert edit.text() == value


def test_edit_emits_only_changed_fields_then_waits_read_only(qtbot, dock):
    dock.start_editing()
    dock.email_edit.setText("  giulia.verdi@example.it ")
    dock.phone_edit.setText("")
    with qtbot.waitSignal(dock.editRequested) as requested:
        dock.save_button.click()
    assert requested.args == [7, {"email": "giulia.verdi@example.it", "phone": None}]
    assert dock.is_saving()
    assert dock.email_edit.isReadOnly()
    assert not dock.save_button.isEnabled()
    with qtbot.assertNotEmitted(dock.editRequested):
        dock.save()  # no double submit while saving
    dock.save_finished("409 conflict: the server refused")
    assert dock.is_editing()
    assert not dock.email_edit.isReadOnly()
    assert "the server refused" in dock.error_label.text()
    assert dock.email_edit.text() == "  giulia.verdi@example.it "  # nothing lost
    with qtbot.waitSignal(dock.editRequested):
        dock.save_button.click()
    dock.save_finished(None)
    assert not dock.is_editing()


def test_unchanged_edit_just_closes_and_other_contact_drops_edit(qtbot, dock):
    dock.start_editing()
    with qtbot.assertNotEmitted(dock.editRequested):
        dock.save_button.click()
    assert not dock.is_editing()
    dock.start_editing()
    dock.name_edit.setText("Giulia V.")
    dock.set_contact(GIULIA, FILES, ACTIVITIES)  # same contact updated: edit survives
    assert dock.is_editing()
    assert dock.name_edit.text() == "Giulia V."
    other = GIULIA.__class__(**{**_fields(GIULIA), "id": 8, "name": "Marco"})
    dock.set_contact(other)
    assert not dock.is_editing()
    assert dock.name_label.text() == "Marco"


def test_files_open_and_save_signals(qtbot, dock):
    assert not dock.open_file_button.isEnabled()
    dock.files_view.setCurrentIndex(dock.files_model.index(1))
    with qtbot.waitSignal(dock.openFileRequested) as opened:
        dock.open_file_button.click()
    assert opened.args[0].id == 12
    with qtbot.waitSignal(dock.saveFileRequested) as saved:
        dock.save_file_button.click()
    assert saved.args[0].name == "foto-pacco.jpg"


def test_no_files_says_so_instead_of_an_empty_list(dock):
    assert dock.files_view.isVisibleTo(dock)
    assert not dock.no_files_label.isVisibleTo(dock)
    dock.set_contact(GIULIA, (), ACTIVITIES)
    assert dock.no_files_label.isVisibleTo(dock)
    assert not dock.files_view.isVisibleTo(dock)
    assert not dock.open_file_button.isVisibleTo(dock)
    dock.set_contact(None)
    assert not dock.no_files_label.isVisibleTo(dock)


def test_activity_newest_first_with_relative_times(dock):
    model = dock.activity_model
    lines = [model.index(r).data() for r in range(model.rowCount())]
    assert lines == [
        "Merged with Anna's copy\n5 min ago",
        "Ticket finalized by Anna Neri\n2 h ago",
        "Ticket opened: handed over by the bot\n3 days ago",
    ]
    assert relative_time(NOW - dt.timedelta(seconds=10), NOW) == "just now"
    assert relative_time(NOW - dt.timedelta(hours=30), NOW) == "yesterday"
    assert relative_time(NOW - dt.timedelta(days=40), NOW) == local_date(
        NOW - dt.timedelta(days=40)
    )


def test_models_pass_the_model_tester(qtmodeltester):
    model = ActivityModel(lambda: NOW)
    model.set_activities(ACTIVITIES)
    qtmodeltester.check(model)


def test_screenshots(qtbot, dock, shoot):
    long = GIULIA.__class__(
        **{
            **_fields(GIULIA),
            "name": "Maria Antonietta Esposito-Bianchi della Rovere",
            "email": "maria.antonietta.esposito.bianchi@example-company.com",
        }
    )
    dock.set_contact(long, FILES, ACTIVITIES)
    shoot(dock, "contact_dock")
    dock.start_editing()
    dock.email_edit.setText("maria@")
    dock.save_button.click()
    shoot(dock, "contact_dock_edit_error")

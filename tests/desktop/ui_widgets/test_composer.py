"""The composer: Enter/Shift+Enter, note mode, reply banner, drafts, quick replies, chips."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from convos_desktop.core.media import FileKind
from convos_desktop.core.types import Canned, Direction, Draft, ReplyPreview
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.chat.composer import AttachmentChip, Composer
from convos_desktop.ui.chat.quick_replies import (
    CannedModel,
    ShortcutFilterModel,
    fill_placeholders,
    resolve_language,
)

CANNED = [
    Canned(
        1,
        "saluto",
        "Buongiorno {contact_name}, sono {agent_name}. Come posso aiutarla?",
        "it",
        None,
    ),
    Canned(
        2, "saluto", "Good morning {contact_name}, I am {agent_name}. How can I help?", "en", None
    ),
    Canned(3, "spedizione", "La spedizione parte entro 48 ore.\nTracking via email.", "it", 1),
    Canned(4, "grazie", "Grazie per averci contattato!", None, None),
    Canned(5, "refund", "Refunds take 5 working days.", "en", None),
]
QUOTED = ReplyPreview(
    77, "Buongiorno, ho un problema con l'ordine 4411", "Giulia Verdi", Direction.IN
)


@pytest.fixture
def composer(qtbot, settings):
    composer = Composer(settings)
    qtbot.addWidget(composer)
    composer.set_canned(CANNED)
    composer.set_language("it")
    composer.set_placeholder_values(contact_name="Giulia Verdi", agent_name="Anna")
    composer.set_draft(Draft(5, "", None))
    composer.resize(640, 160)
    composer.show()
    qtbot.waitExposed(composer)
    composer.edit.setFocus()
    return composer


def test_enter_sends_and_shift_enter_makes_a_new_line(qtbot, composer):
    qtbot.keyClicks(composer.edit, "Salve")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "seconda riga")
    assert composer.edit.toPlainText() == "Salve\nseconda riga"
    with qtbot.waitSignal(composer.sendRequested) as sent:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent.args == ["Salve\nseconda riga", False, None, []]
    assert composer.edit.toPlainText() == ""


def test_placeholder_fits_one_line_and_the_keys_are_in_the_tooltip(composer):
    composer.resize(360, 160)
    for note in (False, True):
        composer.note_button.setChecked(note)
        placeholder = composer.edit.placeholderText()
        width = composer.edit.fontMetrics().horizontalAdvance(placeholder)
        assert width < composer.edit.viewport().width(), placeholder
    assert "Shift+Enter" in composer.edit.toolTip()
    assert "/" in composer.edit.statusTip()


def test_empty_text_is_not_sent(qtbot, composer):
    with qtbot.assertNotEmitted(composer.sendRequested):
        qtbot.keyClicks(composer.edit, "   ")
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert not composer.send_button.isEnabled()


def test_note_mode_changes_signal_label_and_button(qtbot, composer):
    assert not composer.mode_label.isVisibleTo(composer)
    assert composer.send_button.text() == "Send"
    composer.note_button.click()
    assert composer.mode_label.isVisibleTo(composer)
    assert "Internal note" in composer.mode_label.full_text()
    assert composer.send_button.text() == "Add note"
    assert "#fff1c2" in composer.styleSheet()
    qtbot.keyClicks(composer.edit, "Cliente rimborsato ieri")
    with qtbot.waitSignal(composer.sendRequested) as sent:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent.args[:2] == ["Cliente rimborsato ieri", True]
    assert composer.send_button.text() == "Send"  # a note is a one-off
    assert composer.styleSheet().count("#fff1c2") == 0


def test_reply_banner_set_send_and_cancel(qtbot, composer):
    composer.set_reply_to(QUOTED)
    assert composer.reply_banner.isVisibleTo(composer)
    assert "Giulia Verdi" in composer.reply_sender.text()
    assert composer.reply_text.text().startswith("Buongiorno")
    composer.reply_cancel_button.click()
    assert not composer.reply_banner.isVisibleTo(composer)
    assert composer.reply_to() is None
    composer.set_reply_to(QUOTED)
    qtbot.keyClicks(composer.edit, "Controllo subito")
    with qtbot.waitSignal(composer.sendRequested) as sent:
        composer.send_button.click()
    assert sent.args[2] == 77
    assert not composer.reply_banner.isVisibleTo(composer)


def test_draft_round_trip_and_change_signal(qtbot, composer):
    drafts = []
    composer.draftChanged.connect(drafts.append)
    qtbot.keyClicks(composer.edit, "bozza")
    assert drafts[-1] == Draft(5, "bozza", None, False)
    assert len(drafts) == 5
    composer.set_reply_to(QUOTED)
    composer.note_button.click()
    assert composer.draft() == Draft(5, "bozza", 77, True)
    with qtbot.assertNotEmitted(composer.draftChanged):
        composer.set_draft(Draft(9, "altra", 12, False))
    assert composer.draft() == Draft(9, "altra", 12, False)
    assert composer.reply_banner.isVisibleTo(composer)


def test_disabled_reply_shows_reason_but_notes_stay_possible(qtbot, composer):
    composer.set_can_reply(False, "You are Unavailable: set yourself Online to reply")
    qtbot.keyClicks(composer.edit, "ciao")
    assert composer.reason_label.text().startswith("You are Unavailable")
    assert composer.reason_label.isVisibleTo(composer)
    assert not composer.send_button.isEnabled()
    with qtbot.assertNotEmitted(composer.sendRequested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert composer.edit.toPlainText() == "ciao"  # nothing lost
    composer.note_button.click()
    assert not composer.reason_label.isVisibleTo(composer)
    with qtbot.waitSignal(composer.sendRequested) as sent:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent.args[1] is True
    assert not composer.is_note()  # back to replying, still refused: the reason shows again
    assert composer.reason_label.text().startswith("You are Unavailable")
    composer.note_button.click()
    composer.set_can_note(False, "Ticket closed")
    assert composer.reason_label.text() == "Ticket closed"


def test_slash_completion_inserts_canned_text_with_placeholders(qtbot, composer):
    qtbot.keyClicks(composer.edit, "Ciao! /sal")
    assert composer.completer.is_active()
    assert composer.completer.filter_model.rowCount() == 1  # the Italian one wins
    with qtbot.assertNotEmitted(composer.sendRequested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert composer.edit.toPlainText() == (
        "Ciao! Buongiorno Giulia Verdi, sono Anna. Come posso aiutarla?"
    )
    assert not composer.completer.is_active()


def test_slash_completion_tab_arrows_and_escape(qtbot, composer):
    qtbot.keyClicks(composer.edit, "/")
    assert composer.completer.filter_model.rowCount() == 4
    qtbot.keyClick(composer.edit, Qt.Key.Key_Tab)
    assert composer.edit.toPlainText() == "Grazie per averci contattato!"
    composer.edit.clear()
    qtbot.keyClicks(composer.edit, "/")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Down)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Tab)
    assert composer.edit.toPlainText().startswith("Buongiorno Giulia Verdi")
    composer.edit.clear()
    qtbot.keyClicks(composer.edit, "/sp")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Escape)
    assert not composer.completer.is_active()
    assert composer.edit.toPlainText() == "/sp"
    composer.edit.clear()
    qtbot.keyClicks(composer.edit, "a/b")  # not at the start of a word
    assert not composer.completer.is_active()


def test_quick_replies_menu_inserts(qtbot, composer):
    menu = composer.quick_button.menu()
    assert isinstance(menu, QMenu)
    menu.aboutToShow.emit()
    labels = [a.text() for a in menu.actions()]
    assert labels[0].startswith("/grazie")
    assert any(label.startswith("/refund") for label in labels)  # English-only stays, last
    assert labels[-1].startswith("/refund")
    action = next(a for a in menu.actions() if a.text().startswith("/spedizione"))
    action.trigger()
    assert composer.edit.toPlainText().startswith("La spedizione parte")


def test_placeholders_and_language_resolution():
    values = {"contact_name": "Giulia", "agent_name": "Anna"}
    assert fill_placeholders("Ciao {contact_name}, {agent_name} {order}", values) == (
        "Ciao Giulia, Anna {order}"
    )
    english = [c.id for c in resolve_language(CANNED, "en")]
    # Alphabetical; the Italian "saluto" gives way to the English one; Italian-only last.
    assert english == [4, 5, 2, 3]


def test_attachment_chips_go_with_the_send(qtbot, composer, tmp_path):
    pdf = PendingAttachment("fattura.pdf", FileKind.DOCUMENT, 1000, path=Path(tmp_path / "f.pdf"))
    lib = PendingAttachment("Listino.pdf", FileKind.DOCUMENT, 2000, file_id=3)
    composer.add_attachments([pdf, lib])
    assert composer.send_button.isEnabled()  # files alone can be sent
    assert [c.attachment for c in composer.findChildren(AttachmentChip)] == [pdf, lib]
    with qtbot.waitSignal(composer.sendRequested) as sent:
        composer.send_button.click()
    assert sent.args == ["", False, None, [pdf, lib]]
    assert composer.attachments() == []


def test_models_pass_the_model_tester(qtmodeltester):
    model = CannedModel("it")
    model.set_canned(CANNED)
    qtmodeltester.check(model)
    proxy = ShortcutFilterModel()
    proxy.setSourceModel(model)
    proxy.set_prefix("s")
    qtmodeltester.check(proxy)


def test_screenshots(qtbot, composer, shoot):
    long_quote = ReplyPreview(
        78,
        "Buongiorno, vorrei sapere perché il mio ordine numero 44112233 risulta ancora in "
        "lavorazione dopo tre settimane, avevo chiesto la spedizione express",
        "Maria Antonietta Esposito-Bianchi della Rovere",
        Direction.IN,
    )
    composer.set_reply_to(long_quote)
    composer.add_attachments(
        [
            PendingAttachment(
                "preventivo-definitivo-firmato-2026.pdf", FileKind.DOCUMENT, 120_000, file_id=1
            ),
            PendingAttachment("foto.jpg", FileKind.IMAGE, 2_400_000, file_id=2),
        ]
    )
    qtbot.keyClicks(composer.edit, "Gentile cliente, ho verificato il suo ordine.")
    shoot(composer, "composer_reply")
    composer.note_button.click()
    composer.set_can_note(True)
    shoot(composer, "composer_note")
    composer.note_button.click()
    composer.set_can_reply(False, "You are Unavailable: set yourself Online to reply")
    for _ in range(8):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    shoot(composer, "composer_disabled_tall")
    assert composer.edit.height() < 6 * composer.edit.fontMetrics().lineSpacing() + 40


def test_typing_does_not_set_the_style_sheet_again(qtbot, composer, monkeypatch) -> None:
    style_sheets: list[str] = []
    monkeypatch.setattr(composer, "setStyleSheet", style_sheets.append)
    for char in "Buongiorno":
        qtbot.keyClick(composer.edit, char)
    composer.set_can_reply(False, "Set your status to Online to reply.")
    composer.set_draft(Draft(6, "Altro testo", None))
    assert style_sheets == []  # each would re-polish the whole composer
    composer.set_note_mode(True)
    assert len(style_sheets) == 1
    assert "background" in style_sheets[0]
    qtbot.keyClick(composer.edit, "x")
    assert len(style_sheets) == 1

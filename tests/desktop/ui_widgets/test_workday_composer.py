"""Issue 10 (items 5 and 8): a note is a one-off, and Send is enabled only when it sends."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from convos_desktop.core.media import FileKind
from convos_desktop.core.types import Canned, Draft
from convos_desktop.ui.chat.attachments import PendingAttachment
from convos_desktop.ui.chat.canned_delegate import CannedDelegate
from convos_desktop.ui.chat.composer import Composer


@pytest.fixture
def composer(qtbot: QtBot, settings: QSettings) -> Composer:
    composer = Composer(settings)
    qtbot.addWidget(composer)
    composer.set_draft(Draft(5, "", None))
    composer.resize(640, 160)
    composer.show()
    qtbot.waitExposed(composer)
    composer.edit.setFocus()
    return composer


def test_after_a_note_the_composer_is_back_to_replying(qtbot: QtBot, composer: Composer) -> None:
    drafts: list[Draft] = []
    composer.draftChanged.connect(drafts.append)
    composer.note_button.click()
    qtbot.keyClicks(composer.edit, "Cliente richiamato")
    with qtbot.waitSignal(composer.sendRequested) as sent:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent.args[:2] == ["Cliente richiamato", True]
    assert not composer.is_note()
    assert not composer.mode_label.isVisibleTo(composer)
    assert composer.send_button.text() == "Send"
    assert drafts[-1] == Draft(5, "", None, False)  # the saved draft is back to reply too
    qtbot.keyClicks(composer.edit, "Buongiorno")
    with qtbot.waitSignal(composer.sendRequested) as sent:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent.args[:2] == ["Buongiorno", False]


def test_note_mode_shows_on_the_send_button_while_typing(qtbot: QtBot, composer: Composer) -> None:
    composer.note_button.click()
    qtbot.keyClicks(composer.edit, "nota interna")
    assert composer.mode_label.isVisibleTo(composer)
    assert composer.send_button.text() == "Add note"
    assert "#sendButton" in composer.styleSheet()
    composer.note_button.click()
    assert "#sendButton" not in composer.styleSheet()


def test_send_is_disabled_once_a_sticker_alone_was_sent(
    qtbot: QtBot, composer: Composer, tmp_path: Path
) -> None:
    sticker = PendingAttachment("ok.webp", FileKind.STICKER, 9000, path=tmp_path / "ok.webp")
    composer.add_attachments([sticker])
    assert composer.send_button.isEnabled()  # a sticker alone is a valid message
    with qtbot.waitSignal(composer.sendRequested) as sent:
        composer.send_button.click()
    assert sent.args == ["", False, None, [sticker]]
    assert not composer.send_button.isEnabled()  # nothing left: nothing to send
    with qtbot.assertNotEmitted(composer.sendRequested):
        composer.send_button.click()


def test_send_is_disabled_when_a_pending_sticker_stays_behind(
    composer: Composer, tmp_path: Path
) -> None:
    sticker = PendingAttachment("ok.webp", FileKind.STICKER, 9000, path=tmp_path / "ok.webp")
    composer.add_attachments([sticker])
    composer.set_draft(Draft(6, "", None))  # another conversation: the chip is dropped
    assert composer.attachments() == []
    assert not composer.send_button.isEnabled()


LONG_REPLY = Canned(
    7,
    "spedizione-internazionale-express",
    "Gentile {contact_name}, la spedizione internazionale express parte entro 48 ore lavorative "
    "dal nostro magazzino di Bologna e arriva in 3-5 giorni.\nTracking via email.",
    "it",
    None,
)


def test_the_slash_popup_shows_code_and_preview_without_scrolling_sideways(
    qtbot: QtBot, composer: Composer, tmp_path: Path
) -> None:
    composer.set_canned([LONG_REPLY, Canned(8, "saluto", "Buongiorno!", None, None)])
    composer.set_placeholder_values(contact_name="Giulia Verdi", agent_name="Anna")
    qtbot.keyClicks(composer.edit, "/sp")
    popup = composer.completer.popup
    qtbot.waitUntil(popup.isVisible)
    assert popup.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert not popup.horizontalScrollBar().isVisible()
    delegate = popup.itemDelegate()
    assert isinstance(delegate, CannedDelegate)
    line = popup.fontMetrics().height()
    assert popup.sizeHintForRow(0) >= 2 * line  # code, then a preview line
    assert delegate.preview(LONG_REPLY).startswith("Gentile Giulia Verdi, la spedizione")
    assert "Tracking" not in delegate.preview(LONG_REPLY)  # the first line only
    assert popup.width() <= composer.edit.width()
    assert popup.grab().save(str(tmp_path / "quick_replies.png"))


@pytest.mark.parametrize("width", [360, 460, 900])
def test_the_note_label_is_readable_at_any_width(
    qtbot: QtBot, composer: Composer, width: int
) -> None:
    composer.resize(width, 160)
    composer.note_button.click()
    qtbot.keyClicks(composer.edit, "nota")
    qtbot.waitUntil(lambda: composer.mode_label.width() > 0)
    label = composer.mode_label
    assert label.isVisible()
    assert label.width() >= min(label.sizeHint().width(), width - 40)
    assert label.text().startswith("Internal note")

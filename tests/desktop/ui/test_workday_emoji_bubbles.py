"""Issue 10 (item 6): emoji in chat bubbles are as large as the text, large when alone."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from convos_desktop.ui.chat.emoji_text import emoji_only_count, emoji_spans
from convos_desktop.ui.chat.message_delegate import Fonts, layout_message
from tests.desktop.ui.conftest import make_message


def test_emoji_spans_count_utf16_positions() -> None:
    assert emoji_spans("ciao 👍 e ❤️!") == [(5, 2), (10, 2)]
    assert emoji_spans("👨‍👩‍👧 🇮🇹") == [(0, 8), (9, 4)]
    assert emoji_spans("© 2026, nessuna emoji") == []


@pytest.mark.parametrize(
    ("text", "count"),
    [("👍", 1), (" 😢😢 ", 2), ("🎉 🎉 🎉", 3), ("👍🏽", 1), ("ok 👍", 0), ("", 0), ("©", 0)],
)
def test_emoji_only_count(text: str, count: int) -> None:
    assert emoji_only_count(text) == count


def test_emoji_in_text_are_drawn_larger_than_the_letters(qtbot) -> None:
    fonts = Fonts(QWidget().font())
    layout = layout_message(make_message(body="Grazie 😊 a presto"), None, False, 800, fonts)
    assert layout.text_layout is not None
    sizes = [r.format.fontPointSize() for r in layout.text_layout.formats()]
    assert sizes
    assert min(sizes) > fonts.body.pointSizeF()


def test_a_message_of_a_few_emoji_alone_is_large(qtbot) -> None:
    fonts = Fonts(QWidget().font())
    alone = layout_message(make_message(body="👍"), None, False, 800, fonts)
    in_text = layout_message(make_message(body="ok"), None, False, 800, fonts)
    assert alone.text_layout is not None
    assert in_text.text_layout is not None
    line_height = in_text.text_layout.lineAt(0).height()
    assert alone.text_layout.lineAt(0).height() > 2 * line_height
    four = layout_message(make_message(body="👍👍👍👍"), None, False, 800, fonts)
    assert four.text_layout is not None
    assert four.text_layout.lineAt(0).height() < 2 * line_height


def test_a_link_after_an_emoji_is_still_found_where_it_is(qtbot) -> None:
    fonts = Fonts(QWidget().font())
    body = "😊😊 vedi https://convos.test/ordine"
    layout = layout_message(make_message(body=body), None, False, 800, fonts)
    start, length, _url = layout.links[0]
    assert (start, length) == (10, len("https://convos.test/ordine"))

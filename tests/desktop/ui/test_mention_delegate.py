"""Menzioni's rows: who the note is about, its ticket, when, who wrote it and what, in two
lines; unread rows with the dot and bold, read ones without (``MentionDelegate``)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QColor, QFontMetrics, QImage
from PySide6.QtWidgets import QListView, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from convos_desktop.core.mentions import Mentions
from convos_desktop.models.mentions import MentionListModel
from convos_desktop.ui import theme
from convos_desktop.ui.screens.mention_delegate import (
    DOT,
    PADDING_X,
    PADDING_Y,
    MentionDelegate,
)
from tests.desktop.core.test_live_mentions import FakeApi, mention_json

LONG_NAME = "Maria Antonietta Castelnuovo-Bevilacqua della Valle"


def shown(qtbot: QtBot, *items: dict) -> tuple[QListView, Mentions]:
    mentions = Mentions(FakeApi())  # type: ignore[arg-type]
    for item in items:
        mentions.apply(item)
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(MentionListModel(mentions, lambda _a: "Anna", lambda m, a: a, view))
    view.setItemDelegate(MentionDelegate(view))
    view.setUniformItemSizes(True)
    view.resize(420, 300)
    view.show()
    qtbot.waitExposed(view)
    return view, mentions


def dot_color(view: QListView, row: int) -> QColor:
    image = view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    rect = view.visualRect(view.model().index(row, 0))
    metrics = QFontMetrics(view.font())
    x = rect.left() + PADDING_X - 2 + DOT // 2
    y = rect.top() + PADDING_Y + metrics.height() // 2
    return QColor(image.pixel(x, y))


def test_rows_hold_two_lines_of_text(qtbot: QtBot) -> None:
    view, _ = shown(qtbot, mention_json(1))
    option = QStyleOptionViewItem()
    option.initFrom(view)
    height = MentionDelegate().sizeHint(option, view.model().index(0, 0)).height()
    assert height >= 2 * QFontMetrics(view.font()).height() + 2 * PADDING_Y
    assert view.visualRect(view.model().index(0, 0)).height() == height


def test_an_unread_mention_has_the_dot_and_a_read_one_not(qtbot: QtBot) -> None:
    view, _ = shown(qtbot, mention_json(2), mention_json(1, read=True))
    view.clearSelection()
    assert dot_color(view, 0) == theme.UNREAD  # newest first: 2, unread
    assert dot_color(view, 1) != theme.UNREAD


def test_a_long_contact_name_is_elided_and_the_ticket_number_stays(qtbot: QtBot) -> None:
    long = mention_json(1)
    long["contact"] = {"id": 5, "name": LONG_NAME}
    view, mentions = shown(qtbot, long)
    mention = mentions.items()[0]
    metrics = QFontMetrics(view.font())
    delegate = MentionDelegate()
    assert delegate.name_and_ticket(metrics, mention, 2000) == f"{LONG_NAME}  ·  #3"
    narrow = delegate.name_and_ticket(metrics, mention, 200)
    assert narrow.startswith("Maria")
    assert "…" in narrow
    assert narrow.endswith("  ·  #3")
    assert metrics.horizontalAdvance(narrow) <= 200
    unnamed = replace(mention, contact_name="", ticket_id=None)
    assert delegate.name_and_ticket(metrics, unnamed, 2000) == "Conversation 7"

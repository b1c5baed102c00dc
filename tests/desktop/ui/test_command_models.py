"""Command palette and message search without a server: ranking, highlighting, the models
(qtmodeltester), and the registry collecting actions added at any time."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMenu, QPushButton

from convos_desktop.models.commands import (
    Command,
    CommandKind,
    CommandModel,
    CommandRole,
    match_score,
    rank,
)
from convos_desktop.models.message_search import (
    MessageSearchModel,
    SearchHit,
    SearchRole,
    match_ranges,
)
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.shell.command_registry import HIDDEN_PROPERTY, CommandRegistry
from convos_desktop.ui.shell.message_search import snippet


def _command(title: str, kind: CommandKind = CommandKind.ACTION, **kw: str) -> Command:
    return Command(kind, title, lambda: None, **kw)


def test_prefix_beats_word_start_beats_inside_beats_fuzzy():
    scores = [
        match_score("set", "Settings"),
        match_score("set", "Reset settings"),
        match_score("set", "Asset list"),
        match_score("set", "Search entries"),
    ]
    assert None not in scores
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert match_score("xyz", "Settings") is None
    assert match_score("perche", "Perché no") is not None  # accents and case ignored
    assert match_score("", "anything") == 0


def test_rank_orders_by_score_then_kind_and_matches_keywords():
    commands = [
        _command("Mario Rossi", CommandKind.CONTACT),
        _command("Mario Rossi", CommandKind.TICKET, keywords="#42"),
        _command("Mine", CommandKind.SCREEN),
        _command("Finalize"),
    ]
    assert [c.kind for c in rank(commands, "mario")] == [CommandKind.TICKET, CommandKind.CONTACT]
    assert [c.title for c in rank(commands, "#42")] == ["Mario Rossi"]
    assert [c.title for c in rank(commands, "fnz")] == ["Finalize"]
    assert len(rank(commands, "")) == 4


def test_command_model(qtmodeltester):
    model = CommandModel()
    model.set_commands([_command("Settings", shortcut="Ctrl+,"), _command("About")])
    qtmodeltester.check(model)
    model.set_query("sett")
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    index = model.index(0, 0)
    assert index.data() == "Settings"
    assert index.data(CommandRole.SHORTCUT) == "Ctrl+,"
    assert index.data(CommandRole.KIND) == "action"
    model.add_commands([_command("Settle up", CommandKind.TICKET)])
    assert model.rowCount() == 2


def test_ranges_mark_every_word_ignoring_case_and_accents():
    assert match_ranges("Il rimborso? RIMBORSO perché", "rimb perche") == [
        (3, 4),
        (13, 4),
        (22, 6),
    ]
    assert match_ranges("abc", "  ") == []
    text = "x" * 100 + " trovato"
    shown, ranges = snippet(text, match_ranges(text, "trovato"))
    assert shown.startswith("…")
    assert [shown[s : s + n] for s, n in ranges] == ["trovato"]


def test_message_search_model(qtmodeltester, message_factory):
    model = MessageSearchModel()
    first = message_factory(1, body="Vorrei un rimborso")
    model.reset("rimborso", [SearchHit(first, "Mario · WhatsApp")])
    qtmodeltester.check(model)
    model.append([SearchHit(first, "again"), SearchHit(message_factory(2, body="rimborso ok"), "")])
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.index(0, 0).data(SearchRole.RANGES) == [(10, 8)]
    assert model.index(0, 0).data(SearchRole.WHERE) == "Mario · WhatsApp"


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_the_registry_collects_actions_whenever_they_are_added(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    registry = CommandRegistry(window, lambda _target: None)
    menu = QMenu("&File", window)
    window.menuBar().addMenu(menu)
    menu.addAction("&Open…").setShortcut(QKeySequence("Ctrl+O"))
    hidden = QAction("Secret", window)
    hidden.setProperty(HIDDEN_PROPERTY, True)
    window.addAction(hidden)
    disabled = QAction("Not now", window)
    disabled.setEnabled(False)
    window.addAction(disabled)
    assert [(c.title, c.shortcut) for c in registry.actions()] == [("Open", "Ctrl+O")]
    late = QAction("Late feature", window)  # added after the registry was built
    late.setShortcut(QKeySequence("Ctrl+Alt+L"))
    fired: list[bool] = []
    late.triggered.connect(lambda: fired.append(True))
    window.addAction(late)
    button = QPushButton("Finalize", window)
    button.setShortcut(QKeySequence("Ctrl+Shift+E"))
    described = QShortcut(QKeySequence("Ctrl+E"), window)
    described.setWhatsThis("Export CSV")
    window.addAction(QAction("Finalize", window))  # same title without a key: left out
    window.show()
    assert [c.title for c in registry.actions()].count("Finalize") == 1
    titles = {c.title: c for c in registry.actions()}
    assert set(titles) == {"Open", "Late feature", "Finalize", "Export CSV"}
    titles["Late feature"].run()
    assert fired == [True]
    assert registry.shortcuts()[0] == ("Export CSV", "Ctrl+E")
    assert {c.title for c in registry.screens()} >= {"Mine", "Conversations"}
    assert len(registry.screens()) == len(NavTarget)

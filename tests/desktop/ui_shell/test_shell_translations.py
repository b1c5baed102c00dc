"""The shell's Italian catalogue covers every string of the shell modules and really loads."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QTranslator

import convos_desktop
from convos_desktop.core.types import Status
from convos_desktop.ui.chat.chat_header import ChatHeader
from convos_desktop.ui.errors import failed_send_sentence
from convos_desktop.ui.i18n import TRANSLATIONS_DIR, install_translators
from convos_desktop.ui.shell.header_bar import HeaderBar
from convos_desktop.ui.shell.login_dialog import LoginDialog
from convos_desktop.ui.workspace.ticket_actions import TicketAction

PACKAGE = Path(convos_desktop.__file__).parent
SHELL_MODULES = (
    "ui/shell/login_dialog.py",
    "ui/shell/header_bar.py",
    "ui/chat/chat_header.py",
    "ui/workspace/ticket_actions.py",
    "ui/shell/main_window.py",
    "ui/screens/new_ticket.py",
    "ui/workspace/workspace.py",
    "ui/tasks.py",
    "ui/errors.py",
    "ui/chat/chat_view.py",
    "ui/chat/message_delegate.py",
    "ui/workspace/ticket_delegate.py",
    "ui/formatting.py",
    "models/navigation.py",
)
TRANSLATE_NAMES = {"tr", "translate", "_tr"}


def catalogue() -> set[tuple[str, str]]:
    """(context, source) of every Italian catalogue: Qt searches all the installed ones."""
    return {
        (context.findtext("name") or "", message.findtext("source") or "")
        for ts_file in sorted(TRANSLATIONS_DIR.glob("*_it.ts"))
        for context in ET.parse(ts_file).getroot().iter("context")
        for message in context.iter("message")
    }


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _helper_context(tree: ast.Module) -> str | None:
    """The fixed context of a module-level ``tr(text)`` helper around ``translate``."""
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            if len(call.args) == 2 and _literal(call.args[0]) and not _literal(call.args[1]):
                return _literal(call.args[0])
    return None


def source_strings(module: str) -> set[tuple[str, str]]:
    """(context, text) of every translated literal of ``module``."""
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    helper = _helper_context(tree)
    found: set[tuple[str, str]] = set()

    def visit(node: ast.AST, cls: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            context = child.name if isinstance(child, ast.ClassDef) else cls
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute | ast.Name):
                name = child.func.attr if isinstance(child.func, ast.Attribute) else child.func.id
                texts = [_literal(a) for a in child.args[:2]]
                if name in TRANSLATE_NAMES and len(texts) == 2 and all(texts):
                    found.add((texts[0] or "", texts[1] or ""))
                elif name in ("tr", "_tr") and len(texts) == 1 and texts[0]:
                    is_method = isinstance(child.func, ast.Attribute)
                    owner = context if is_method else helper
                    assert owner, f"{module}: no context for {texts[0]!r}"
                    found.add((owner, texts[0]))
            visit(child, context)

    visit(tree, None)
    return found


@pytest.fixture
def italian(qapp, tmp_path):
    """Only the committed shell catalogue (and qtbase_it), as the app installs it."""
    (tmp_path / "shell_it.qm").write_bytes((TRANSLATIONS_DIR / "shell_it.qm").read_bytes())
    install_translators(qapp, "it", tmp_path)
    yield
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.setParent(None)


def test_the_shell_speaks_italian(qtbot, tmp_path, italian):
    header = HeaderBar(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(header)
    labels = [header.status_combo.itemText(i) for i in range(header.status_combo.count())]
    assert labels == ["Online", "Occupato", "Non disponibile"]
    chat_header = ChatHeader()
    qtbot.addWidget(chat_header)
    shell_actions = (
        TicketAction.ASSIGN,
        TicketAction.UNASSIGN,
        TicketAction.CLOSE,
        TicketAction.REOPEN,
    )  # Snooze and Wake up are in snooze15_it.ts, not installed here
    texts = {chat_header.buttons[action].text() for action in shell_actions}
    assert texts == {"Assegna a me", "Rimuovi assegnazione", "Finalizza", "Riattiva"}
    dialog = LoginDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Accedi a Convos"
    assert QCoreApplication.translate("Navigation", "Mine") == "La tua posta"
    assert failed_send_sentence("ticket_closed") == "Non inviato: il ticket è chiuso"
    header.set_chosen(Status.BUSY)
    assert header.status_combo.currentText() == "Occupato"

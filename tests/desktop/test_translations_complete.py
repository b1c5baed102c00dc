"""Every translated literal of the app has an Italian entry in one of the committed catalogues.

The catalogues are split by area (``shell_it.ts``, ``ui_widgets_it.ts``, ...); Qt searches every
installed one, so a string may live in any of them. This test reads every module of the package,
so a new screen cannot ship English in the Italian UI by forgetting its catalogue.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import convos_desktop
from convos_desktop.ui.i18n import TRANSLATIONS_DIR

PACKAGE = Path(convos_desktop.__file__).parent
TRANSLATE_NAMES = {"tr", "translate", "_tr"}


def all_catalogues() -> set[tuple[str, str]]:
    """(context, source) of every message of every committed Italian catalogue."""
    entries: set[tuple[str, str]] = set()
    for source in sorted(TRANSLATIONS_DIR.glob("*_it.ts")):
        root = ET.parse(source).getroot()
        for context in root.iter("context"):
            name = context.findtext("name") or ""
            for message in context.iter("message"):
                translation = message.find("translation")
                if translation is None:
                    continue
                forms = [translation.text or ""] + [f.text or "" for f in translation]
                if any(form.strip() for form in forms):  # plain, or plural forms (%n)
                    entries.add((name, message.findtext("source") or ""))
    return entries


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _helper_context(tree: ast.Module) -> str | None:
    """The fixed context of a module-level ``tr(text)`` helper around ``translate``."""
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            if len(call.args) == 2 and _literal(call.args[0]) and not _literal(call.args[1]):
                return _literal(call.args[0])
    return None


def translated_literals(path: Path) -> set[tuple[str, str]]:
    """(context, text) of every literal ``tr``/``translate`` call of one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
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
                    owner = context if isinstance(child.func, ast.Attribute) else helper
                    assert owner, f"{path.name}: no context for {texts[0]!r}"
                    found.add((owner, texts[0]))
            visit(child, context)

    visit(tree, None)
    return found


MODULES = sorted(
    p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "resources" not in p.parts
)


@pytest.mark.parametrize("module", MODULES)
def test_every_translated_string_has_an_italian_entry(module):
    missing = translated_literals(PACKAGE / module) - all_catalogues()
    assert not missing, f"{module}: no Italian entry for {sorted(missing)}"


def test_the_scan_finds_the_known_strings():
    """The scanner itself works: it sees a string every build has."""
    found = translated_literals(PACKAGE / "ui" / "shell" / "header_bar.py")
    assert {("HeaderBar", "Busy"), ("HeaderBar", "Online")} <= found
    assert ("HeaderBar", "Busy") in all_catalogues()

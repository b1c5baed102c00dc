"""Language choice, translator installation, and committed catalogues kept compiled."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from convos_desktop.ui.i18n import (
    TRANSLATIONS_DIR,
    UnsupportedLanguageError,
    catalogues,
    choose_language,
    compile_all,
    compile_catalogue,
    install_translators,
)


@pytest.fixture
def clean_translators(qapp: QApplication) -> Iterator[QApplication]:
    """Remove what a test installed and restore the default locale."""
    locale = QLocale()
    yield qapp
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.setParent(None)
    QLocale.setDefault(locale)


@pytest.fixture
def compiled_dir(tmp_path: Path) -> Path:
    """Every committed .ts of the app compiled into a temporary folder."""
    for source in TRANSLATIONS_DIR.glob("*.ts"):
        shutil.copy(source, tmp_path / source.name)
    compile_all(directory=tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("override", "system", "expected"),
    [
        ("it", QLocale.Language.English, "it"),
        (" IT ", QLocale.Language.English, "it"),
        ("en", QLocale.Language.Italian, "en"),
        (None, QLocale.Language.Italian, "it"),
        (None, QLocale.Language.German, "en"),
        (None, QLocale.Language.English, "en"),
    ],
)
def test_language_comes_from_the_override_or_the_system(override, system, expected):
    assert choose_language(override, QLocale(system)) == expected


def test_an_unknown_language_is_a_clear_error():
    with pytest.raises(UnsupportedLanguageError, match=r"'fr'.*en, it"):
        choose_language("fr")


def test_italian_strings_come_out_italian(clean_translators, compiled_dir):
    assert catalogues("it", compiled_dir)
    assert install_translators(clean_translators, "it", compiled_dir) == "it"
    assert QCoreApplication.translate("EmojiPicker", "Recent") == "Recenti"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Annulla"  # qtbase_it
    assert QLocale().language() == QLocale.Language.Italian
    installed = clean_translators.findChildren(QTranslator)
    assert len(installed) == len(catalogues("it", compiled_dir)) + 1


def test_english_installs_nothing(clean_translators, compiled_dir):
    assert install_translators(clean_translators, "en", compiled_dir) == "en"
    assert QCoreApplication.translate("EmojiPicker", "Recent") == "Recent"
    assert clean_translators.findChildren(QTranslator) == []


def test_a_broken_catalogue_is_skipped(clean_translators, compiled_dir):
    (compiled_dir / "broken_it.qm").write_bytes(b"not a catalogue")
    assert install_translators(clean_translators, "it", compiled_dir) == "it"
    assert QCoreApplication.translate("EmojiPicker", "Recent") == "Recenti"


def test_compile_errors_name_the_file(tmp_path):
    source = tmp_path / "bad_it.ts"
    source.write_text("<TS><context>", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"bad_it\.ts"):
        compile_catalogue(source, tmp_path / "bad_it.qm")


def test_every_committed_catalogue_is_compiled_from_its_current_source(tmp_path):
    compiled = sorted(TRANSLATIONS_DIR.glob("*.qm"))
    for committed in compiled:
        source = committed.with_suffix(".ts")
        assert source.is_file(), f"{committed.name} has no .ts source"
        fresh = compile_catalogue(source, tmp_path / committed.name)
        assert fresh.read_bytes() == committed.read_bytes(), (
            f"{committed.name} is stale: run python -m convos_desktop.ui.i18n {source.name}"
        )

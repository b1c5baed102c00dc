"""Translations: choose Italian or English, install every compiled catalogue of the app.

The sources are English, so English needs no catalogue. Italian installs Qt's own
``qtbase_it`` (standard buttons, context menus) when the Qt build ships it, then every
``*_it.qm`` of ``resources/translations`` (one per team area: ``ui_widgets_it``,
``shell_it``, ...). The ``.qm`` files are compiled from the hand-written ``.ts`` sources with
``pyside6-lrelease`` and committed; ``python -m convos_desktop.ui.i18n`` recompiles them and a
test checks that they are up to date.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from convos_desktop.resources import translations_dir

log = logging.getLogger("convos.i18n")

TRANSLATIONS_DIR = translations_dir()  # one place: convos_desktop/resources.py
SUPPORTED_LANGUAGES = ("en", "it")
SOURCE_LANGUAGE = "en"


class UnsupportedLanguageError(ValueError):
    """A language override the app has no translation for."""


def choose_language(override: str | None, system: QLocale | None = None) -> str:
    """``override`` when given (``it`` or ``en``), else Italian for an Italian system locale."""
    if override is not None:
        language = override.strip().lower()
        if language not in SUPPORTED_LANGUAGES:
            supported = ", ".join(SUPPORTED_LANGUAGES)
            raise UnsupportedLanguageError(
                f"no translation for {override!r}; use one of {supported}"
            )
        return language
    locale = system if system is not None else QLocale.system()
    return "it" if locale.language() == QLocale.Language.Italian else SOURCE_LANGUAGE


def catalogues(language: str, directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """The app's compiled catalogues of ``language``, in a stable order."""
    return sorted(directory.glob(f"*_{language}.qm"))


def install_translators(
    app: QCoreApplication, lang: str | None, directory: Path = TRANSLATIONS_DIR
) -> str:
    """Install the translators of the chosen language on ``app``; return the language.

    Translators are children of ``app`` (they live as long as it does). A catalogue that does
    not load is logged and skipped: the strings stay English rather than the app failing.
    """
    language = choose_language(lang)
    locale = QLocale(
        QLocale.Language.Italian if language == "it" else QLocale.Language.English,
        QLocale.Country.Italy if language == "it" else QLocale.Country.UnitedKingdom,
    )
    QLocale.setDefault(locale)
    if language == SOURCE_LANGUAGE:
        return language
    qt_translations = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    for path in [qt_translations / f"qtbase_{language}.qm", *catalogues(language, directory)]:
        if not path.is_file():
            log.info("no translation file %s", path)
            continue
        translator = QTranslator(app)
        if translator.load(str(path)):
            app.installTranslator(translator)
            log.debug("installed translation %s", path.name)
        else:
            log.warning("could not load translation %s", path)
            translator.deleteLater()
    return language


def lrelease_path() -> Path:
    """The ``pyside6-lrelease`` next to the running Python."""
    name = "pyside6-lrelease.exe" if sys.platform == "win32" else "pyside6-lrelease"
    return Path(sys.executable).parent / name


def compile_catalogue(source: Path, target: Path) -> Path:
    """Compile one ``.ts`` into ``target`` (``.qm``); raise with lrelease's output on error."""
    result = subprocess.run(
        [str(lrelease_path()), "-silent", str(source), "-qm", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not target.is_file():
        raise RuntimeError(f"lrelease failed on {source.name}: {result.stderr or result.stdout}")
    return target


def compile_all(names: Sequence[str] = (), directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile the named ``.ts`` files (all when none are named) next to their sources."""
    sources = [directory / n for n in names] if names else sorted(directory.glob("*.ts"))
    return [compile_catalogue(source, source.with_suffix(".qm")) for source in sources]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m convos_desktop.ui.i18n [name.ts ...]``: recompile the catalogues."""
    for path in compile_all(list(argv if argv is not None else sys.argv[1:])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Desktop test set-up: an in-memory keyring for every test (never the real OS keyring)."""

import gc
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps passwords in a dict for the duration of one test."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Install a fresh in-memory keyring backend."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def restore_language() -> Iterator[None]:
    """Undo what a test did to the default locale and the installed translators."""
    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

    locale = QLocale()
    yield
    QLocale.setDefault(locale)
    app = QCoreApplication.instance()
    if app is not None:
        for translator in app.findChildren(QTranslator):
            QCoreApplication.removeTranslator(translator)
            translator.setParent(None)


@pytest.fixture(autouse=True)
def collect_qt_garbage() -> Iterator[None]:
    """Destroy what a test left in reference cycles here, on the GUI thread.

    Otherwise the cyclic collector runs whenever a later allocation triggers it, possibly in
    a worker thread (the store's writer, an executor): a QTimer destroyed there warns
    ("Timers cannot be stopped from another thread") and a widget destroyed there crashes.
    """
    yield
    gc.collect()

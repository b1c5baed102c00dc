"""Issue 10 (item 9): without a keyring, the login dialog says "Remember me" cannot work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from convos_desktop.core.session import Profile, has_keyring
from convos_desktop.ui.shell.login_dialog import LoginDialog


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The system's state when no keyring service runs: keyring's own "fail" backend."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


async def test_the_keyring_check_tells_a_real_keyring_from_none(no_keyring: None) -> None:
    assert not await has_keyring()


async def test_a_memory_keyring_counts_as_a_keyring() -> None:
    assert await has_keyring()  # the tests' in-memory backend


def test_without_a_keyring_the_dialog_says_remember_me_cannot_work(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = LoginDialog(Profile("", "https://convos.test", "anna@convos.test"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.remember.isChecked()
    assert not dialog.no_keyring.isVisible()
    dialog.set_keyring_available(False)
    assert dialog.no_keyring.isVisible()
    assert "cannot remember" in dialog.no_keyring.text()
    assert not dialog.remember.isChecked()
    assert not dialog.remember.isEnabled()
    assert dialog.grab().save(str(tmp_path / "login_no_keyring.png"))

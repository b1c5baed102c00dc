"""The login dialog against the real demo server: success, wrong password, unreachable."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from convos_desktop.core.session import KEYRING_SERVICE, Profile, Session
from convos_desktop.embedded_demo import start_demo_server
from convos_desktop.ui.shell.login_dialog import LoginDialog


async def wait_until(predicate: Callable[[], bool], seconds: float = 20) -> None:
    """Let the loop run (Qt and asyncio) until ``predicate`` holds; fail after ``seconds``."""
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still false after {seconds} s")


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_dialog(qtbot, server_url: str, email: str, password: str) -> LoginDialog:
    dialog = LoginDialog(Profile("", server_url, email))
    qtbot.addWidget(dialog)
    dialog.password.setText(password)
    dialog.open()
    return dialog


async def test_good_login_emits_the_session_and_saves_the_token(qtbot, demo_server, shoot):
    credentials = demo_server.credentials
    dialog = make_dialog(qtbot, demo_server.url, credentials.email, credentials.password)
    emitted: list[tuple[Session, bool]] = []
    dialog.loggedIn.connect(lambda session, remember: emitted.append((session, remember)))
    shoot(dialog, "login_filled")
    QTest.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter submits
    assert not dialog.login_button.isEnabled()  # busy while the request runs
    await wait_until(lambda: bool(emitted))
    session, remember = emitted[0]
    try:
        assert session.me is not None
        assert session.me.email == "demo@convos.test"
        assert remember
        assert keyring.get_password(KEYRING_SERVICE, session.profile.keyring_user)
        assert dialog.result() == LoginDialog.DialogCode.Accepted
    finally:
        await session.close()


async def test_wrong_password_says_so_and_keeps_the_form(qtbot, demo_server, shoot):
    email = demo_server.credentials.email
    dialog = make_dialog(qtbot, demo_server.url, email, "not the password")
    dialog.submit()
    await wait_until(lambda: dialog.login_button.isEnabled())
    assert dialog.error.text() == "Wrong e-mail or password."
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.password.text() == "not the password"
    assert dialog.email.text() == email
    assert dialog.result() != LoginDialog.DialogCode.Accepted
    shoot(dialog, "login_wrong_password")


async def test_throttled_login_says_how_long_to_wait(qtbot, tmp_path, monkeypatch, shoot):
    # One free failure, then a first lock of a minute: no test timing can outlast it.
    monkeypatch.setenv("CONVOS_LOGIN_ACCOUNT_FREE", "1")
    monkeypatch.setenv("CONVOS_LOGIN_FIRST_LOCK", "60")
    server = await start_demo_server(tmp_path / "demo")
    try:
        email = server.credentials.email
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for _ in range(2):
                wrong = {"email": email, "password": "guess"}
                assert (await http.post("/api/v1/auth/login", json=wrong)).status_code == 401
        dialog = make_dialog(qtbot, server.url, email, server.credentials.password)
        dialog.submit()
        await wait_until(lambda: dialog.login_button.isEnabled())
        assert dialog.error.text() in {
            f"Too many failed sign-ins. Try again in {seconds} seconds." for seconds in range(2, 61)
        }
        assert dialog.result() != LoginDialog.DialogCode.Accepted
        shoot(dialog, "login_throttled")
    finally:
        await server.stop()


async def test_unused_port_is_reported_unreachable(qtbot, shoot):
    url = f"http://127.0.0.1:{unused_port()}"
    dialog = make_dialog(qtbot, url, "demo@convos.test", "demo")
    dialog.submit()
    await wait_until(lambda: dialog.login_button.isEnabled())
    assert "Cannot reach the server" in dialog.error.text()
    assert url in dialog.error.text()
    assert dialog.server.text() == url
    shoot(dialog, "login_unreachable")


@pytest.mark.parametrize(
    ("server", "email", "password", "expected"),
    [
        ("ftp://convos.test", "a@b.it", "x", "http:// or https://"),
        ("convos.test", "a@b.it", "x", "http:// or https://"),
        ("https://convos.test", "anna", "x", "e-mail"),
        ("https://convos.test", "a@b.it", "", "password"),
    ],
)
async def test_bad_input_is_refused_before_any_request(qtbot, server, email, password, expected):
    dialog = make_dialog(qtbot, server, email, password)
    dialog.submit()
    assert expected in dialog.error.text()
    assert dialog.login_button.isEnabled()
    assert dialog.server.text() == server

"""The ``convos-server`` command and the settings it builds from the environment."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from convos_server.cli import fastest_loop_factory
from convos_server.config import Settings


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convos_server", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for_health(url: str) -> httpx.Response:
    """The health answer, once the server accepts connections (it is bound already)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.get(f"{url}/api/v1/health", timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_on_port_0_prints_its_url_first_and_serves(tmp_path):
    created = run_cli(
        "create-admin", "--email", "boss@convos.test", "--password", "pw", data_dir=tmp_path
    )
    assert created.returncode == 0, created.stderr
    command = [sys.executable, "-m", "convos_server", "serve", "--port", "0"]
    with subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            first_line = server.stdout.readline().strip()
            assert first_line.startswith("Convos server listening on http://127.0.0.1:"), first_line
            url = first_line.rsplit(" ", 1)[1]
            assert wait_for_health(url).json()["status"] == "ok"
            login = httpx.post(
                f"{url}/api/v1/auth/login", json={"email": "boss@convos.test", "password": "pw"}
            )
            assert login.status_code == 200
            assert login.json()["agent"]["role"] == "admin"
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert (tmp_path / "convos.db").exists()


def test_create_admin_refuses_an_empty_password(tmp_path):
    result = run_cli("create-admin", "--email", "a@b.c", "--password", "", data_dir=tmp_path)
    assert result.returncode != 0
    assert "password" in result.stderr


def test_settings_from_env_and_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CONVOS_PRESENCE_TTL", "60")
    monkeypatch.setenv("CONVOS_MAX_UPLOAD", "1000")
    monkeypatch.delenv("CONVOS_DATABASE_URL", raising=False)
    settings = Settings.from_env(keepalive_s=5.0, presence_ttl_s=None)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'convos.db'}"
    assert (settings.presence_ttl_s, settings.presence_sweep_s) == (60.0, 5.0)
    assert (settings.max_upload_bytes, settings.keepalive_s) == (1000, 5.0)
    assert Settings.from_env(presence_ttl_s=1.0).presence_sweep_s == 0.2
    monkeypatch.setenv("CONVOS_KEEPALIVE", "soon")
    with pytest.raises(ValueError, match="CONVOS_KEEPALIVE"):
        Settings.from_env()


def test_login_throttling_settings_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVOS_DATA_DIR", str(tmp_path))
    for variable, value in (
        ("CONVOS_LOGIN_ACCOUNT_FREE", "0"),
        ("CONVOS_LOGIN_ADDRESS_FREE", "50"),
        ("CONVOS_LOGIN_WINDOW", "60"),
        ("CONVOS_LOGIN_FIRST_LOCK", "2"),
        ("CONVOS_LOGIN_MAX_LOCK", "30"),
    ):
        monkeypatch.setenv(variable, value)
    settings = Settings.from_env()
    assert (settings.login_account_free, settings.login_address_free) == (0, 50)
    assert (settings.login_window_s, settings.login_first_lock_s) == (60.0, 2.0)
    assert settings.login_max_lock_s == 30.0


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not exist on Windows")
def test_serve_runs_on_uvloop_where_it_is_installed():
    factory = fastest_loop_factory()
    assert factory is not None, "uvicorn[standard] should bring uvloop"
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()

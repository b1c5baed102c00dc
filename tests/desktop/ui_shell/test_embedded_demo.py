"""The embedded demo server starts, answers, names its demo agent and stops."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from convos_desktop import embedded_demo
from convos_desktop.embedded_demo import (
    FALLBACK_CREDENTIALS,
    DemoCredentials,
    DemoServerError,
    parse_agent_credentials,
    start_demo_server,
)


async def test_demo_server_answers_health_and_stops(demo_server):
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"{demo_server.url}/api/v1/health")
    assert answer.status_code == 200
    assert demo_server.url.startswith("http://127.0.0.1:")
    assert demo_server.credentials == DemoCredentials("demo@convos.test", "demo")
    await demo_server.stop()
    assert not demo_server.running
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=5) as client:
            await client.get(f"{demo_server.url}/api/v1/health")


async def test_temporary_data_dir_is_removed_on_stop():
    server = await start_demo_server(None)
    assert server.data_dir.is_dir()
    await server.stop()
    assert not server.data_dir.exists()


def test_credentials_parsing_picks_the_first_agent_and_falls_back():
    banner = [
        "  admin  admin@convos.test / admin   (Amministratore)",
        "  agent  giulia@convos.test / s3cret   (Giulia Demo)",
        "  agent  marco@convos.test / demo   (Marco)",
        "  data dir: /tmp/x",
    ]
    assert parse_agent_credentials(banner) == DemoCredentials("giulia@convos.test", "s3cret")
    assert parse_agent_credentials(["garbage", ""]) == FALLBACK_CREDENTIALS


async def test_a_server_that_fails_reports_its_stderr(tmp_path: Path, monkeypatch):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("not a data dir", encoding="utf-8")
    with pytest.raises(DemoServerError) as caught:
        await start_demo_server(not_a_dir)
    assert "exited" in str(caught.value)
    assert len(str(caught.value).splitlines()) > 1  # the stderr tail follows


async def test_a_silent_server_times_out(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(
        embedded_demo,
        "demo_command",
        lambda directory: [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    with pytest.raises(DemoServerError, match=r"no address within 0\.5 s"):
        await start_demo_server(tmp_path, start_timeout=0.5)

"""A ``convos-server demo`` subprocess on a loopback port, for tests that fuzz the real server.

The demo workspace has teams, inboxes, tickets, messages and files, so generated ids and
filters hit real rows. The process stops with SIGINT (its data folder is pytest's).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ADMIN = {"email": "admin@convos.test", "password": "admin"}
AGENT = {"email": "demo@convos.test", "password": "demo"}


@dataclass(frozen=True)
class DemoServer:
    """The base URL of a running demo server and bearer tokens of its admin and demo agent."""

    url: str
    admin_token: str
    agent_token: str


def _login(url: str, credentials: dict[str, str], deadline: float) -> str:
    while True:
        try:
            response = httpx.post(f"{url}/api/v1/auth/login", json=credentials, timeout=10)
            response.raise_for_status()
            return str(response.json()["token"])
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the demo server never answered"
            time.sleep(0.1)


@contextlib.contextmanager
def running_demo(data_dir: Path) -> Iterator[DemoServer]:
    """Start a demo server without the customer simulator; stop it afterwards."""
    command = [sys.executable, "-m", "convos_server", "demo", "--port", "0", "--no-simulator"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("Convos demo listening on "), first
        url = first.removeprefix("Convos demo listening on ")
        deadline = time.monotonic() + 60
        yield DemoServer(url, _login(url, ADMIN, deadline), _login(url, AGENT, deadline))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

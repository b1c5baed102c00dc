"""End-to-end fixtures: the real server as a subprocess on a loopback port, seeded through
its CLI and admin API, and the real desktop core (store, sync, outbox) talking to it.

``server`` starts ``python -m convos_server serve --host 127.0.0.1 --port 0`` on a temporary
data dir, reads the URL from its first stdout line, and can be stopped and started again on
the same port and data (a server restart). ``workspace`` holds an admin, a team, an agent
("Anna", in the team), an inbox and its ingress key.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from convos_desktop.core.api import ApiClient
from convos_desktop.core.events import Backoff
from convos_desktop.core.outbox import Outbox
from convos_desktop.core.store import Store
from convos_desktop.core.sync import Sync
from convos_desktop.core.types import Agent, ConnectionState, Screen, Status
from tests.desktop.conftest import memory_keyring

__all__ = ["memory_keyring"]  # the in-memory keyring fixture, for the session tests

ADMIN_EMAIL = "admin@example.com"
AGENT_EMAIL = "anna@example.com"
PASSWORD = "correct horse battery staple"
URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+)")


class ServerProcess:
    """The Convos server in a subprocess; restartable on the same port and data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._log = (data_dir / "server.log").open("a", encoding="utf-8")

    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "convos_server", *args, "--data-dir", str(self.data_dir)]

    def create_admin(self) -> None:
        subprocess.run(
            self._command("create-admin", "--email", ADMIN_EMAIL, "--password", PASSWORD),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._process = subprocess.Popen(
            self._command("serve", "--host", "127.0.0.1", "--port", str(self.port)),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        assert self._process.stdout is not None
        first_line = self._process.stdout.readline()
        match = URL_LINE.search(first_line)
        if match is None:
            self.stop()
            raise RuntimeError(f"server did not print its URL: {first_line!r}")
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become healthy")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    def close(self) -> None:
        self.stop()
        self._log.close()


@dataclass
class Workspace:
    """What the seed made: ids, the ingress key, and an admin API client."""

    server: ServerProcess
    admin: ApiClient
    agent_id: int
    team_id: int
    inbox_id: int
    api_key: str

    async def customer_says(
        self, text: str, external_id: str = "wa-39333", *, handoff: bool = False
    ) -> dict[str, Any]:
        """A customer message through channel ingress (what a chatbot gateway posts)."""
        async with httpx.AsyncClient(base_url=self.server.url + "/api/v1") as client:
            response = await client.post(
                f"/channels/{self.inbox_id}/messages",
                headers={"X-Api-Key": self.api_key},
                json={
                    "contact": {"external_id": external_id, "name": "Mario Rossi"},
                    "text": text,
                    "handoff": handoff,
                },
            )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def agent_api(self) -> ApiClient:
        """A fresh login of the agent Anna."""
        api = ApiClient(self.server.url)
        await api.login(AGENT_EMAIL, PASSWORD, "e2e")
        return api


def running_server(data_dir: Path) -> Iterator[ServerProcess]:
    """A server subprocess with an admin, running until the generator is closed."""
    process = ServerProcess(data_dir)
    try:
        process.create_admin()
        process.start()
        yield process
    finally:
        process.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A running server subprocess (killed at the end)."""
    yield from running_server(tmp_path / "server-data")


async def seed_workspace(server: ServerProcess) -> Workspace:
    """Seed a team, an agent in it and an inbox of the team through the admin API of
    ``server`` (the admin exists); close its ``admin`` client at the end."""
    admin = ApiClient(server.url)
    await admin.login(ADMIN_EMAIL, PASSWORD)
    team = await admin.create_team("Assistenza")
    agent = await create_agent(admin, "Anna", AGENT_EMAIL, PASSWORD)
    await update_agent(admin, agent.id, {"team_ids": [team.id]})
    inbox = await admin.create_inbox(
        {"name": "WhatsApp", "channel": "whatsapp", "team_id": team.id, "assignment": "manual"}
    )
    return Workspace(server, admin, agent.id, team.id, inbox["id"], inbox["api_key"])


@pytest.fixture
async def workspace(server: ServerProcess) -> AsyncIterator[Workspace]:
    """Seed a team, an agent in it and an inbox of the team through the admin API."""
    seeded = await seed_workspace(server)
    yield seeded
    await seeded.admin.aclose()


FAST_BACKOFF = Backoff(base=0.05, cap=0.5, healthy_after=1.0)


@dataclass
class Client:
    """The desktop core of one app run: store, sync and outbox on one cache file."""

    store: Store
    api: ApiClient
    sync: Sync
    outbox: Outbox

    async def close(self) -> None:
        await self.outbox.stop()
        await self.sync.stop()
        await self.api.aclose()
        self.store.close()


async def open_client(cache: Path, server_url: str, token: str) -> Client:
    """Start the core the way the app does: cache first, then the stream, then the outbox."""
    store = Store(cache)
    api = ApiClient(server_url, token)
    sync = Sync(store, api, backoff=FAST_BACKOFF)
    outbox = Outbox(store, api, sync, backoff=FAST_BACKOFF)
    sync.start()
    outbox.start()
    return Client(store, api, sync, outbox)


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]], within: float = 20.0, what: str = ""
) -> None:
    """Poll ``predicate`` on the loop until it holds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


async def connected(client: Client) -> None:
    """Wait until the event stream is connected."""
    await wait_until(
        lambda: client.sync.connection_state is ConnectionState.CONNECTED, what="connected"
    )


async def create_agent(admin: ApiClient, name: str, email: str, password: str) -> Agent:
    """Create an agent through the admin's client (the app has no agents screen yet)."""
    payload = {"name": name, "email": email, "password": password, "role": "agent"}
    return Agent.from_json(await admin.request("POST", "/agents", json=payload))


async def update_agent(admin: ApiClient, agent_id: int, changes: dict[str, Any]) -> Agent:
    """Edit an agent through the admin's client."""
    return Agent.from_json(await admin.request("PATCH", f"/agents/{agent_id}", json=changes))


async def take_ticket(api: ApiClient, ticket_id: int) -> None:
    """Go online and assign the ticket to me (needed before replying)."""
    await api.put_presence(Status.ONLINE, Screen.CONVERSATIONS)
    await api.assign(ticket_id)

"""Backup and restore on PostgreSQL, the way docs/deployment.md says, with real clients.

A server on PostgreSQL; an agent's client syncs, sends, attaches a file. Backup: ``pg_dump``
while the server runs, then a copy of the file store. Work goes on after the backup (it will
be lost), then the disaster: the server is gone. Restore: ``pg_restore`` into a fresh
database, the files copied back, ``convos-server after-restore``, the server started on it,
and new work arrives. Two clients resume from their caches: one from a cursor taken at the
backup (the server resumes it), one that synced after the backup (its cursor names no event
of the restored database: ``reset``, a fresh snapshot, the lost messages gone from its cache).
Both end with the server's state, and the file downloads with its bytes.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from convos_desktop.core.types import View
from tests.e2e.conftest import (
    Client,
    ServerProcess,
    Workspace,
    connected,
    open_client,
    running_server,
    take_ticket,
    wait_until,
)
from tests.server.conftest import fresh_postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PDF = b"%PDF-1.4\n% Convos backup test\n%%EOF\n"


def libpq(url: str) -> str:
    """The libpq DSN of an SQLAlchemy URL (what pg_dump and pg_restore take)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def run(*command: str) -> str:
    """Run a command off the event loop; its output (``CalledProcessError`` on failure)."""
    done = await asyncio.to_thread(
        subprocess.run, command, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout


def tools() -> tuple[str, str]:
    dump, restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if dump is None or restore is None:
        pytest.skip("pg_dump/pg_restore not installed")
    return dump, restore


@pytest.fixture
async def original_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def restored_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, original_url: str
) -> Iterator[ServerProcess]:
    """The e2e server on the original PostgreSQL database."""
    monkeypatch.setenv("CONVOS_DATABASE_URL", original_url)
    yield from running_server(tmp_path / "server-data")


def bodies(client: Client, conversation_id: int) -> list[str]:
    return [m.body for m in client.store.messages_page(conversation_id, limit=1000)]


async def server_bodies(ws: Workspace, conversation_id: int) -> list[str]:
    page = await ws.admin.messages(conversation_id, limit=200)
    assert not page.has_more
    return [m.body for m in page.items]


async def test_dump_restore_into_a_fresh_database_and_clients_resume(
    workspace: Workspace,
    original_url: str,
    restored_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pg_dump, pg_restore = tools()
    answer = await workspace.customer_says("Vorrei parlare con un operatore", handoff=True)
    ticket_id, conversation_id = answer["ticket_id"], answer["conversation_id"]
    api = await workspace.agent_api()
    assert api.token is not None
    cache, cache_at_backup = tmp_path / "cache.sqlite3", tmp_path / "cache-at-backup.sqlite3"
    client = await open_client(cache, workspace.server.url, api.token)
    await connected(client)
    await take_ticket(api, ticket_id)
    attachment = await api.upload_file("fattura.pdf", PDF)
    await client.outbox.send(conversation_id, "Ecco la fattura", file_ids=[attachment.id])
    await client.outbox.send(conversation_id, "Prima del backup")
    await workspace.customer_says("Grazie")
    await wait_until(lambda: "Grazie" in bodies(client, conversation_id), what="synced")
    await wait_until(lambda: client.store.outbox_items() == [], what="delivered")
    await client.close()
    shutil.copyfile(cache, cache_at_backup)  # this app stays closed until after the restore

    # Backup: the database first (a consistent snapshot, the server running), then the files
    # (a copy taken after the dump holds every file the dump knows).
    dump = tmp_path / "convos.dump"
    await run(pg_dump, "-Fc", "-f", str(dump), libpq(original_url))
    shutil.copytree(workspace.server.data_dir / "files", tmp_path / "backup-files")

    # Work after the backup: it reaches the other client, and is lost in the disaster.
    client = await open_client(cache, workspace.server.url, api.token)
    await connected(client)
    await client.outbox.send(conversation_id, "Dopo il backup")
    await workspace.customer_says("Anche questo si perde")
    await wait_until(lambda: "Anche questo si perde" in bodies(client, conversation_id))
    await wait_until(lambda: client.store.outbox_items() == [], what="delivered")
    lost_cursor = client.store.event_seq()
    await client.close()
    workspace.server.stop()

    # Restore into a fresh database, files back, skip the event ids, start on the same port.
    await run(pg_restore, "--no-owner", "--exit-on-error", "-d", libpq(restored_url), str(dump))
    data_dir = tmp_path / "restored-data"
    shutil.copytree(tmp_path / "backup-files", data_dir / "files")
    monkeypatch.setenv("CONVOS_DATABASE_URL", restored_url)
    restored = ServerProcess(data_dir)
    assert "next event" in await run(*restored._command("after-restore"))
    restored.port = workspace.server.port
    restored.start()
    try:
        # New work on the restored server before any client is back: enough events to pass
        # every cursor a client holds, were the ids not skipped.
        for i in range(6):
            await workspace.customer_says(f"Dopo il ripristino {i}")
        expected = await server_bodies(workspace, conversation_id)
        assert "Dopo il backup" not in expected
        assert "Prima del backup" in expected

        resets: list[bool] = []
        resumed = await open_client(cache_at_backup, restored.url, api.token)
        lost = await open_client(cache, restored.url, api.token)
        lost.sync.history_reset.connect(lambda: resets.append(True))
        assert lost.store.event_seq() == lost_cursor
        try:
            for each in (resumed, lost):
                await connected(each)
                await wait_until(
                    lambda each=each: "Dopo il ripristino 5" in bodies(each, conversation_id),
                    what="new work after the restore",
                )
                cached = bodies(each, conversation_id)
                assert "Dopo il backup" not in cached
                assert "Anche questo si perde" not in cached
                assert set(cached) <= set(expected)
                assert [t.id for t in each.store.tickets(View.MINE, workspace.agent_id)] == [
                    ticket_id
                ]
            assert resets == [True]  # the client from after the backup started again
            # The one that resumed has every message, as the server does.
            assert bodies(resumed, conversation_id) == expected
            assert await api.file_bytes(attachment.id) == PDF
        finally:
            await resumed.close()
            await lost.close()
    finally:
        restored.close()
        await api.aclose()

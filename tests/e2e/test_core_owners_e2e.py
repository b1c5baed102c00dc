"""The duties moved out of the workspace, against the real server: sending with files
(``core.sending.Sender``) and editing a contact through the core (``Sync.update_contact``)."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from convos_desktop.core.media import FileKind
from convos_desktop.core.sending import Sender
from convos_desktop.core.types import ContactsChanged, Direction
from tests.e2e.conftest import Client, Workspace, connected, open_client, take_ticket, wait_until

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class LocalFile:
    """What the composer hands over: a local path to upload."""

    name: str
    kind: FileKind
    path: Path | None
    file_id: int | None = None


async def ready_client(ws: Workspace, tmp_path: Path) -> tuple[Client, int, int]:
    answer = await ws.customer_says("Buongiorno, ho un problema", handoff=True)
    api = await ws.agent_api()
    assert api.token is not None
    await take_ticket(api, answer["ticket_id"])  # online, and the ticket is Anna's
    await api.aclose()
    client = await open_client(tmp_path / "cache.sqlite3", ws.server.url, api.token)
    await connected(client)
    return client, answer["conversation_id"], answer["ticket_id"]


async def test_a_send_with_a_local_file_uploads_it_and_delivered_waits_for_it(workspace, tmp_path):
    client, conversation_id, _ = await ready_client(workspace, tmp_path)
    sender = Sender(client.api, client.outbox)
    document = tmp_path / "ricevuta.pdf"
    document.write_bytes(b"%PDF-1.4\n" + b"x" * 200_000)
    send = asyncio.create_task(
        sender.send(
            conversation_id,
            "Ecco la ricevuta",
            attachments=[LocalFile("ricevuta.pdf", FileKind.DOCUMENT, document)],
        )
    )
    await asyncio.sleep(0)  # the upload has started: not in the outbox yet
    assert await sender.delivered(conversation_id)  # waits for the upload, then the outbox
    assert send.done()  # "delivered" did not answer while the file was still uploading
    await send

    def sent() -> bool:
        page = client.store.messages_page(conversation_id, limit=50)
        return any(m.body == "Ecco la ricevuta" and m.id > 0 for m in page)

    await wait_until(sent, what="the reply in the cache")
    reply = next(
        m
        for m in client.store.messages_page(conversation_id, limit=50)
        if m.body.startswith("Ecco")
    )
    assert reply.direction is Direction.OUT
    assert [f.name for f in reply.files] == ["ricevuta.pdf"]
    await client.close()


async def test_a_failed_upload_queues_nothing(workspace, tmp_path):
    client, conversation_id, _ = await ready_client(workspace, tmp_path)
    sender = Sender(client.api, client.outbox)
    missing = LocalFile("sparito.pdf", FileKind.DOCUMENT, tmp_path / "sparito.pdf")
    with pytest.raises(FileNotFoundError):
        await sender.send(conversation_id, "Con allegato", attachments=[missing])
    assert client.store.outbox_items(conversation_id) == []
    assert await sender.delivered(conversation_id)
    await client.close()


async def test_a_contact_edit_reaches_the_cache_and_the_models_once(workspace, tmp_path):
    client, _, ticket_id = await ready_client(workspace, tmp_path)
    ticket = client.store.ticket(ticket_id)
    assert ticket is not None
    changes: list[ContactsChanged] = []
    client.sync.contacts_changed.connect(changes.append)
    await client.sync.update_contact(ticket.contact_id, {"email": "mario.rossi@example.com"})
    # at once, from the answer: the cache and one change for the models
    cached = client.store.contact(ticket.contact_id)
    assert cached is not None
    assert cached.email == "mario.rossi@example.com"
    assert [c.contacts[0].email for c in changes] == ["mario.rossi@example.com"]
    await client.close()

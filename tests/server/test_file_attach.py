"""Which files a message may carry: nobody attaches (and so reads) a file that is not theirs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.server.conftest import Workspace

PDF = b"%PDF-1.4\n%%EOF\n"


@dataclass
class Scene:
    """Anna and Bob in team A (inbox A), Carla in team B (inbox B), one handoff in each."""

    anna: int
    bob: int
    carla: int
    inbox_a: dict[str, Any]
    inbox_b: dict[str, Any]
    conversation_a: int
    conversation_b: int


@pytest.fixture
async def scene(ws: Workspace) -> Scene:
    anna, bob, carla = [await ws.agent(name) for name in ("Anna", "Bob", "Carla")]
    inbox_a = await ws.inbox("Sales", await ws.team("A", [anna, bob]))
    inbox_b = await ws.inbox("Support", await ws.team("B", [carla]))
    handoff_a = await ws.handoff(inbox_a, "wa:1")
    handoff_b = await ws.handoff(inbox_b, "tg:1")
    return Scene(
        anna,
        bob,
        carla,
        inbox_a,
        inbox_b,
        handoff_a["conversation_id"],
        handoff_b["conversation_id"],
    )


async def upload(ws: Workspace, agent_id: int, name: str = "bill.pdf", **fields: str) -> int:
    response = await ws.http.post(
        "/api/v1/files",
        headers=ws.auth(agent_id),
        files={"file": (name, PDF, "application/pdf")},
        data=fields,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def note(ws: Workspace, agent_id: int, conversation_id: int, file_ids: list[int]):
    return await ws.http.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        headers=ws.auth(agent_id),
        json={"client_id": str(uuid.uuid4()), "kind": "note", "body": "", "file_ids": file_ids},
    )


async def download_status(ws: Workspace, agent_id: int, file_id: int) -> int:
    response = await ws.http.get(f"/api/v1/files/{file_id}", headers=ws.auth(agent_id))
    return response.status_code


def assert_refused(response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "file_ids"


async def test_an_admin_upload_attached_in_another_team_cannot_be_taken(ws, scene):
    secret = await upload(ws, ws.admin_id, "contract.pdf")
    assert (await note(ws, ws.admin_id, scene.conversation_b, [secret])).status_code == 201
    assert await download_status(ws, scene.carla, secret) == 200
    refused = await note(ws, scene.anna, scene.conversation_a, [secret])
    assert_refused(refused)
    assert refused.json()["message"] == (await note(ws, scene.anna, 1, [10**6])).json()["message"]
    assert await download_status(ws, scene.anna, secret) == 404


async def test_another_agents_unattached_upload_cannot_be_taken(ws, scene):
    bobs = await upload(ws, scene.bob)
    assert_refused(await note(ws, scene.anna, scene.conversation_a, [bobs]))
    assert await download_status(ws, scene.anna, bobs) == 404
    assert await download_status(ws, scene.carla, bobs) == 404
    assert await download_status(ws, scene.bob, bobs) == 200


async def test_own_uploads_once_then_within_the_conversation_and_library_files(ws, scene):
    mine = await upload(ws, scene.anna)
    assert (await note(ws, scene.anna, scene.conversation_a, [mine])).status_code == 201
    # Already in this conversation: anyone who sees it may attach it again there.
    assert (await note(ws, scene.bob, scene.conversation_a, [mine])).status_code == 201
    # ... but not carry it to another conversation.
    other = await ws.handoff(scene.inbox_a, "wa:2")
    assert_refused(await note(ws, scene.anna, other["conversation_id"], [mine]))
    library = await upload(ws, ws.admin_id, "menu.pdf", library="1")
    assert (await note(ws, scene.carla, scene.conversation_b, [library])).status_code == 201


async def test_channels_attach_only_files_of_their_inbox_or_unclaimed_ones(ws, scene):
    async def ingress(inbox: dict[str, Any], file_ids: list[int]):
        return await ws.http.post(
            f"/api/v1/channels/{inbox['id']}/messages",
            headers={"X-Api-Key": inbox["api_key"]},
            json={"contact": {"external_id": "wa:1"}, "text": "", "file_ids": file_ids},
        )

    in_b = await upload(ws, ws.admin_id)
    assert (await note(ws, ws.admin_id, scene.conversation_b, [in_b])).status_code == 201
    assert_refused(await ingress(scene.inbox_a, [in_b]))
    assert_refused(await ingress(scene.inbox_a, [await upload(ws, scene.bob)]))
    assert (await ingress(scene.inbox_b, [in_b])).status_code == 201
    # A gateway uploads its customers' files with an admin's token.
    assert (await ingress(scene.inbox_a, [await upload(ws, ws.admin_id)])).status_code == 201

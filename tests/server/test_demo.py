"""The demo workspace: a consistent seed, the ``demo`` command, and the customer simulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.migrate import upgrade_to_head
from convos_server.demo import content, runner
from convos_server.demo.seed import DemoWorkspace, seed_workspace
from convos_server.demo.simulator import CustomerSimulator, SimulatorTiming
from convos_server.services.events import EventBus
from convos_server.services.messages import CONVERSATION_DIRECTIONS
from convos_server.storage import FilesystemStore

NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)
FAST = SimulatorTiming(
    new_customer_every=(0.01, 0.03),
    reply_poll=0.05,
    reply_delay=(0.01, 0.03),
    reply_probability=1.0,
    image_probability=0.5,
)


async def seed(settings) -> DemoWorkspace:
    db = Database(settings.database_url)
    try:
        return await seed_workspace(db, FilesystemStore(settings.files_dir), now=NOW)
    finally:
        await db.dispose()


async def test_seed_is_fast_and_consistent(settings):
    started = time.monotonic()
    workspace = await seed(settings)
    assert time.monotonic() - started < 10
    assert (workspace.agents, workspace.contacts) == (len(content.AGENTS), 40)
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            inboxes = {inbox.name: inbox for inbox in await session.scalars(select(m.Inbox))}
            assert {(i.name, i.channel, i.assignment) for i in inboxes.values()} == {
                ("Vendite", "whatsapp", "round_robin"),
                ("Assistenza", "web", "least_busy"),
                ("Resi", "email", "manual"),
                ("Premium", "telegram", "manual"),
            }
            members = {
                (member.team_id, member.agent_id)
                for member in await session.scalars(select(m.TeamMember))
            }
            tickets = list(await session.scalars(select(m.Ticket)))
            for ticket in tickets:
                assert ticket.inbox_id in workspace.inbox_ids
                if ticket.assignee_id is not None:
                    team_id = next(i.team_id for i in inboxes.values() if i.id == ticket.inbox_id)
                    assert (team_id, ticket.assignee_id) in members
                if ticket.first_response_at is not None:
                    assert ticket.opened_at < ticket.first_response_at
                if ticket.status == "closed":
                    assert ticket.closed_at is not None
                    assert ticket.opened_at < ticket.closed_at <= NOW
                    assert ticket.first_response_at is not None
                    assert ticket.first_response_at < ticket.closed_at
            open_tickets = [t for t in tickets if t.status == "open"]
            assert len({t.contact_id for t in open_tickets}) == len(open_tickets)
            assert any(t.assignee_id is None for t in open_tickets)
            demo_id = await session.scalar(
                select(m.Agent.id).where(m.Agent.email == "demo@convos.test")
            )
            assert sum(t.assignee_id == demo_id for t in open_tickets) >= 3
            per_agent = Counter(
                t.assignee_id for t in open_tickets if t.inbox_id == inboxes["Vendite"].id
            )
            assert max(per_agent.values()) <= 5
            opened_days = {t.opened_at.date() for t in tickets if t.status == "closed"}
            assert len(opened_days) >= 28
            for conversation in await session.scalars(select(m.Conversation)):
                open_ids = [t.id for t in open_tickets if t.conversation_id == conversation.id]
                assert conversation.open_ticket_id == (open_ids[0] if open_ids else None)
                last = await session.scalar(
                    select(func.max(m.Message.id)).where(
                        m.Message.conversation_id == conversation.id,
                        m.Message.direction.in_(CONVERSATION_DIRECTIONS),
                    )
                )
                assert conversation.last_message_id == last
            origins = set(await session.scalars(select(m.Conversation.origin).distinct()))
            assert origins == {"chatbot", "campaign_mass", "campaign_transactional"}
            longest = await session.scalar(
                select(func.count())
                .select_from(m.Message)
                .group_by(m.Message.conversation_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            assert longest is not None
            assert longest >= 2000
            times = list(await session.scalars(select(m.Message.created_at).order_by(m.Message.id)))
            assert times == sorted(times)
            library = list(await session.scalars(select(m.File).where(m.File.library.is_(True))))
            assert {file.kind for file in library} == {"sticker", "document", "image"}
            sticker = next(file for file in library if file.kind == "sticker")
            assert (sticker.width, sticker.height) == (512, 512)
            assert sticker.size < 102_400
            canned = list(await session.scalars(select(m.CannedReply)))
            assert {c.language for c in canned} == {"it", "en"}
            assert any("{contact_name}" in c.text and "{agent_name}" in c.text for c in canned)
            assert any(len(c.name) > 60 for c in await session.scalars(select(m.Contact)))
    finally:
        await db.dispose()


async def test_seeded_workspace_serves_bootstrap_and_reports(settings, client):
    await seed(settings)
    login = await client.post(
        "/api/v1/auth/login", json={"email": "demo@convos.test", "password": "demo"}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    bootstrap = (await client.get("/api/v1/bootstrap", headers=headers)).json()
    assert bootstrap["counts"]["unassigned"] >= 1
    assert bootstrap["counts"]["mine"] >= 3
    assert bootstrap["counts"]["snoozed"] == 1  # Posticipati is not empty either
    report = await client.get(
        "/api/v1/reports",
        params={"from": "2026-10-21", "to": "2026-11-20", "by": "inbox"},
        headers=headers,
    )
    assert report.status_code == 200
    assert report.json()["total"]["closed"] > 100
    assert report.json()["total"]["first_response_median_s"] > 0
    mentions = (await client.get("/api/v1/mentions", headers=headers)).json()
    # Menzioni starts with colleagues' notes naming the demo agent: two unread, one read
    assert mentions["unread"] == 2
    assert len(mentions["items"]) == 3
    assert all("@Giulia Demo" in item["message"]["body"] for item in mentions["items"])
    library = await client.get("/api/v1/files", params={"library": "1"}, headers=headers)
    sticker = next(file for file in library.json() if file["kind"] == "sticker")
    download = await client.get(sticker["url"], headers=headers)
    assert download.status_code == 200
    assert download.content.startswith(b"\x89PNG")


def test_demo_command_prints_its_url_first_and_accepts_a_login(tmp_path):
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convos_server",
            "demo",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "demo"),
            "--no-simulator",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("Convos demo listening on http://127.0.0.1:")
        url = first.removeprefix("Convos demo listening on ")
        second = process.stdout.readline()
        assert "admin@convos.test / admin" in second
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.post(
                    f"{url}/api/v1/auth/login",
                    json={"email": "demo@convos.test", "password": "demo"},
                    timeout=30,
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the demo server never answered"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["agent"]["name"] == "Giulia Demo"
        # The 90-day archive is in before the first answer: a history screen restored at
        # start lists it all, not only the live workspace's hundred-odd conversations.
        history = httpx.get(
            f"{url}/api/v1/conversations",
            params={"count": "true", "limit": "1"},
            headers={"Authorization": f"Bearer {response.json()['token']}"},
            timeout=30,
        )
        assert history.status_code == 200
        assert history.json()["total"] > 2_000
    finally:
        process.terminate()
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM)
        assert process.stdout is not None
        process.stdout.close()


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(runner.DataDirInUse):
        runner.prepare_data_dir(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    demo_dir = tmp_path / "demo"
    runner.prepare_data_dir(demo_dir)
    (demo_dir / "convos.db").write_text("old")
    runner.prepare_data_dir(demo_dir)
    assert [p.name for p in demo_dir.iterdir()] == [runner.MARKER]


async def minimal_workspace(database_url: str) -> tuple[Database, list[int]]:
    """Just two inboxes (manual and round robin) and their team, for the simulator."""
    await upgrade_to_head(database_url)
    db = Database(database_url)
    async with db.transaction() as session:
        team = m.Team(name="Team")
        session.add(team)
        await session.flush()
        inboxes = [
            m.Inbox(name="Web", channel="web", team_id=team.id, api_key_hash="k1"),
            m.Inbox(name="Chat", team_id=team.id, assignment="round_robin", api_key_hash="k2"),
        ]
        session.add_all(inboxes)
        await session.flush()
        return db, [inbox.id for inbox in inboxes]


async def test_simulator_hands_customers_over_and_answers_agents(app, client, settings):
    workspace = await seed(settings)
    db, bus = app.state.db, app.state.bus
    async with db.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(m.Ticket))
    simulator = CustomerSimulator(
        db, bus, workspace.inbox_ids, workspace.photo_file_id, seed=3, timing=FAST
    )
    task = asyncio.create_task(simulator.run())
    try:
        deadline = time.monotonic() + 20
        while simulator.customers_created < 2:
            assert time.monotonic() < deadline
            assert not task.done(), task
            await asyncio.sleep(0.02)
        login = await client.post(
            "/api/v1/auth/login", json={"email": "admin@convos.test", "password": "admin"}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        await client.put(
            "/api/v1/presence",
            json={"status": "online", "screen": "conversations"},
            headers=headers,
        )
        unassigned = await client.get(
            "/api/v1/tickets", params={"view": "unassigned"}, headers=headers
        )
        assert unassigned.status_code == 200, unassigned.text
        ticket = unassigned.json()["items"][0]
        assert (
            await client.post(f"/api/v1/tickets/{ticket['id']}/assign", headers=headers)
        ).is_success
        sent = await client.post(
            f"/api/v1/conversations/{ticket['conversation_id']}/messages",
            json={
                "client_id": "c0ffee00-0000-4000-8000-000000000001",
                "kind": "text",
                "body": "Ciao, come posso aiutarti?",
            },
            headers=headers,
        )
        assert sent.status_code == 201, sent.text
        while simulator.replies_sent < 1:
            assert time.monotonic() < deadline, "the customer never answered"
            await asyncio.sleep(0.02)
        messages = await client.get(
            f"/api/v1/conversations/{ticket['conversation_id']}/messages", headers=headers
        )
        last = messages.json()["items"][-1]
        assert (last["direction"], last["sender_type"]) == ("in", "contact")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    async with db.sessionmaker() as session:
        after = await session.scalar(select(func.count()).select_from(m.Ticket))
    assert after is not None
    assert before is not None
    assert after >= before + 2


async def test_simulator_is_deterministic_under_a_seed(tmp_path):
    names = []
    for run in ("one", "two"):
        db, inbox_ids = await minimal_workspace(f"sqlite+aiosqlite:///{tmp_path / run}.db")
        try:
            simulator = CustomerSimulator(db, EventBus(db), inbox_ids, None, seed=11, timing=FAST)
            for _ in range(3):
                await simulator.hand_over_new_customer()
            async with db.sessionmaker() as session:
                contacts = await session.execute(
                    select(m.Contact.name, m.Contact.external_id).order_by(m.Contact.id)
                )
                bodies = await session.scalars(select(m.Message.body).order_by(m.Message.id))
                names.append((contacts.all(), list(bodies)))
        finally:
            await db.dispose()
    assert names[0] == names[1]
    assert len(names[0][0]) == 3


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_stopped_demo_removes_its_temporary_data_dir(stop):
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "convos_server", "demo", "--port", "0", "--no-simulator"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("Convos demo listening on ")
        data_dir = None
        while data_dir is None:
            line = process.stdout.readline()
            assert line, "the demo ended before printing its data dir"
            if "data dir:" in line:
                data_dir = Path(line.split("data dir:", 1)[1].strip())
        assert (data_dir / runner.MARKER).is_file()
        deadline = time.monotonic() + 30
        while True:  # serving: uvicorn has its signal handlers in place
            try:
                httpx.get(f"{url}/api/v1/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the demo server never answered"
                time.sleep(0.1)
        process.send_signal(stop)
        assert process.wait(timeout=20) in (0, -stop, 1)
        assert not data_dir.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()

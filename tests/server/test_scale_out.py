"""Several server processes on one PostgreSQL: start-up together, ``serve --workers``, and
events written by several processes seen once and in order.

The servers here are real ``convos-server`` processes sharing nothing but the database; the
event writers are engines and buses of their own in this process (nothing shared but the
database either).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from convos_server.db.engine import Database
from convos_server.services.events import EventBus
from tests.server.conftest import Workspace, fresh_postgres_database
from tests.server.test_cli import run_cli, wait_for_health
from tests.server.test_revocation import another_process

pytestmark = pytest.mark.postgres


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM and wait (SIGKILL when it does not end)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def children(pid: int) -> list[int]:
    """The worker processes of the pool ``pid`` (Linux /proc; not the resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    workers = []
    for child in (int(part) for part in path.read_text().split()):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(child)
    return workers


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, never migrated."""
    manager = fresh_postgres_database()
    loop = asyncio.new_event_loop()
    try:
        url = loop.run_until_complete(manager.__aenter__())
        yield url
        loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()


def test_workers_need_postgresql(tmp_path):
    result = run_cli("serve", "--workers", "2", data_dir=tmp_path)
    assert result.returncode != 0
    assert "--workers needs PostgreSQL" in result.stderr
    assert "SQLite database is served by one process" in result.stderr


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_three_servers_starting_together_on_a_fresh_database_migrate_once(pg_url, tmp_path):
    """Two single servers and a pool of two workers start at the same moment: all serve.

    Without the migration lock, three upgrades of an empty database at once did not finish
    (they block on each other's ``CREATE TABLE``). A worker killed with SIGKILL is replaced.
    """
    processes: list[subprocess.Popen[str]] = []
    try:
        for extra in ((), (), ("--workers", "2")):
            command = [sys.executable, "-m", "convos_server", "serve", "--port", "0", *extra]
            processes.append(
                subprocess.Popen(
                    [*command, "--database-url", pg_url, "--data-dir", str(tmp_path)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        urls = []
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            if not line:
                assert process.stderr is not None
                pytest.fail(f"a server did not start: {process.stderr.read()[-2000:]}")
            urls.append(line.rsplit(" ", 1)[1])
        for url in urls:
            assert wait_for_health(url).json()["status"] == "ok"
        pool = processes[2]
        wait_until(lambda: len(children(pool.pid)) == 2)
        victim = children(pool.pid)[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: victim not in children(pool.pid) and len(children(pool.pid)) == 2)
        assert wait_for_health(urls[2]).json()["status"] == "ok"
        workers = children(pool.pid)
    finally:
        for process in processes:
            stop(process)
    assert pool.returncode == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


WRITERS = 3  # "processes": each its own engine, connection pool and bus
TASKS_PER_WRITER = 8
EVENTS_PER_TASK = 6


async def _write(bus: EventBus, db: Database, writer: int, task: int) -> None:
    for n in range(EVENTS_PER_TASK):
        async with db.transaction() as session:
            await bus.publish(session, "test.ordered", {"w": writer, "t": task, "n": n})
        await asyncio.sleep(0)


async def _read_everything(bus: EventBus, expected: int, seen: list[int]) -> None:
    """A client's view: always ask for what comes after the newest id it has."""
    while len(seen) < expected:
        batch = await bus._load(seen[-1] if seen else 0)
        seen.extend(event.seq for event in batch)
        if not batch:
            await asyncio.sleep(0.001)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_events_written_by_several_processes_are_seen_once_in_order(settings):
    """Readers that only ever ask for ids after the newest they have miss nothing.

    A reader never sees event N+1 committed while N is still uncommitted (the advisory lock
    around the insert and the commit): without it, such a reader skips N for good.
    """
    dbs = [Database(settings.database_url) for _ in range(WRITERS)]
    buses = [EventBus(db) for db in dbs]
    expected = WRITERS * TASKS_PER_WRITER * EVENTS_PER_TASK
    views: list[list[int]] = [[] for _ in range(WRITERS)]
    try:
        readers = [
            asyncio.create_task(_read_everything(bus, expected, view))
            for bus, view in zip(buses, views, strict=True)
        ]
        await asyncio.gather(
            *(
                _write(bus, db, writer, task)
                for writer, (bus, db) in enumerate(zip(buses, dbs, strict=True))
                for task in range(TASKS_PER_WRITER)
            )
        )
        await asyncio.wait_for(asyncio.gather(*readers), 20)
        stored = [event.seq for event in await buses[0]._load(0)]
    finally:
        for db in dbs:
            await db.dispose()
    assert len(stored) == expected
    for view in views:
        assert view == stored  # every event once, in id order


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_the_cap_holds_for_hand_offs_at_the_same_moment_on_two_processes(live_ws, settings):
    """Round robin, cap 1, one agent: simultaneous hand-offs through two processes give her
    exactly one ticket (the count and the assignment run under the inbox's cap lock)."""
    anna = await live_ws.agent("Anna", online=True)
    team = await live_ws.team("Team", [anna])
    inbox = await live_ws.inbox("Sales", team, assignment="round_robin", max_open_per_agent=1)
    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        there = Workspace(http, settings)
        handoffs = await asyncio.gather(
            *((live_ws if n % 2 else there).handoff(inbox, f"customer-{n}") for n in range(8))
        )
    assignees = []
    for handoff in handoffs:
        ticket = await live_ws.call("GET", f"/tickets/{handoff['ticket_id']}")
        assignees.append(ticket["ticket"]["assignee_id"])
    assert assignees.count(anna) == 1
    assert assignees.count(None) == 7


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_concurrent_messages_of_a_new_contact_on_two_processes(live_ws, settings):
    """The first messages of a new ``external_id`` at once through two processes: every one is
    stored (no 500 from the unique constraint), all in one conversation with one ticket."""
    anna = await live_ws.agent("Anna", online=True)
    team = await live_ws.team("Team", [anna])
    inbox = await live_ws.inbox("Sales", team, assignment="manual")
    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        there = Workspace(http, settings)
        sent = await asyncio.gather(
            *((live_ws if n % 2 else there).handoff(inbox, "same-customer") for n in range(6)),
            return_exceptions=True,
        )
    assert not [s for s in sent if isinstance(s, BaseException)], sent
    answers = [s for s in sent if isinstance(s, dict)]
    assert len({answer["conversation_id"] for answer in answers}) == 1
    assert len({answer["ticket_id"] for answer in answers}) == 1
    assert answers[0]["ticket_id"] is not None


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_one_client_id_sent_at_once_on_two_processes_is_one_message(live_ws, settings):
    """A client's retry racing its first try on another process: one 201, the rest 200 with
    the same message (never a 500 from the unique constraint)."""
    anna = await live_ws.agent("Anna", online=True)
    team = await live_ws.team("Team", [anna])
    inbox = await live_ws.inbox("Sales", team, assignment="manual")
    handoff = await live_ws.handoff(inbox, "customer")
    await live_ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    conversation = handoff["conversation_id"]
    path = f"/api/v1/conversations/{conversation}/messages"
    body = {"client_id": "retry-1", "kind": "note", "body": "Hello"}
    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        answers = await asyncio.gather(
            *(
                (live_ws.http if n % 2 else http).post(
                    path, json=body, headers=live_ws.auth(live_ws.admin_id)
                )
                for n in range(6)
            )
        )
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [201], answers[0].text
    assert len({answer.json()["id"] for answer in answers}) == 1


def test_the_shipped_haproxy_configuration_is_valid():
    """deploy/haproxy.cfg parses and checks the servers' /health (``./run`` installs HAProxy)."""
    haproxy = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if haproxy is None:
        pytest.skip("HAProxy is not installed")
    config = Path(__file__).parents[2] / "deploy" / "haproxy.cfg"
    result = subprocess.run(
        [haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "httpchk GET /api/v1/health" in config.read_text()


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_one_channel_message_id_at_once_on_two_processes_is_one_message(live_ws, settings):
    """A gateway's retry racing its first post on another process, for a new customer: one
    201, the rest 200 with the same message (the unique constraint, then the stored one)."""
    inbox = await live_ws.inbox("Sales", None)
    url = f"/api/v1/channels/{inbox['id']}/messages"
    body = {"contact": {"external_id": "new"}, "text": "Ciao", "handoff": True, "message_id": "m"}
    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        answers = await asyncio.gather(
            *(
                (live_ws.http if n % 2 else http).post(
                    url, json=body, headers={"X-Api-Key": inbox["api_key"]}
                )
                for n in range(6)
            )
        )
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [201], answers[0].text
    assert len({answer.json()["message"]["id"] for answer in answers}) == 1

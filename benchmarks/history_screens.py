"""History screens at scale: Conversazioni, Ticket and Performance over a large history.

The server (its own process, SQLite or ``--database-url``) holds ``--rows`` conversations,
each with one closed ticket spread over 90 days (written in bulk straight into its database).
Measured:

- the first page of the Ticket and Conversazioni screens painted after a filter change, in
  the app's own screens on the qasync loop against the server on loopback (p95);
- a scroll step on both screens, from the top through every row (``--rows``; 300 with
  ``--smoke``), the pages fetched from the server as the scroll reaches them (p99): the steps
  are timed, not the waits at the end of what has arrived;
- ``GET /reports`` over 90 days, by inbox and by agent, answered by the server (p95);
- the CSV export of every closed ticket: rows, seconds, and how much the server's resident
  memory grew while it streamed them (constant memory: the growth must not follow the rows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from sqlalchemy import Select, func, insert, select, text

from benchmarks._common import (
    Report,
    ServerProcess,
    Target,
    Workspace,
    create_workspace,
    machine_context,
    median,
    option_parser,
    percentile,
    positive_runs,
    running_server,
)
from benchmarks._platforms import parse_on_platform
from benchmarks.client_harness import PaintWatch, outside_task, qt_application
from convos_desktop.app import build_context
from convos_desktop.core.api import ApiClient
from convos_desktop.core.session import Profile, Session
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.screens.conversations_screen import ConversationsScreen
from convos_desktop.ui.screens.ticket_history_screen import TicketHistoryScreen
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services import report_rollup
from convos_server.services.conversations import ConversationFilter, conversation_query
from convos_server.services.search import text_match
from convos_server.services.tickets import (
    TicketFilter,
    TicketSort,
    count_capped,
    history_order,
    ticket_query,
)
from convos_server.services.visibility import visibility_for

FIRST_PAGE_P95_MS = 150.0
SCROLL_P99_MS = 8.0
REPORT_P95_MS = 300.0
EXPORT_GROWTH_MIB = 30.0
HISTORY_DAYS = 90
BATCH = 5_000
WAIT_S = 20.0


# --- the history ---------------------------------------------------------------------------


async def fill_history(server: ServerProcess, workspace: Workspace, rows: int) -> None:
    """``rows`` conversations of ``rows // 20`` contacts, each with one closed ticket and two
    messages, spread over the last 90 days, assigned to the workspace's agents."""
    rng = random.Random(12)
    now = dt.datetime.now(dt.UTC)
    db = Database(server.database_url)
    try:
        async with db.transaction() as session:
            agent_ids = list(
                await session.scalars(
                    select(m.TeamMember.agent_id).where(m.TeamMember.team_id == workspace.team_id)
                )
            )
            starts = {
                table.__tablename__: int(await session.scalar(select(func.max(table.id))) or 0)
                for table in (m.Contact, m.Conversation, m.Ticket, m.Message)
            }
            contacts = max(1, rows // 20)
            first_contact = starts["contacts"] + 1
            await _insert(
                session,
                m.Contact,
                [
                    {
                        "id": first_contact + n,
                        "name": f"Cliente storico {n:06d}",
                        "phone": f"+39 3{n:09d}",
                        "custom": {},
                    }
                    for n in range(contacts)
                ],
            )
            for offset in range(0, rows, BATCH):
                await _insert_batch(
                    session,
                    rng,
                    now,
                    starts,
                    first_contact,
                    contacts,
                    agent_ids,
                    workspace.inbox_id,
                    range(offset, min(rows, offset + BATCH)),
                )
            await report_rollup.rebuild(session)
            if session.get_bind().dialect.name == "postgresql":
                for table in ("contacts", "conversations", "tickets", "messages"):
                    await session.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
                    # what autovacuum would do after a bulk load, before the first query:
                    # without statistics the planner takes the tables for empty
                    await session.execute(text(f"ANALYZE {table}"))
    finally:
        await db.dispose()


async def _insert_batch(
    session: Any,
    rng: random.Random,
    now: dt.datetime,
    starts: dict[str, int],
    first_contact: int,
    contacts: int,
    agent_ids: list[int],
    inbox_id: int,
    numbers: range,
) -> None:
    conversations, tickets, messages = [], [], []
    for n in numbers:
        opened = now - dt.timedelta(seconds=rng.uniform(3600, HISTORY_DAYS * 86400))
        responded = opened + dt.timedelta(seconds=rng.lognormvariate(math.log(180), 0.9))
        closed = responded + dt.timedelta(seconds=rng.lognormvariate(math.log(3600), 1.0))
        conversation_id = starts["conversations"] + 1 + n
        ticket_id = starts["tickets"] + 1 + n
        first_message = starts["messages"] + 1 + 2 * n
        contact_id = first_contact + n % contacts
        agent = agent_ids[n % len(agent_ids)] if agent_ids else None
        conversations.append(
            {
                "id": conversation_id,
                "contact_id": contact_id,
                "inbox_id": inbox_id,
                "origin": "chatbot" if n % 5 else "campaign_mass",
                "campaign": None if n % 5 else "Saldi",
                "created_at": opened,
                "last_message_at": responded,
                "last_message_id": first_message + 1,
            }
        )
        tickets.append(
            {
                "id": ticket_id,
                "conversation_id": conversation_id,
                "inbox_id": inbox_id,
                "contact_id": contact_id,
                "status": "closed",
                "assignee_id": agent,
                "opened_at": opened,
                "assigned_at": opened,
                "first_response_at": responded,
                "closed_at": closed,
                "closed_by": agent,
                "last_message_at": responded,
            }
        )
        for index, (direction, sender, body, at) in enumerate(
            (
                ("in", "contact", f"Richiesta numero {n}", opened),
                ("out", "agent", f"Risposta alla richiesta {n}", responded),
            )
        ):
            messages.append(
                {
                    "id": first_message + index,
                    "conversation_id": conversation_id,
                    "ticket_id": ticket_id,
                    "direction": direction,
                    "sender_type": sender,
                    "sender_id": contact_id if sender == "contact" else agent,
                    "sender_name": "Cliente" if sender == "contact" else "Agente",
                    "body": body,
                    "created_at": at,
                }
            )
    await _insert(session, m.Conversation, conversations)
    await _insert(session, m.Ticket, tickets)
    await _insert(session, m.Message, messages)


async def _insert(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(m.Base.metadata.tables[table.__tablename__]), rows)


# --- the server's side ---------------------------------------------------------------------


def server_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else math.nan


async def report_times(workspace: Workspace, runs: int) -> dict[str, list[float]]:
    """Milliseconds of ``GET /reports`` over 90 days, by inbox and by agent (admin)."""
    today = dt.datetime.now(dt.UTC).date()
    params = {"from": str(today - dt.timedelta(days=HISTORY_DAYS - 1)), "to": str(today)}
    headers = {"Authorization": f"Bearer {workspace.admin_token}"}
    times: dict[str, list[float]] = {"inbox": [], "agent": []}
    async with httpx.AsyncClient(base_url=f"{workspace.url}/api/v1", timeout=60) as client:
        for _ in range(runs):
            for by in times:
                started = time.perf_counter()
                response = await client.get(
                    "/reports", params={**params, "by": by}, headers=headers
                )
                response.raise_for_status()
                times[by].append((time.perf_counter() - started) * 1000)
    return times


async def report_floor_times(server: ServerProcess, runs: int) -> list[float]:
    """Milliseconds of the bare SQL a 90-day report reads (the rollup's rows of the range and
    the backlog per key), run in this process straight on the database: the floor."""
    last = dt.datetime.now(dt.UTC).date()
    first = last - dt.timedelta(days=HISTORY_DAYS - 1)
    rollup = m.ReportDay
    db = Database(server.database_url)
    times = []
    try:
        for _ in range(runs):
            async with db.sessionmaker() as session:
                started = time.perf_counter()
                rows = await session.execute(
                    select(
                        rollup.inbox_id,
                        rollup.day,
                        rollup.opened,
                        rollup.closed,
                        rollup.first_responses,
                        rollup.resolutions,
                    ).where(rollup.day >= first, rollup.day <= last)
                )
                rows.all()
                backlog = await session.execute(
                    select(rollup.agent_id, func.sum(rollup.opened - rollup.closed))
                    .where(rollup.day <= last)
                    .group_by(rollup.agent_id)
                )
                backlog.all()
                times.append((time.perf_counter() - started) * 1000)
    finally:
        await db.dispose()
    return times


async def export_figures(server: ServerProcess, workspace: Workspace) -> tuple[int, float, float]:
    """Rows, seconds and server RSS growth (MiB) of the CSV export of every closed ticket."""
    headers = {"Authorization": f"Bearer {workspace.admin_token}"}
    before = server_rss_mib(server.pid)
    highest = before
    lines = 0
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(base_url=f"{workspace.url}/api/v1", timeout=600) as client,
        client.stream(
            "GET", "/tickets/export", params={"status": "closed"}, headers=headers
        ) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            lines += chunk.count(b"\n")
            highest = max(highest, server_rss_mib(server.pid))
    return lines - 1, time.perf_counter() - started, highest - before


# --- the client's side ---------------------------------------------------------------------


async def open_context(folder: Path, workspace: Workspace) -> ClientContext:
    api = ApiClient(workspace.url, workspace.admin_token)
    session = Session(Profile("bench", workspace.url, "bench@convos.test"), api, None)
    session.me = await api.me()
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    context = build_context(session, folder / "cache.sqlite3", settings)
    context.directory.set_me(session.me)
    context.directory.set_agents(await api.agents())
    context.directory.set_inboxes(await api.inboxes())
    return context


SEARCH_TEXTS = ("Richiesta", "Cliente storico 00001", "Risposta alla", "Cliente storico 00")


def change_text(index: int) -> str:
    """The search text of the ``index``-th filter change: every other one clears it."""
    return "" if index % 2 else SEARCH_TEXTS[(index // 2) % len(SEARCH_TEXTS)]


async def first_page_floor_times(server: ServerProcess, screen: str, changes: int) -> list[float]:
    """Milliseconds of the bare database work of each first page, in this process, no HTTP:
    the text match's probe, the page's SQL (100 rows, the screen's default order) and the
    capped count, for the same filter changes as the screen; the floor of that figure."""
    db = Database(server.database_url)
    times = []
    try:
        # one untimed round first: the server process had compiled its statements too
        for index in [*range(len(SEARCH_TEXTS) * 2), *range(changes)]:
            async with db.sessionmaker() as session:
                admin = await session.scalar(select(m.Agent).where(m.Agent.role == "admin"))
                assert admin is not None
                visibility = await visibility_for(session, admin)
                started = time.perf_counter()
                text = await text_match(session, change_text(index))
                page: Select[Any]
                if screen == "Ticket":
                    tickets = ticket_query(admin, visibility, TicketFilter(view="all"), text)
                    page = history_order(
                        tickets, TicketSort.OPENED, True, session.get_bind().dialect.name
                    )
                    ids = tickets.with_only_columns(m.Ticket.id)
                else:
                    conversations = conversation_query(visibility, ConversationFilter(), text)
                    conversation = m.Conversation
                    page = conversations.order_by(
                        conversation.last_message_at.desc(), conversation.id.desc()
                    )
                    ids = conversations.with_only_columns(conversation.id)
                (await session.scalars(page.limit(101))).all()
                await count_capped(session, ids)
                times.append((time.perf_counter() - started) * 1000)
    finally:
        await db.dispose()
    return times[len(SEARCH_TEXTS) * 2 :]


async def first_page_times(
    screen: TicketHistoryScreen | ConversationsScreen, changes: int
) -> list[float]:
    """Milliseconds from a filter change to the table painted with its first page.

    Woken by the events themselves (the page's count arriving, then a paint of the table,
    once that paint is done), not by polling: a poll every half millisecond on the GUI
    thread took CPU from the client it measured.
    """
    loop = asyncio.get_running_loop()
    watch = PaintWatch(screen.table.viewport())
    arrived: list[int] = []
    waiting: list[asyncio.Future[None]] = []

    def check() -> None:
        painted = arrived and not screen.model.loading and watch.paints > arrived[0]
        if painted and waiting and not waiting[0].done():
            waiting[0].set_result(None)

    # a loop callback runs once the paint being delivered is done
    watch.listeners.append(lambda: loop.call_soon(check))
    # the first page (even an empty one) always says how many match
    screen.model.total_changed.connect(lambda *_: arrived.append(watch.paints))
    failures: list[BaseException] = []
    screen.model.failed.connect(failures.append)
    times: list[float] = []
    for index in range(changes):
        # every other change clears the search: each one asks the server again
        text = change_text(index)
        arrived.clear()
        waiting[:] = [loop.create_future()]
        started = time.perf_counter()
        screen.search.setText(text)
        screen.apply_filters()
        try:
            await asyncio.wait_for(waiting[0], WAIT_S)
        except TimeoutError:
            raise TimeoutError(
                f"the first page was not painted: arrived={arrived} paints={watch.paints} "
                f"loading={screen.model.loading} rows={screen.model.rowCount()} "
                f"visible={screen.table.viewport().isVisible()} failures={failures!r} "
                f"screen={type(screen).__name__} total={screen.model.total}"
            ) from None
        times.append((time.perf_counter() - started) * 1000)
    return times


async def scroll_times(screen: TicketHistoryScreen | ConversationsScreen, rows: int) -> list[float]:
    """Milliseconds per scroll step (a third of a page) from the top through ``rows`` rows.

    The pages arrive as an agent's scroll asks for them: a step that reaches the end of what
    has arrived has the view ask for the next page (``fetchMore``, in the background); the
    scroll goes on once it is in. The steps are timed, the waits at the end are not: a step
    never waits on the network, an agent at the bottom of what arrived does.
    """
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    model = screen.model
    bar = screen.table.verticalScrollBar()
    bar.setValue(0)
    watch = PaintWatch(screen.table.viewport())

    def next_page_in() -> bool:
        arrived = model.rowCount()
        model.fetchMore()
        while model.loading:
            app.processEvents()
            time.sleep(0.0005)
        return model.rowCount() > arrived

    def steps() -> list[float]:
        times: list[float] = []
        while True:
            if bar.value() >= bar.maximum():
                if model.rowCount() >= rows or not next_page_in():
                    return times
                continue
            painted = watch.paints
            started = time.perf_counter()
            bar.setValue(bar.value() + bar.pageStep() // 3)
            watch.wait_for_paint(app, painted)
            times.append((time.perf_counter() - started) * 1000)

    return await outside_task(steps)


async def measure(
    report: Report, server: ServerProcess, rows: int, runs: int, changes: int, scroll_rows: int
) -> None:
    workspace = await create_workspace(server, agents=8)
    started = time.perf_counter()
    await fill_history(server, workspace, rows)
    report.context["fill_s"] = round(time.perf_counter() - started, 1)
    reports = await report_times(workspace, runs)
    floor = percentile(await report_floor_times(server, runs), 95)
    for by, times in reports.items():
        report.add(
            f"GET /reports 90 days by {by} p95",
            "ms",
            [percentile(times, 95)],
            Target("<=", REPORT_P95_MS),
        )
        report.add(
            f"... by {by}: ratio to the bare SQL floor", "x", [percentile(times, 95) / floor]
        )
    report.add("GET /reports floor: the bare rollup SQL p95", "ms", [floor])
    with tempfile.TemporaryDirectory(prefix="convos-history-") as folder:
        context = await open_context(Path(folder), workspace)
        tickets = TicketHistoryScreen(context)
        conversations = ConversationsScreen(context)
        try:
            for name, screen in (("Ticket", tickets), ("Conversazioni", conversations)):
                screen.resize(1280, 800)
                screen.show()
                await screen.wait_idle()
                times = await first_page_times(screen, changes)
                floor = percentile(await first_page_floor_times(server, name, changes), 95)
                report.add(
                    f"{name}: filter change to first page painted p95",
                    "ms",
                    [percentile(times, 95)],
                    Target("<=", FIRST_PAGE_P95_MS),
                )
                # on a shared machine the p95 of 30 changes is the second slowest: the median
                # beside it tells a slow client from a busy moment
                report.add(f"{name}: the same, median", "ms", [median(times)])
                report.add(f"{name}: floor, the bare page + count SQL p95", "ms", [floor])
                report.add(f"... {name}: ratio to the floor", "x", [percentile(times, 95) / floor])
                screen.search.setText("")
                screen.apply_filters()
                await screen.wait_idle()
                steps = await scroll_times(screen, scroll_rows)
                report.add(
                    f"{name}: scroll step through {screen.model.rowCount():,} rows p99",
                    "ms",
                    [percentile(steps, 99)],
                    Target("<=", SCROLL_P99_MS),
                )
                report.add(f"{name}: slowest scroll step", "ms", [max(steps)])
                screen.hide()
        finally:
            await tickets.wait_idle()
            await conversations.wait_idle()
            tickets.deleteLater()
            conversations.deleteLater()
            await context.api.aclose()
            context.store.close()
    lines, seconds, growth = await export_figures(server, workspace)
    report.add("CSV export: rows", "rows", [float(lines)], Target(">=", float(rows)))
    report.add("CSV export: time", "s", [seconds])
    report.add("CSV export: server memory growth", "MiB", [growth], Target("<=", EXPORT_GROWTH_MIB))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 0 when it ran (a missed target is reported, not fatal)."""
    parser = option_parser("benchmarks.history_screens", __doc__ or "")
    parser.add_argument("--rows", type=int, help="conversations with a closed ticket (100,000)")
    options, delegated = parse_on_platform(parser, "benchmarks.history_screens", argv)
    if delegated is not None:
        return delegated
    if options.profile is not None:
        raise SystemExit("--profile is not supported here: profile the server with py-spy")
    rows = options.rows or (2_000 if options.smoke else 100_000)
    runs = positive_runs(options.runs, 3 if options.smoke else 20)
    changes = 5 if options.smoke else 30
    scroll_rows = 300 if options.smoke else rows
    context = machine_context(options.database_url or "")
    context.update(rows=rows, runs=runs, filter_changes=changes, scrolled_rows=scroll_rows)
    report = Report("history_screens", context)
    app = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)

    async def run() -> None:
        with running_server(options.database_url) as server:
            report.context["database"] = server.database_version
            await measure(report, server, rows, runs, changes, scroll_rows)

    loop.run_until_complete(run())
    loop.close()
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

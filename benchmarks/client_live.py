"""Client figures against the real server on loopback: launch to live, message to painted.

The server runs in its own process (SQLite, or ``--database-url``); one agent of the inbox's
team signs in with a token. Each run builds the app as ``convos_desktop.app`` does
(``build_context`` + ``open_window``: window, event stream, outbox, presence) over a cache
folder kept between runs, and times from before ``GET /me`` to the event stream's
``connected`` state (the first run bootstraps an empty cache and is not counted).

Then, with the customer's ticket open at 1280x800, a thread sends customer messages to the
ingress at each ``--rate`` per second (100 then 1,000 by default, into the same growing
thread), open loop with the benchmarks' load generator (several POSTs in flight, each due at
its time whatever the server's pace); each one's latency runs from its due time to the end of
the first paint of the chat view (its ``painted`` signal) after the message entered the
thread model, while the view shows the newest rows. A message never painted within the grace
period means the client did not keep up. Two parts are reported beside it: due time to the
server's answer to the POST (the server's share) and thread model to painted (the view's).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import qasync
from PySide6.QtCore import QModelIndex, QObject, QSettings
from PySide6.QtWidgets import QApplication

from benchmarks._common import (
    Report,
    Target,
    Workspace,
    create_workspace,
    machine_context,
    option_parser,
    percentile,
    positive_runs,
    running_server,
)
from benchmarks._loadgen import ConnectionPool, build_request, host_and_port, open_loop
from benchmarks._platforms import parse_on_platform
from benchmarks.client_harness import qt_application
from convos_desktop.app import build_context, open_window, shut_down
from convos_desktop.core.api import ApiClient
from convos_desktop.core.session import Profile, Session
from convos_desktop.core.types import ConnectionState
from convos_desktop.models.navigation import NavTarget
from convos_desktop.models.thread import ThreadModel
from convos_desktop.ui.chat.chat_view import ChatView
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import NAV_KEY, MainWindow

CUSTOMER = "bench-live-customer"
CONNECT_TIMEOUT_S = 30.0
DELIVERY_GRACE_S = 10.0
SENDER_CONNECTIONS = 16
TARGET_P99_MS = {100.0: 10.0, 1000.0: 25.0}  # issue #5, per rate


class PaintedBodies(QObject):
    """Notes when each awaited message body was first painted: at the end of the first paint
    of the chat view after its row entered the thread model, with the newest rows in view."""

    def __init__(self, chat: ChatView, thread: ThreadModel, awaited: set[str]) -> None:
        super().__init__(chat)
        self._chat = chat
        self._thread = thread
        self._awaited = awaited
        self._inserted: list[str] = []
        self.inserted_at: dict[str, float] = {}
        self.painted_at: dict[str, float] = {}
        self.all_painted = asyncio.Event()
        thread.rowsInserted.connect(self._on_inserted)
        chat.painted.connect(self._on_painted)

    def _on_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        now = time.perf_counter()
        for row in range(first, last + 1):
            message = self._thread.message_at(row)
            if message is not None and message.body in self._awaited:
                self._inserted.append(message.body)
                self.inserted_at.setdefault(message.body, now)

    def expect_only(self, bodies: set[str]) -> None:
        """Wait only for ``bodies`` (those the server took)."""
        self._awaited &= bodies
        if len(self.painted_at.keys() & self._awaited) == len(self._awaited):
            self.all_painted.set()

    def _on_painted(self) -> None:
        if not self._inserted or not self._chat.is_at_bottom():
            return
        now = time.perf_counter()
        for body in self._inserted:
            self.painted_at.setdefault(body, now)
        self._inserted.clear()
        if len(self.painted_at.keys() & self._awaited) == len(self._awaited):
            self.all_painted.set()

    def detach(self) -> None:
        """Stop watching."""
        self._thread.rowsInserted.disconnect(self._on_inserted)
        self._chat.painted.disconnect(self._on_painted)


def send_customer_messages(
    workspace: Workspace, bodies: list[str], rate: float
) -> list[tuple[float, float] | None]:
    """POST ``bodies`` at ``rate`` per second (open loop, several in flight); for each, when
    it was due and when the server answered (``perf_counter``), whatever the server's pace;
    ``None`` for a message the server did not take (an error, or no answer in time).

    Runs its own asyncio loop in a thread, so the sender does not wait on the GUI thread's
    loop.
    """
    return asyncio.run(_send_open_loop(workspace, bodies, rate))


async def _send_open_loop(
    workspace: Workspace, bodies: list[str], rate: float
) -> list[tuple[float, float] | None]:
    host, port = host_and_port(workspace.url)
    pool = ConnectionPool(host, port, SENDER_CONNECTIONS)
    path = f"/api/v1/channels/{workspace.inbox_id}/messages"
    headers = {"X-Api-Key": workspace.inbox_key}
    loop = asyncio.get_running_loop()
    clock_offset = time.perf_counter() - loop.time()
    due_at = [0.0] * len(bodies)

    async def send(index: int) -> int:
        payload = {"contact": {"external_id": CUSTOMER}, "text": bodies[index]}
        request = build_request("POST", path, host, json.dumps(payload).encode(), headers)
        status, _body = await pool.request(request)
        return status

    def on_due(index: int, due: float) -> None:
        due_at[index] = due + clock_offset

    try:
        result = await open_loop(rate, len(bodies), send, DELIVERY_GRACE_S, on_due)
    finally:
        pool.close()
    answered: list[tuple[float, float] | None] = [None] * len(bodies)
    for sample in result.ok:
        answered[sample.index] = (due_at[sample.index], sample.finished + clock_offset)
    return answered


def open_ticket(workspace: Workspace) -> int:
    """The customer's first message with a hand-off: the ticket the agent will watch."""
    answer = httpx.post(
        f"{workspace.url}/api/v1/channels/{workspace.inbox_id}/messages",
        json={"contact": {"external_id": CUSTOMER, "name": "Cliente Bench"}, "text": "Salve"}
        | {"handoff": True},
        headers={"X-Api-Key": workspace.inbox_key},
        timeout=30,
    )
    answer.raise_for_status()
    ticket_id = answer.json()["ticket_id"]
    if not isinstance(ticket_id, int):
        raise RuntimeError("the hand-off opened no ticket")
    return ticket_id


@dataclass(frozen=True)
class RateResult:
    """What one rate gave, in seconds: due time to painted (messages painted), due time to the
    server's answer (messages taken), thread model to painted; messages taken but never
    painted, messages not taken."""

    latencies: list[float]
    server_answers: list[float]
    model_to_paint: list[float]
    missed: int
    refused: int


class LiveBench:
    """The app signed in to the benchmark server, launched and measured on the qasync loop."""

    def __init__(self, folder: Path, workspace: Workspace) -> None:
        self.folder = folder
        self.workspace = workspace

    async def launch(self) -> tuple[float, ClientContext, MainWindow]:
        """Seconds from before ``GET /me`` to the event stream connected; the running app."""
        started = time.perf_counter()
        api = ApiClient(self.workspace.url, self.workspace.agent_tokens[0])
        session = Session(Profile("bench", self.workspace.url, "bench@convos.test"), api, None)
        session.me = await api.me()
        settings = QSettings(str(self.folder / "settings.ini"), QSettings.Format.IniFormat)
        settings.setValue(NAV_KEY, NavTarget.UNASSIGNED.value)
        context = build_context(session, self.folder / "cache.sqlite3", settings)
        connected = asyncio.get_running_loop().create_future()

        def on_state(state: object) -> None:
            if state is ConnectionState.CONNECTED and not connected.done():
                connected.set_result(time.perf_counter())

        context.sync.connection_state_changed.connect(on_state)
        window = open_window(context, "en")
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            live_at: float = await connected
        context.sync.connection_state_changed.disconnect(on_state)
        return live_at - started, context, window

    async def message_latencies(self, window: MainWindow, count: int, rate: float) -> RateResult:
        """Send ``count`` customer messages at ``rate`` and time each to its painted row."""
        stamp = f"{time.monotonic_ns()}"
        bodies = [f"Messaggio di prova {index} ({stamp})" for index in range(count)]
        workspace = window.workspace
        painted = PaintedBodies(workspace.chat, workspace.messages, set(bodies))
        times = await asyncio.to_thread(send_customer_messages, self.workspace, bodies, rate)
        sent = {body: pair for body, pair in zip(bodies, times, strict=True) if pair is not None}
        painted.expect_only(set(sent))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DELIVERY_GRACE_S):
                await painted.all_painted.wait()
        painted.detach()
        shown = [body for body in sent if body in painted.painted_at]
        return RateResult(
            [painted.painted_at[body] - sent[body][0] for body in shown],
            [sent[body][1] - sent[body][0] for body in sent],
            [painted.painted_at[body] - painted.inserted_at[body] for body in shown],
            len(sent) - len(shown),
            count - len(sent),
        )

    async def close(self, context: ClientContext, window: MainWindow) -> None:
        """Quit as the app does: drafts saved, presence reported, core stopped, cache closed."""
        window.quit()
        await shut_down(context, window)
        await context.api.aclose()
        window.deleteLater()


async def measure(
    report: Report, bench: LiveBench, runs: int, messages: int, rates: Sequence[float]
) -> None:
    """Launch ``runs`` + 1 times, then send ``messages`` at each rate to the open thread of
    the last launch."""
    ticket_id = await asyncio.to_thread(open_ticket, bench.workspace)
    launches: list[float] = []
    for run in range(runs + 1):  # the first launch bootstraps an empty cache: not counted
        live_s, context, window = await bench.launch()
        if run > 0:
            launches.append(live_s * 1000)
        if run < runs:
            await bench.close(context, window)
    report.add("launch to live (warm cache)", "ms", launches, Target("<=", 600))
    await context.sync.flush()
    if not window.workspace.select_ticket(ticket_id):
        raise RuntimeError(f"ticket {ticket_id} is not in the agent's list")
    await asyncio.sleep(0.5)  # the thread is open, painted and settled at the bottom
    for rate in rates:
        result = await bench.message_latencies(window, messages, rate)
        latencies_ms = [latency * 1000 for latency in result.latencies]
        model_ms = [latency * 1000 for latency in result.model_to_paint]
        target = Target("<=", TARGET_P99_MS.get(rate, 10.0))
        p99 = percentile(latencies_ms, 99) if latencies_ms else float("nan")
        report.add(f"message to painted p99 at {rate:g}/s", "ms", [p99], target)
        report.add(f"message to painted median at {rate:g}/s", "ms", latencies_ms)
        answers_ms = [latency * 1000 for latency in result.server_answers]
        if answers_ms:
            report.add(
                f"  POST answered by the server p99 at {rate:g}/s",
                "ms",
                [percentile(answers_ms, 99)],
            )
        if model_ms:
            report.add(
                f"  in the thread model to painted p99 at {rate:g}/s",
                "ms",
                [percentile(model_ms, 99)],
            )
        report.add(
            f"missed deliveries at {rate:g}/s (kept up: 0)",
            "messages",
            [float(result.missed)],
            Target("<=", 0),
        )
        report.add(f"not taken by the server at {rate:g}/s", "messages", [float(result.refused)])
        await asyncio.sleep(0.5)  # the stream drained before the next rate
    await bench.close(context, window)


async def run_against_server(
    report: Report, options_url: str | None, runs: int, messages: int, rates: Sequence[float]
) -> None:
    """Start the server, make the workspace, measure."""
    with running_server(options_url) as server:
        report.context["database"] = server.database_version
        workspace = await create_workspace(server, agents=1)
        with tempfile.TemporaryDirectory(prefix="convos-client-live-") as folder:
            await measure(report, LiveBench(Path(folder), workspace), runs, messages, rates)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 0 when it ran (a missed target is reported, not fatal)."""
    parser = option_parser("benchmarks.client_live", __doc__ or "")
    parser.add_argument(
        "--rate", type=float, help="customer messages per second (default: 100, then 1000)"
    )
    parser.add_argument("--messages", type=int, help="how many to send at each rate (1000)")
    options, delegated = parse_on_platform(parser, "benchmarks.client_live", argv)
    if delegated is not None:
        return delegated
    if options.profile is not None:
        raise SystemExit("--profile records the server; profile the client with pyinstrument")
    runs = positive_runs(options.runs, 1 if options.smoke else 5)
    messages = options.messages or (20 if options.smoke else 1000)
    rates = [options.rate] if options.rate is not None else sorted(TARGET_P99_MS)
    if messages < 2 or min(rates) <= 0:
        raise SystemExit("--messages must be at least 2 and --rate positive")
    context = machine_context("")
    context.update(runs=runs, messages=messages, rates="/".join(f"{r:g}" for r in rates))
    report = Report("client_live", context)
    app: QApplication = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    loop.run_until_complete(run_against_server(report, options.database_url, runs, messages, rates))
    loop.close()
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

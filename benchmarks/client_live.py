"""Client figures against the real server on loopback: launch to live, message to painted.

The server runs in its own process (SQLite, or ``--database-url``); one agent of the inbox's
team signs in with a token. Each run builds the app as ``convos_desktop.app`` does
(``build_context`` + ``open_window``: window, event stream, outbox, presence) over a cache
folder kept between runs, and times from before ``GET /me`` to the event stream's
``connected`` state (the first run bootstraps an empty cache and is not counted).

Then, with the customer's ticket open at 1280x800, a thread sends customer messages to the
ingress at ``--rate`` per second (open loop); each one's latency runs from just before its
POST to the end of the chat view's first paint that shows it (the paint is delivered from an
event filter on the viewport, so the time is taken after it).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import qasync
from PySide6.QtCore import QEvent, QObject, QSettings
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
from benchmarks.client_harness import qt_application
from convos_desktop.app import build_context, open_window, shut_down
from convos_desktop.core.api import ApiClient
from convos_desktop.core.session import Profile, Session
from convos_desktop.core.types import ConnectionState
from convos_desktop.models.navigation import NavTarget
from convos_desktop.ui.chat_view import ChatView
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.main_window import NAV_KEY, MainWindow

CUSTOMER = "bench-live-customer"
CONNECT_TIMEOUT_S = 30.0
DELIVERY_GRACE_S = 10.0


class PaintedBodies(QObject):
    """Paints the chat view itself (from a viewport event filter), then notes the time at
    which each awaited message body was first on screen."""

    def __init__(self, chat: ChatView, awaited: set[str]) -> None:
        super().__init__(chat)
        self._chat = chat
        self._awaited = awaited
        self._scanned = 0
        self.painted_at: dict[str, float] = {}
        self.all_painted = asyncio.Event()
        chat.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Paint:
            return False
        self._chat.viewportEvent(event)
        now = time.perf_counter()
        model = self._chat.model()
        rows = model.rowCount()
        for row in range(max(0, self._scanned - 2), rows):
            message = self._chat.message_at(model.index(row, 0))
            if message is not None and message.body in self._awaited:
                self.painted_at.setdefault(message.body, now)
        self._scanned = rows
        if len(self.painted_at) == len(self._awaited):
            self.all_painted.set()
        return True

    def detach(self) -> None:
        """Stop watching."""
        self._chat.viewport().removeEventFilter(self)


def send_customer_messages(workspace: Workspace, bodies: list[str], rate: float) -> list[float]:
    """POST ``bodies`` at ``rate`` per second (open loop); the time each POST started.

    Runs in a thread so the sender does not wait on the GUI thread's loop.
    """
    started_at: list[float] = []
    url = f"{workspace.url}/api/v1/channels/{workspace.inbox_id}/messages"
    headers = {"X-Api-Key": workspace.inbox_key}
    with httpx.Client(timeout=30) as client:
        first = time.perf_counter()
        for index, body in enumerate(bodies):
            delay = first + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            started_at.append(time.perf_counter())
            answer = client.post(
                url, json={"contact": {"external_id": CUSTOMER}, "text": body}, headers=headers
            )
            answer.raise_for_status()
    return started_at


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

    async def message_latencies(
        self, context: ClientContext, window: MainWindow, ticket_id: int, count: int, rate: float
    ) -> tuple[list[float], int]:
        """Seconds from each POST to its painted message; how many were never painted."""
        await context.sync.flush()
        if not window.workspace.select_ticket(ticket_id):
            raise RuntimeError(f"ticket {ticket_id} is not in the agent's list")
        await asyncio.sleep(0.5)  # the thread is open, painted and settled at the bottom
        stamp = f"{time.monotonic_ns()}"
        bodies = [f"Messaggio di prova {index} ({stamp})" for index in range(count)]
        painted = PaintedBodies(window.workspace.chat, set(bodies))
        started_at = await asyncio.to_thread(send_customer_messages, self.workspace, bodies, rate)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DELIVERY_GRACE_S):
                await painted.all_painted.wait()
        painted.detach()
        latencies = [
            painted.painted_at[body] - start
            for body, start in zip(bodies, started_at, strict=True)
            if body in painted.painted_at
        ]
        return latencies, count - len(latencies)

    async def close(self, context: ClientContext, window: MainWindow) -> None:
        """Quit as the app does: drafts saved, presence reported, core stopped, cache closed."""
        window.quit()
        await shut_down(context, window)
        await context.api.aclose()
        window.deleteLater()


async def measure(report: Report, bench: LiveBench, runs: int, messages: int, rate: float) -> None:
    """Launch ``runs`` + 1 times, then send ``messages`` to the open thread of the last."""
    ticket_id = await asyncio.to_thread(open_ticket, bench.workspace)
    launches: list[float] = []
    for run in range(runs + 1):  # the first launch bootstraps an empty cache: not counted
        live_s, context, window = await bench.launch()
        if run > 0:
            launches.append(live_s * 1000)
        if run < runs:
            await bench.close(context, window)
    latencies, missed = await bench.message_latencies(context, window, ticket_id, messages, rate)
    await bench.close(context, window)
    latencies_ms = [latency * 1000 for latency in latencies]
    report.add("launch to live (warm cache)", "ms", launches, Target("<=", 600))
    report.add(
        f"message to painted p99 at {rate:g}/s",
        "ms",
        [percentile(latencies_ms, 99)],
        Target("<=", 10),
    )
    report.add("message to painted median", "ms", latencies_ms)
    report.add("missed deliveries", "messages", [float(missed)], Target("<=", 0))


async def run_against_server(
    report: Report, options_url: str | None, runs: int, messages: int, rate: float
) -> None:
    """Start the server, make the workspace, measure."""
    with running_server(options_url) as server:
        report.context["database"] = server.database_version
        workspace = await create_workspace(server, agents=1)
        with tempfile.TemporaryDirectory(prefix="convos-client-live-") as folder:
            await measure(report, LiveBench(Path(folder), workspace), runs, messages, rate)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 0 when it ran (a missed target is reported, not fatal)."""
    parser = option_parser("benchmarks.client_live", __doc__ or "")
    parser.add_argument("--rate", type=float, default=100.0, help="customer messages per second")
    parser.add_argument("--messages", type=int, help="how many to send (1000)")
    options = parser.parse_args(argv)
    if options.profile is not None:
        raise SystemExit("--profile records the server; profile the client with pyinstrument")
    runs = positive_runs(options.runs, 1 if options.smoke else 5)
    messages = options.messages or (20 if options.smoke else 1000)
    if messages < 1 or options.rate <= 0:
        raise SystemExit("--messages and --rate must be positive")
    context = machine_context("")
    context.update(runs=runs, messages=messages, rate=options.rate)
    report = Report("client_live", context)
    app: QApplication = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    loop.run_until_complete(
        run_against_server(report, options.database_url, runs, messages, options.rate)
    )
    loop.close()
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Client figures from the local cache alone: launch to painted inbox, open, switch, scroll, RSS.

A cache of ``--tickets`` open tickets and a ``--thread`` message conversation is written
through the store; each run builds the app's real ``MainWindow`` over it (1280x800,
offscreen, API pointed at a closed port: nothing comes from the network) and times, with a
paint-event filter on the views' viewports:

* launch: ``build_context`` (opens the cache) + ``MainWindow`` + show + the cached state
  emitted, to the first paint of the ticket list (modules already imported: warm);
* open: selecting the big conversation in that fresh window, to the chat view's paint;
* switch: alternating between the big and a 200-message conversation in one window;
* scroll: one wheel step (120 px) up through the whole thread loaded in the model, to the
  end of the synchronous ``viewport().repaint()``;
* resident memory at the end, with the tickets listed and the whole thread in the model.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from benchmarks._common import (
    Report,
    Target,
    machine_context,
    option_parser,
    percentile,
    positive_runs,
)
from benchmarks.client_harness import (
    BIG_CONVERSATION,
    SMALL_CONVERSATION,
    PaintWatch,
    Sizes,
    fill_cache,
    offline_context,
    outside_task,
    qt_application,
    resident_mib,
)
from convos_desktop.ui.main_window import MainWindow

SCROLL_STEP_PX = 120
SWITCHES = 100
SCROLL_STEPS = 300


def _ms(seconds: float) -> float:
    return seconds * 1000


class CacheBench:
    """One filled cache and the windows built over it, measured on the qasync loop."""

    def __init__(self, folder: Path, sizes: Sizes, app: QApplication) -> None:
        self.folder = folder
        self.cache = folder / "cache.sqlite3"
        self.sizes = sizes
        self.app = app

    async def launch(self) -> tuple[float, float, MainWindow]:
        """One launch: seconds to the painted inbox, then to the painted big conversation."""
        started = time.perf_counter()

        def to_inbox() -> tuple[float, MainWindow]:
            context = offline_context(self.folder, self.cache)
            window = MainWindow(context)
            watch = PaintWatch(window.workspace.ticket_view.viewport())
            window.show()
            context.sync.emit_cached()
            watch.wait_for_paint(self.app, 0)
            return time.perf_counter() - started, window

        inbox_s, window = await outside_task(to_inbox)
        return inbox_s, await self.open_conversation(window, BIG_CONVERSATION), window

    async def open_conversation(self, window: MainWindow, ticket_id: int) -> float:
        """Seconds from selecting ``ticket_id`` in the list to its painted thread."""
        workspace = window.workspace

        def select() -> float:
            watch = PaintWatch(workspace.chat.viewport())
            started = time.perf_counter()
            if not workspace.select_ticket(ticket_id):
                raise RuntimeError(f"ticket {ticket_id} is not in the list")
            watch.wait_for_paint(self.app, 0)
            elapsed = time.perf_counter() - started
            watch.deleteLater()
            return elapsed

        return await outside_task(select)

    async def scroll_repaints(self, window: MainWindow, steps: int) -> list[float]:
        """Seconds per wheel step up the whole thread (loaded into the model first)."""
        workspace = window.workspace
        store = workspace._context.store
        everything = store.messages_page(BIG_CONVERSATION, limit=self.sizes.thread_messages)

        def scroll() -> list[float]:
            watch = PaintWatch(workspace.chat.viewport())
            workspace.messages.open(BIG_CONVERSATION, everything, False)
            watch.wait_for_paint(self.app, watch.paints)
            bar = workspace.chat.verticalScrollBar()
            bar.setValue(bar.maximum())
            self.app.processEvents()
            samples = []
            for _ in range(steps):
                started = time.perf_counter()
                bar.setValue(max(bar.minimum(), bar.value() - SCROLL_STEP_PX))
                workspace.chat.viewport().repaint()
                samples.append(time.perf_counter() - started)
                if bar.value() == bar.minimum():
                    bar.setValue(bar.maximum())
                    self.app.processEvents()
            return samples

        return await outside_task(scroll)

    async def close(self, window: MainWindow) -> None:
        """Close a window and its services (no network: nothing was started)."""
        context = window.workspace._context
        window.hide()
        await window.workspace.shutdown()
        await context.drafts.flush()
        await context.sync.flush()
        window.deleteLater()
        await outside_task(self.app.processEvents)
        context.store.close()
        await context.api.aclose()
        gc.collect()


async def measure(report: Report, bench: CacheBench, runs: int, switches: int, steps: int) -> None:
    """Fill the cache, then take every figure of this benchmark into ``report``."""
    sizes = bench.sizes
    await fill_cache(bench.cache, sizes.tickets, sizes.thread_messages)
    launches: list[float] = []
    opens: list[float] = []
    for run in range(runs + 1):  # the first launch warms caches and is not counted
        inbox_s, open_s, window = await bench.launch()
        if run > 0:
            launches.append(_ms(inbox_s))
            opens.append(_ms(open_s))
        if run < runs:
            await bench.close(window)
    switch_ms = [
        _ms(await bench.open_conversation(window, ticket))
        for _ in range(switches)
        for ticket in (SMALL_CONVERSATION, BIG_CONVERSATION)
    ]
    scroll_ms = [_ms(s) for s in await bench.scroll_repaints(window, steps)]
    rss = resident_mib()
    await bench.close(window)
    report.add("launch to painted inbox (warm)", "ms", launches, Target("<=", 250))
    report.add("open cached conversation p95", "ms", [percentile(opens, 95)], Target("<=", 50))
    report.add("open cached conversation median", "ms", opens)
    report.add("switch conversations p95", "ms", [percentile(switch_ms, 95)], Target("<=", 16.7))
    report.add("switch conversations median", "ms", switch_ms)
    report.add("scroll repaint p99", "ms", [percentile(scroll_ms, 99)], Target("<=", 8))
    report.add("scroll repaint median", "ms", scroll_ms)
    report.add("resident memory, list + thread loaded", "MiB", [rss], Target("<=", 120))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 0 when it ran (a missed target is reported, not fatal)."""
    parser = option_parser("benchmarks.client_cache", __doc__ or "")
    parser.add_argument("--tickets", type=int, help="open tickets in the cache (10000)")
    parser.add_argument("--thread", type=int, help="messages in the big conversation (10000)")
    options = parser.parse_args(argv)
    if options.profile is not None:
        raise SystemExit("--profile records the server; profile the client with pyinstrument")
    runs = positive_runs(options.runs, 1 if options.smoke else 5)
    default_size = 300 if options.smoke else 10_000
    sizes = Sizes(options.tickets or default_size, options.thread or default_size)
    if sizes.tickets < SMALL_CONVERSATION or sizes.thread_messages < 1:
        raise SystemExit("--tickets must be at least 2 and --thread at least 1")
    context = machine_context("SQLite cache")
    context.update(tickets=sizes.tickets, thread=sizes.thread_messages, runs=runs)
    report = Report("client_cache", context)
    app = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    with tempfile.TemporaryDirectory(prefix="convos-client-bench-") as folder:
        bench = CacheBench(Path(folder), sizes, app)
        loop.run_until_complete(
            measure(
                report,
                bench,
                runs,
                switches=5 if options.smoke else SWITCHES,
                steps=20 if options.smoke else SCROLL_STEPS,
            )
        )
    loop.close()
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m benchmarks.client_memory CACHE THREAD [--stages] [--trace]``: the app's memory.

Run by ``client_cache`` in a child process that imports only the client (the benchmark
itself imports the server's modules for its helpers, about 58 MiB that the app never
loads). The window is launched over ``CACHE``, its tickets listed, the big conversation
opened and scrolled through end to end (up to its first message and back to the newest, a
view at a time, as the app pages it from the cache); the last output line is the resident
memory (VmRSS) in MiB. ``--stages`` prints the resident memory after each step before it
(and, after the figure, once the app's minute trim ran, then with the whole thread put in
the model at once: what a model without a scroll window would hold); ``--trace`` prints
tracemalloc's biggest Python allocations (by line) after each step.
"""

from __future__ import annotations

import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import qasync

from benchmarks.client_harness import (
    BIG_CONVERSATION,
    CacheBench,
    Sizes,
    outside_task,
    qt_application,
    resident_mib,
)
from convos_desktop.platform.memory_trim import MemoryTrimmer, glibc_malloc_trim

TRACE_LINES = 15


def trace_top(limit: int = TRACE_LINES) -> list[str]:
    """The biggest live Python allocations by source line (tracemalloc must be tracing)."""
    snapshot = tracemalloc.take_snapshot()
    return [str(stat) for stat in snapshot.statistics("lineno")[:limit]]


async def measure(bench: CacheBench, stage: Callable[[str], None], everything: bool) -> float:
    """The resident memory with the window open, the tickets listed and the thread scrolled
    through end to end."""
    launched = await bench.launch()
    window = launched.window
    stage("window shown, tickets listed, big thread opened (its newest page)")
    most = await bench.scroll_through(window)
    stage(f"big thread scrolled through end to end (at most {most} rows in the model)")
    rss = resident_mib()
    if everything:
        MemoryTrimmer(trim=glibc_malloc_trim()).trim_now()
        stage("after the app's minute trim (linecache, malloc_trim; not the figure)")
        workspace = window.workspace
        store = workspace._context.store
        messages = store.messages_page(BIG_CONVERSATION, limit=bench.sizes.thread_messages)

        def load_all() -> None:
            workspace.messages.open(BIG_CONVERSATION, messages, False)
            workspace.chat.executeDelayedItemsLayout()
            workspace.chat.viewport().repaint()

        await outside_task(load_all)
        stage(f"whole thread put in the model at once ({len(messages)} rows; not the figure)")
    await bench.close(window)
    return rss


def main(argv: Sequence[str] | None = None) -> int:
    """Print the resident memory in MiB; a usage error for wrong arguments."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    stages = "--stages" in arguments
    trace = "--trace" in arguments
    arguments = [a for a in arguments if a not in ("--stages", "--trace")]
    if len(arguments) != 2 or not arguments[1].isdigit():
        raise SystemExit(
            "usage: python -m benchmarks.client_memory CACHE THREAD_MESSAGES [--stages] [--trace]"
        )
    cache = Path(arguments[0])
    if not cache.is_file():
        raise SystemExit(f"no cache file at {cache}")
    if trace:
        tracemalloc.start()

    def stage(what: str) -> None:
        if stages:
            print(f"{resident_mib():7.1f} MiB  {what}", flush=True)
        if trace:
            print("\n".join(trace_top()), flush=True)

    stage("client imported")
    app = qt_application()
    stage("QApplication")
    loop = qasync.QEventLoop(app, already_running=False)
    with tempfile.TemporaryDirectory(prefix="convos-client-memory-") as folder:
        bench = CacheBench(Path(folder), Sizes(tickets=0, thread_messages=int(arguments[1])), app)
        bench.cache.write_bytes(cache.read_bytes())  # the child's windows change its own copy
        rss = loop.run_until_complete(measure(bench, stage, stages))
    loop.close()
    print(f"{rss:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m benchmarks.client_memory CACHE THREAD [--stages] [--trace]``: the app's memory.

Run by ``client_cache`` in a child process that imports only the client (the benchmark
itself imports the server's modules for its helpers, about 58 MiB that the app never
loads). The window is launched over ``CACHE``, its tickets listed, the big conversation
opened and scrolled through end to end (up to its first message and back to the newest, a
view at a time, as the app pages it from the cache); once the app has come to rest (0.8 s of
its event loop: what it does when scrolling stops counts) the last output line is the
resident memory (VmRSS) in MiB. ``--stages`` prints the resident memory after each step before it
(the launch a step at a time: services, window built, shown, cached state painted, every
ticket listed, thread opened; and, after the figure, once the app's minute trim ran, then
with the whole thread put in the model at once: what a model without a scroll window would
hold); ``--trace`` prints tracemalloc's biggest Python allocations (by line) after each step;
``--maps`` prints after each step the mappings whose resident memory changed by 0.1 MiB or
more (``/proc/self/smaps``: each file by its path, ``[heap]``, ``[anon]`` for the anonymous
rest: Python's arenas, the backing store, other threads' malloc arenas) and, at the figure,
the biggest mappings with their anonymous share.

The line before the figure gives its parts (``PARTS_PREFIX``): anonymous (Python's heap, Qt's
heap; the offscreen window's backing store), file-backed (libraries, fonts, the cache file),
shared memory (xcb's MIT-SHM backing store) and, where ``/proc/kpageflags`` can be read (root),
how much of the file-backed part lies in large page-cache folios. The file-backed part is not the
code's alone: since Linux 6.18 a fault maps the whole large folio around it (fault-around), and
how a library's pages came into the page cache (``read()``: large folios; a program's faults:
single pages) decides the folio sizes. The same code read 1.1 MiB higher with Qt's libraries
read in by ``cat`` (branch mem16r): compare figures within an alternated pair, and look at this
line when two runs' figures differ.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import qasync

import convos_desktop  # noqa: F401  first, as the app's entry point: its import set-up (see its doc)
from benchmarks.client_harness import (
    BIG_CONVERSATION,
    CacheBench,
    PaintWatch,
    Sizes,
    offline_context,
    outside_task,
    qt_application,
    resident_mib,
)
from convos_desktop.platform.memory_trim import SETTLE_MS, MemoryTrimmer, glibc_malloc_trim
from convos_desktop.ui.shell.main_window import MainWindow

TRACE_LINES = 15
MAPS_MIN_KIB = 100  # ``--maps``: the smallest change per step printed
MAPS_TOP = 30  # ``--maps``: the mappings listed at the figure
FIGURE_STAGE = "big thread scrolled through end to end"
PARTS_PREFIX = "figure parts (MiB):"  # the line before the figure: see the module's doc
PAGE = 4096
PFN_MASK = (1 << 55) - 1  # /proc/PID/pagemap: the page frame number, bits 0-54 (root only)
PRESENT = 1 << 63
COMPOUND = (1 << 15) | (1 << 16)  # /proc/kpageflags: COMPOUND_HEAD, COMPOUND_TAIL
MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")  # a mapping's first line in smaps
SETTLE_S = SETTLE_MS / 1000 + 0.3  # the app's settle delay and a margin


def resident_parts_mib() -> tuple[float, float]:
    """This process's anonymous and file-backed resident memory (``RssAnon``, ``RssFile``) in
    MiB: the heap and the mapped libraries apart."""
    parts = resident_split_mib()
    return parts["anon"], parts["file"]


def resident_split_mib() -> dict[str, float]:
    """This process's resident memory by kind, MiB: ``anon`` (``RssAnon``), ``file``
    (``RssFile``) and ``shmem`` (``RssShmem``: shared memory, e.g. xcb's MIT-SHM backing store);
    ``VmRSS`` is their sum."""
    status = Path("/proc/self/status").read_text()
    parts = dict(re.findall(r"^Rss(Anon|File|Shmem):\s+(\d+) kB", status, re.MULTILINE))
    return {kind.lower(): int(parts.get(kind, 0)) / 1024 for kind in ("Anon", "File", "Shmem")}


def file_pages_in_large_folios_mib() -> float | None:
    """How much of this process's resident file-backed memory lies in large page-cache folios
    (``/proc/self/pagemap`` and ``/proc/kpageflags``), MiB; ``None`` where they cannot be read
    (not root, or no such files)."""
    try:
        pagemap = os.open("/proc/self/pagemap", os.O_RDONLY)
    except OSError:
        return None
    try:
        kpageflags = os.open("/proc/kpageflags", os.O_RDONLY)
    except OSError:
        os.close(pagemap)
        return None
    pages = 0
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            ranges = [line.split(None, 5) for line in maps]
        for fields in ranges:
            if len(fields) < 6 or not fields[5].startswith("/") or fields[5].startswith("/memfd:"):
                continue
            low, high = (int(end, 16) for end in fields[0].split("-"))
            entries = os.pread(pagemap, (high - low) // PAGE * 8, low // PAGE * 8)
            for (entry,) in struct.iter_unpack("Q", entries):
                frame = entry & PFN_MASK
                if entry & PRESENT and frame:
                    (flags,) = struct.unpack("Q", os.pread(kpageflags, 8, frame * 8))
                    pages += bool(flags & COMPOUND)
    except OSError:
        return None
    finally:
        os.close(pagemap)
        os.close(kpageflags)
    return pages * PAGE / 2**20


def figure_parts_line() -> str:
    """The ``PARTS_PREFIX`` line: this process's resident memory by kind, MiB (``large``:
    the file-backed pages in large folios, ``-`` where that cannot be read)."""
    parts = resident_split_mib()
    large = file_pages_in_large_folios_mib()
    parts_text = " ".join(f"{kind}={mib:.2f}" for kind, mib in parts.items())
    return f"{PARTS_PREFIX} {parts_text} large={'-' if large is None else f'{large:.2f}'}"


def resident_by_mapping() -> dict[str, tuple[int, int]]:
    """This process's resident memory by mapping name (``Rss``, ``Anonymous``, KiB), from
    ``/proc/self/smaps``; unnamed mappings are ``[anon]``."""
    totals: dict[str, tuple[int, int]] = {}
    name = "[anon]"
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            head, _, value = line.partition(":")
            if head == "Rss":
                rss, anon = totals.get(name, (0, 0))
                totals[name] = (rss + int(value.split()[0]), anon)
            elif head == "Anonymous":
                rss, anon = totals.get(name, (0, 0))
                totals[name] = (rss, anon + int(value.split()[0]))
            elif MAPPING.match(line):
                fields = line.split(None, 5)
                name = fields[5].strip() if len(fields) > 5 else "[anon]"
    return totals


def mapping_changes(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], limit: int = 12
) -> list[str]:
    """The mappings whose resident memory changed by ``MAPS_MIN_KIB`` or more, biggest first."""
    changes = [
        (after.get(name, (0, 0))[0] - before.get(name, (0, 0))[0], name)
        for name in set(before) | set(after)
    ]
    big = sorted((c for c in changes if abs(c[0]) >= MAPS_MIN_KIB), reverse=True)
    return [f"    {kib / 1024:+6.2f}  {name}" for kib, name in big[:limit]]


def biggest_mappings(maps: dict[str, tuple[int, int]], limit: int = MAPS_TOP) -> list[str]:
    """The ``limit`` biggest mappings: resident MiB, of which anonymous, and the name."""
    top = sorted(maps.items(), key=lambda item: -item[1][0])[:limit]
    return [f"    {rss / 1024:6.2f} (anon {anon / 1024:5.2f})  {name}" for name, (rss, anon) in top]


def trace_top(limit: int = TRACE_LINES) -> list[str]:
    """The biggest live Python allocations by source line (tracemalloc must be tracing)."""
    import tracemalloc  # only with --trace: see main

    snapshot = tracemalloc.take_snapshot()
    return [str(stat) for stat in snapshot.statistics("lineno")[:limit]]


async def launch_in_stages(bench: CacheBench, stage: Callable[[str], None]) -> MainWindow:
    """``bench.launch`` a step at a time, the resident memory after each (``--stages``): the
    window is shown and painted before the cached state is emitted (together in a launch)."""

    def to_inbox() -> MainWindow:
        context = offline_context(bench.folder, bench.cache)
        stage("services over the cache (build_context)")
        window = MainWindow(context)
        stage("MainWindow built")
        watch = PaintWatch(window.workspace.ticket_view.viewport())
        window.show()
        for _ in range(3):  # an empty list may not paint its viewport: the window's passes
            bench.app.processEvents()
        stage("window shown and painted (no tickets yet)")
        context.sync.emit_cached()
        watch.wait_for_paint(bench.app, watch.paints)
        stage("cached state painted (the newest tickets of every view)")
        return window

    window = await outside_task(to_inbox)
    await window.workspace._context.sync.flush()
    await settle()
    stage("every cached ticket listed")
    await bench.open_conversation(window, BIG_CONVERSATION)
    await settle()
    return window


async def settle() -> None:
    """Let the app come to rest (its event loop running) before the memory is read: what
    it does once scrolling, opening or listing stops (``MemoryTrimmer.trim_soon``) counts."""
    await asyncio.sleep(SETTLE_S)


async def measure(bench: CacheBench, stage: Callable[[str], None], everything: bool) -> float:
    """The resident memory with the window open, the tickets listed and the thread scrolled
    through end to end."""
    if everything:
        window = await launch_in_stages(bench, stage)
    else:
        window = (await bench.launch()).window
    stage("window shown, tickets listed, big thread opened (its newest page)")
    most = await bench.scroll_through(window)
    await settle()
    stage(f"{FIGURE_STAGE} (at most {most} rows in the model)")
    rss = resident_mib()
    print(figure_parts_line(), flush=True)  # read at once after the figure, with its parts
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
    maps = "--maps" in arguments
    arguments = [a for a in arguments if a not in ("--stages", "--trace", "--maps")]
    if len(arguments) != 2 or not arguments[1].isdigit():
        raise SystemExit(
            "usage: python -m benchmarks.client_memory CACHE THREAD_MESSAGES"
            " [--stages] [--trace] [--maps]"
        )
    cache = Path(arguments[0])
    if not cache.is_file():
        raise SystemExit(f"no cache file at {cache}")
    if trace:  # imported only then: ``tracemalloc`` imports ``pickle`` (~0.6 MiB), the app does not
        import tracemalloc

        tracemalloc.start()

    last_maps: dict[str, tuple[int, int]] = {}

    def stage(what: str) -> None:
        if stages or maps:
            anon, file = resident_parts_mib()
            print(
                f"{resident_mib():7.1f} MiB  (anon {anon:5.1f}, file {file:5.1f})  {what}",
                flush=True,
            )
        if maps:
            now = resident_by_mapping()
            lines = mapping_changes(last_maps, now) if last_maps else []
            if what.startswith(FIGURE_STAGE):
                lines += ["  biggest mappings:", *biggest_mappings(now)]
            if lines:
                print("\n".join(lines), flush=True)
            last_maps.clear()
            last_maps.update(now)
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

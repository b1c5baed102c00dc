"""What ``client_shift`` measures in the app's process: memory, and what could hold it.

``Probe.take(label)`` collects garbage, then records the resident memory (VmRSS) as found
and after glibc's ``malloc_trim`` (what the app holds: its own trimmer does the same each
minute, so the untrimmed figure depends on when the last one ran), the
Python heap as tracemalloc sees it, the live Python objects by type and the Qt objects that
leak silently (children of the main window, live ``QTimer``s, top-level widgets, cached
thumbnails, asyncio tasks). From the second probe on it adds the growth since the first one:
tracemalloc's snapshot diff by file:line and the object types that grew most.

The first probe counts, then writes its snapshot to a file and drops it, then reads the
resident memory; the last one reads the memory, then takes its snapshot, then counts. So the
probes' own allocations (and the Python wrappers ``findChildren`` makes) are in the baseline,
not in the growth.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import linecache
import re
import sys
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QPixmapCache
from PySide6.QtWidgets import QApplication

from benchmarks.client_harness import resident_mib
from convos_desktop.ui.context import ClientContext
from convos_desktop.ui.shell.main_window import MainWindow

MIB = 1024 * 1024
TOP = 12
TRACE_FRAMES = 1
UNTRACED = (tracemalloc.__file__, "<frozen importlib._bootstrap>", "<unknown>")


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (every arena summed)."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
    except (OSError, AttributeError):  # not glibc 2.33+: no C heap figures
        return None
    return libc


LIBC = _libc()


def c_heap() -> dict[str, float]:
    """The C heap (Qt, SQLite, Pillow...): in use, and freed but kept by malloc, in MiB."""
    if LIBC is None:
        return {}
    info = LIBC.mallinfo2()
    return {
        "c_in_use_mib": (info.uordblks + info.hblkhd) / MIB,
        "c_free_kept_mib": info.fordblks / MIB,
    }


def _trimmed_rss() -> float:
    gc.collect()
    if LIBC is not None:
        LIBC.malloc_trim(0)
    return resident_mib()


def release_steps(window: MainWindow, context: ClientContext) -> dict[str, Callable[[], object]]:
    """What the idle app holds that it could drop, one cache at a time, in this order."""
    delegate = window.workspace.pane.delegate
    store = context.store
    return {
        "thumbnails": lambda: context.thumbnails.keep_only(()),
        "row layouts": delegate._layouts.clear,
        "painted-row pictures": delegate._forget_pictures,
        "row heights": delegate.forget_heights,
        "QPixmapCache": QPixmapCache.clear,
        "ticket previews": window.workspace.tickets._previews.clear,
        "SQLite page caches (GUI connection)": lambda: store._conn.execute("PRAGMA shrink_memory"),
        "linecache": linecache.clearcache,
    }


async def release_experiment(window: MainWindow, context: ClientContext) -> dict[str, float]:
    """How much resident memory dropping each cache in turn gives back (after a trim each
    time): what of the distance to the start is a cache filled, not a leak. The writer's
    page cache is shrunk on its own thread; the window's backing store is measured by
    hiding the window (then shown again)."""
    if LIBC is None:
        return {}
    released: dict[str, float] = {}
    before = _trimmed_rss()
    for name, drop in release_steps(window, context).items():
        drop()
        after = _trimmed_rss()
        released[name] = before - after
        before = after
    await context.store.read(lambda conn: conn.execute("PRAGMA shrink_memory"))
    after = _trimmed_rss()
    released["SQLite page cache (writer connection)"] = before - after
    before = after
    window.hide()
    for _ in range(3):
        QApplication.processEvents()
        await asyncio.sleep(0.1)
    after = _trimmed_rss()
    released["window hidden (backing store)"] = before - after
    window.show()
    return released


def resident_parts() -> dict[str, float]:
    """VmRSS's parts in MiB: anonymous (heaps), file-backed (libraries, fonts), shared."""
    status = Path("/proc/self/status").read_text()
    parts = {}
    for name in ("RssAnon", "RssFile", "RssShmem"):
        match = re.search(rf"^{name}:\s+(\d+) kB", status, re.MULTILINE)
        parts[name] = int(match.group(1)) / 1024 if match else 0.0
    return parts


def resident_by_file() -> dict[str, float]:
    """Resident MiB of each mapped file (``/proc/self/smaps``): libraries loaded on use."""
    resident: dict[str, float] = {}
    path = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            path = fields[5] if len(fields) > 5 else ""
        elif fields[:1] == ["Rss:"] and path.startswith("/"):
            resident[path] = resident.get(path, 0.0) + int(fields[1]) / 1024
    return resident


def loaded_since(start: dict[str, float], end: dict[str, float]) -> list[list[Any]]:
    """The mapped files resident at the end and not at the start, biggest first."""
    grown = sorted(
        ((name, mib - start.get(name, 0.0)) for name, mib in end.items()), key=lambda row: -row[1]
    )
    return [[name, mib] for name, mib in grown[:TOP] if mib >= 0.05]


def live_types() -> Counter[str]:
    """How many objects the garbage collector tracks, by type."""
    return Counter(type(item).__qualname__ for item in gc.get_objects())


class Probe:
    """Memory and leak suspects of the running app, compared with the first probe."""

    def __init__(self, window: MainWindow, context: ClientContext) -> None:
        self._window = window
        self._context = context
        self._folder = tempfile.TemporaryDirectory(prefix="convos-shift-probe-")
        self._baseline: Path | None = None
        self._baseline_types: Counter[str] = Counter()
        self.results: list[dict[str, Any]] = []
        self.rss_samples: list[float] = []
        self.start_rss_mib: float | None = None
        self.start_qt: dict[str, int] = {}
        self.start_parts: dict[str, float] = {}
        self._start_files: dict[str, float] = {}
        self._start_modules: set[str] = set()
        self._start_trace: Path | None = None

    @staticmethod
    def start_tracing() -> None:
        """Trace Python allocations from now on (before the app is built); without it the
        probes leave out the growth by file:line."""
        tracemalloc.start(TRACE_FRAMES)

    async def take(self, label: str) -> None:
        """Settle, collect, measure; the growth since the first probe from the second on."""
        await self._context.outbox.wait_idle()
        await asyncio.sleep(0.2)  # events in flight are applied and painted
        gc.collect()
        if self._baseline is None:
            qt = self._qt_counts()
            self._take_baseline()
            self.results.append({"label": label, **self._heap_figures(), "qt": qt})
            return
        record: dict[str, Any] = {"label": label, **self._heap_figures()}
        record["growth_by_line"] = self._growth_by_line()
        record["qt"] = self._qt_counts()
        types = live_types()
        types.subtract(self._baseline_types)
        record["growth_by_type"] = [
            [name, count] for name, count in types.most_common(TOP) if count > 0
        ]
        if label == "end":
            record["growth_from_start_by_line"] = self._growth_by_line(self._start_trace)
            record["qt_at_start"] = self.start_qt
            record["parts_at_start"] = self.start_parts
            record["parts"] = resident_parts()
            record["files_grown"] = loaded_since(self._start_files, resident_by_file())
            new_modules = {name.split(".")[0] for name in set(sys.modules) - self._start_modules}
            record["modules_imported"] = sorted(new_modules)
            record["release"] = await release_experiment(self._window, self._context)
            self._folder.cleanup()
        self.results.append(record)

    async def mark_start(self) -> None:
        """The resident memory as the shift starts (connected, inbox painted, settled and
        trimmed), before any step: what the idle app at the end is compared with."""
        await self._context.outbox.wait_idle()
        await asyncio.sleep(0.2)
        gc.collect()
        if LIBC is not None:
            LIBC.malloc_trim(0)
        self.start_qt = self._qt_counts()
        self._start_modules = set(sys.modules)
        if tracemalloc.is_tracing():
            self._start_trace = Path(self._folder.name) / "start.trace"
            tracemalloc.take_snapshot().dump(str(self._start_trace))
            gc.collect()
            if LIBC is not None:
                LIBC.malloc_trim(0)
        own = tracemalloc.get_tracemalloc_memory() / MIB  # tracemalloc's bookkeeping left out
        self.start_rss_mib = resident_mib() - own
        self.start_parts = resident_parts()
        self._start_files = resident_by_file()

    def sample_rss(self) -> None:
        """The resident memory now, without settling (between probes: the growth's shape)."""
        gc.collect()
        self.rss_samples.append(resident_mib())

    def _take_baseline(self) -> None:
        self._baseline = Path(self._folder.name) / "baseline.trace"
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(str(self._baseline))
        self._baseline_types = live_types()
        gc.collect()

    def _heap_figures(self) -> dict[str, float]:
        traced, _peak = tracemalloc.get_traced_memory()
        untrimmed, heap = resident_mib(), c_heap()
        if LIBC is not None:
            LIBC.malloc_trim(0)  # what the app holds, as after its own trimmer's minute
        return {
            "rss_untrimmed_mib": untrimmed,
            "rss_mib": resident_mib(),
            "traced_mib": traced / MIB,
            "tracemalloc_own_mib": tracemalloc.get_tracemalloc_memory() / MIB,
            **heap,
        }

    def _qt_counts(self) -> dict[str, int]:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        context = self._context
        core: list[QObject] = [context.sync, context.outbox, context.presence, context.drafts]
        core += [context.thumbnails, context.directory]
        roots: list[QObject] = [app, *app.topLevelWidgets()]
        roots += [item for item in core if item.parent() is None]
        workspace = self._window.workspace
        return {
            "window_qobjects": len(self._window.findChildren(QObject)),
            "live_qtimers": sum(len(root.findChildren(QTimer)) for root in roots),
            "top_level_widgets": len(app.topLevelWidgets()),
            "thumbnails_cached": context.thumbnails.cached_count,
            "thumbnail_kib": context.thumbnails.held_bytes // 1024,
            "asyncio_tasks": len(asyncio.all_tasks()),
            "python_objects": len(gc.get_objects()),
            "thread_rows": workspace.messages.rowCount(),
            "ticket_rows": workspace.tickets.rowCount(),
        }

    def _growth_by_line(self, since: Path | None = None) -> list[list[Any]]:
        """tracemalloc's growth by file:line since the first probe (or the ``since`` dump)."""
        baseline = since or self._baseline
        if baseline is None or not tracemalloc.is_tracing():
            return []
        before = tracemalloc.Snapshot.load(str(baseline))
        after = tracemalloc.take_snapshot()
        rows = []
        for stat in sorted(after.compare_to(before, "lineno"), key=lambda s: -s.size_diff):
            frame = stat.traceback[0]
            if frame.filename not in UNTRACED:
                rows.append([f"{frame.filename}:{frame.lineno}", stat.size_diff, stat.count_diff])
            if len(rows) == TOP:
                break
        return rows

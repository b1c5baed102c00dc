"""Freed C heap handed back to the system now and then (glibc keeps it otherwise).

glibc's malloc keeps what Qt, SQLite and Pillow free inside its arenas (one per thread that
allocated) unless it sits at the very top of one. Over an agent's compressed hour
(``benchmarks/client_shift``) that "freed but kept" memory grew by about 19 MiB while the
memory in use grew by 5; ``malloc_trim(0)`` gives those pages back in a few milliseconds.
Elsewhere (macOS, Windows, musl) the trimmer logs once and does nothing.

Each trim also empties ``linecache`` (``release_source_lines``): PySide6's feature hook reads
the whole source of every module imported after it (``shibokensupport.feature``'s
``_mod_uses_pyside`` calls ``inspect.getsource``) and ``linecache`` keeps those lines for
good: ~124,000 lines, ~10 MiB of Python strings once the app is imported (tracemalloc,
issue 16). Tracebacks read the lines again when they need them.

``fix_mmap_threshold`` keeps glibc's mmap threshold at 128 KiB. By default glibc raises it
(up to 32 MiB) each time a block it had mapped is freed, after which blocks of that size
(row pictures, image and text buffers, SQLite's page cache) come from the heap and stay
there once freed until a trim: scrolling a 10k-message thread end to end kept ~2.3 MiB more
that way (``benchmarks.client_memory``, issue 16). With the threshold fixed such blocks are
mapped and unmapped, so freeing them gives the pages back at once.

``trim_soon`` trims once the app has been quiet for ``SETTLE_MS`` (each call restarts the
wait), after the window's ``settle`` dropped the pictures of the open conversation's rows
(on screen too: the window's pixels show them) and handed the cache's SQLite page caches
back (then trimmed again): the main window calls it as its chat scrolls, a conversation
opens and the cached inbox is listed, whose freed heap (pages of rows dropped, row layouts,
pictures, the cache's decoded text) would otherwise wait for the minute's trim. A trim costs
0.1-0.5 ms on the GUI thread (measured after each of ``benchmarks.client_memory``'s stages,
issue 16).

``release`` runs once the app has been quiet for ``IDLE_MS`` (the same calls restart that
wait), before a trim: the window drops then the caches an idle window does not need (other
conversations' row layouts, painted rows and thumbnails, Qt's pixmap cache, SQLite's page
caches). Over an agent's compressed hour those caches held most of the distance between the
idle app at the end and the app as it started (``benchmarks.client_shift``, issue 16).
"""

from __future__ import annotations

import ctypes
import linecache
import logging
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("convos.platform")

TRIM_INTERVAL_MS = 60_000
SETTLE_MS = 500  # quiet after the last scroll, open or listing before ``trim_soon`` trims
IDLE_MS = 20_000  # quiet after the last of them before the idle window's caches are dropped
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's starting value, kept from now on


def release_source_lines() -> None:
    """Drop the module sources ``linecache`` keeps (read at import by PySide6's feature hook)."""
    linecache.clearcache()


def glibc_malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)`` as a callable, or ``None`` off glibc."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and friends: no malloc_trim
        return None
    malloc_trim.argtypes = [ctypes.c_size_t]
    malloc_trim.restype = ctypes.c_int
    return lambda: malloc_trim(0)


def fix_mmap_threshold() -> bool:
    """Keep glibc's mmap threshold at 128 KiB (see the module docstring); False off glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and friends
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


class MemoryTrimmer(QObject):
    """Calls ``trim`` every ``interval_ms`` while started (``trim=None``: nothing to do),
    ``settle`` then ``trim`` ``settle_ms`` after the last ``trim_soon``, and ``release`` then
    ``trim`` ``idle_ms`` after it."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        trim: Callable[[], object] | None = None,
        interval_ms: int = TRIM_INTERVAL_MS,
        settle_ms: int = SETTLE_MS,
        release: Callable[[], object] | None = None,
        idle_ms: int = IDLE_MS,
        settle: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._trim = trim
        self._settle_caches = settle
        self._release = release
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.trim_now)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self._trim_settled)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_ms)
        self._idle.timeout.connect(self._release_idle)

    def start(self) -> None:
        """Trim every interval from now on."""
        if self._trim is None:
            log.info("no malloc_trim here: freed C heap stays with the allocator")
            return
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._settle.stop()
        self._idle.stop()

    def trim_soon(self, *_args: object) -> None:
        """Trim once nothing called this for ``settle_ms``, release the idle caches once
        nothing called it for ``idle_ms`` (a slot for any signal)."""
        if self._trim is not None or self._settle_caches is not None:
            self._settle.start()
        if self._release is not None:
            self._idle.start()

    def _release_idle(self) -> None:
        started = time.perf_counter()
        assert self._release is not None
        self._release()
        self.trim_now()
        log.debug("idle: caches released in %.2f ms", (time.perf_counter() - started) * 1000)

    def _trim_settled(self) -> None:
        started = time.perf_counter()
        if self._settle_caches is not None:
            self._settle_caches()
        if self._trim is not None:
            self._trim()
        log.debug(
            "settled: caches and heap trimmed in %.2f ms", (time.perf_counter() - started) * 1000
        )

    def trim_now(self) -> None:
        """Hand the freed C heap back to the system now."""
        release_source_lines()
        if self._trim is not None:
            self._trim()

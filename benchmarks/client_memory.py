"""``python -m benchmarks.client_memory CACHE THREAD``: the app's resident memory over a cache.

Run by ``client_cache`` in a child process that imports only the client (the benchmark
itself imports the server's modules for its helpers, about 58 MiB that the app never
loads). The window is launched over ``CACHE``, its tickets listed, the big conversation
opened and all ``THREAD`` messages loaded into the chat view and painted; the last output
line is the resident memory (VmRSS) in MiB.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import qasync

from benchmarks.client_harness import CacheBench, Sizes, qt_application, resident_mib


async def measure(bench: CacheBench) -> float:
    """The resident memory with the window open, the tickets listed and the thread loaded."""
    window = (await bench.launch()).window
    await bench.scroll_repaints(window, 0)
    rss = resident_mib()
    await bench.close(window)
    return rss


def main(argv: Sequence[str] | None = None) -> int:
    """Print the resident memory in MiB; a usage error for wrong arguments."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if len(arguments) != 2 or not arguments[1].isdigit():
        raise SystemExit("usage: python -m benchmarks.client_memory CACHE THREAD_MESSAGES")
    cache = Path(arguments[0])
    if not cache.is_file():
        raise SystemExit(f"no cache file at {cache}")
    app = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    with tempfile.TemporaryDirectory(prefix="convos-client-memory-") as folder:
        bench = CacheBench(Path(folder), Sizes(tickets=0, thread_messages=int(arguments[1])), app)
        bench.cache.write_bytes(cache.read_bytes())  # the child's windows change its own copy
        rss = loop.run_until_complete(measure(bench))
    loop.close()
    print(f"{rss:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

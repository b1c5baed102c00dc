"""Cold and warm start of the client: a new process to the painted inbox over a 10k cache.

``python -m benchmarks.client_start [--platform offscreen|xcb|both]``. Each launch is a new
Python process (``benchmarks.client_start --child CACHE``) that imports the app, builds the
window over a copy of the cache and exits once the ticket list is painted; the time runs
from the parent's spawn to the child's "painted" line (interpreter start and every import
included, unlike ``client_cache``'s in-process launch).

* cold: nothing of the app in the OS page cache. Dropping the caches is not allowed in a
  container (``/proc/sys/vm/drop_caches`` is read-only), so the benchmark launches a fresh
  copy of the virtual environment (PySide6/Qt, httpx, ... : ~730 MiB) and, before each cold
  launch, evicts every file of that copy, the app's sources, the standard library and the
  cache file from the page cache (``posix_fadvise(DONTNEED)``). Pages other processes map
  stay (the shared interpreter's ``libpython`` may stay warm): a lower bound of a boot.
* warm: the same launch again at once.

``--smoke`` (CI) launches this environment's Python and evicts only the cache file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks._common import (
    REPO_ROOT,
    Report,
    Target,
    machine_context,
    option_parser,
    positive_runs,
)
from benchmarks._platforms import parse_on_platform

PAINTED = "painted"
START_TIMEOUT_S = 120


def _files(root: Path) -> Iterator[Path]:
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield Path(folder) / name


def evict(roots: Sequence[Path]) -> int:
    """Drop the files under ``roots`` from the page cache; how many bytes were advised."""
    advised = 0
    for root in roots:
        for path in [root] if root.is_file() else _files(root):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)  # written pages (the fresh copy) must be clean to be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                advised += os.fstat(fd).st_size
            except OSError:
                pass
            finally:
                os.close(fd)
    return advised


def launch_seconds(python: Path, cache: Path, folder: Path) -> float:
    """Spawn the child on ``python`` and wait for its painted line; seconds."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    folder.mkdir(parents=True, exist_ok=True)
    errors = (folder / "stderr.txt").open("w")
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(python), "-m", "benchmarks.client_start", "--child", str(cache), str(folder)],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == PAINTED:
            elapsed = time.perf_counter() - started
            break
    else:
        child.wait(START_TIMEOUT_S)
        errors.close()
        said = (folder / "stderr.txt").read_text()[-2000:]
        raise RuntimeError(f"the client did not paint its inbox (exit {child.returncode}): {said}")
    child.wait(START_TIMEOUT_S)
    errors.close()
    return elapsed


def child(cache: Path, folder: Path) -> int:
    """Import the app, show the window over ``cache``, print ``painted``, exit at once."""
    import qasync

    from benchmarks.client_harness import CacheBench, Sizes, qt_application

    app = qt_application()
    loop = qasync.QEventLoop(app, already_running=False)
    bench = CacheBench(folder, Sizes(tickets=0, thread_messages=0), app)
    shutil.copyfile(cache, bench.cache)

    async def painted() -> None:
        await bench.launch_to_inbox()

    loop.run_until_complete(painted())
    print(PAINTED, flush=True)
    os._exit(0)  # the figure is taken: no teardown


def copy_venv(target: Path) -> Path:
    """A fresh copy of this interpreter's virtual environment; its python."""
    venv = Path(sys.prefix)
    shutil.copytree(venv, target, symlinks=True)
    return target / Path(sys.executable).relative_to(venv)


async def measure(report: Report, runs: int, tickets: int, copy: bool) -> None:
    """Cold and warm launches, alternating, into ``report`` (``copy=False``: the smoke run
    uses this environment and evicts only the cache file)."""
    from benchmarks.client_harness import fill_cache

    with tempfile.TemporaryDirectory(prefix="convos-client-start-") as tmp:
        folder = Path(tmp)
        cache = folder / "bench-cache.sqlite3"
        await fill_cache(cache, tickets, 200)
        python = Path(sys.executable)
        roots = [cache]
        if copy:
            python = await asyncio.to_thread(copy_venv, folder / "venv")
            stdlib = Path(sysconfig.get_paths()["stdlib"])
            roots += [folder / "venv", REPO_ROOT / "convos_desktop", REPO_ROOT / "benchmarks"]
            roots.append(stdlib)
        cold: list[float] = []
        warm: list[float] = []
        advised = 0
        for run in range(runs):
            advised = evict(roots)
            cold.append(launch_seconds(python, cache, folder / f"cold-{run}") * 1000)
            warm.append(launch_seconds(python, cache, folder / f"warm-{run}") * 1000)
    report.context["evicted_mib"] = round(advised / 2**20)
    # The 3 s the bundle's cold start to a passed self-check is held to (bundle_size).
    report.add("cold start to painted inbox (new process)", "ms", cold, Target("<=", 3000))
    report.add("warm start to painted inbox (new process)", "ms", warm)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, be one launch)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["--child"]:
        return child(Path(arguments[1]), Path(arguments[2]))
    parser = option_parser("benchmarks.client_start", __doc__ or "")
    parser.add_argument("--tickets", type=int, help="open tickets in the cache (10000)")
    options, delegated = parse_on_platform(parser, "benchmarks.client_start", arguments)
    if delegated is not None:
        return delegated
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    tickets = options.tickets or (300 if options.smoke else 10_000)
    context = machine_context("SQLite cache")
    context.update(tickets=tickets, runs=runs)
    report = Report("client_start", context)
    asyncio.run(measure(report, runs, tickets, copy=not options.smoke))
    report.publish(options.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The client benchmarks: the cache they fill is what the app reads, and each runs with
``--smoke`` to a report in which every figure was measured (no wall-clock assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import without_database_url
from benchmarks.client_harness import (
    BIG_CONVERSATION,
    SMALL_CONVERSATION,
    SMALL_THREAD_MESSAGES,
    fill_cache,
)
from convos_desktop.core.store import Store
from convos_desktop.core.types import View

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_filled_cache_holds_the_tickets_and_both_synced_threads(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    await fill_cache(cache, tickets=30, thread_messages=120)
    store = Store(cache)
    try:
        tickets = store.tickets(View.UNASSIGNED, me_id=1)
        assert len(tickets) == 30
        assert tickets[0].id == 1  # newest last message first
        assert store.history_state(BIG_CONVERSATION) == (True, False)
        big = store.messages_page(BIG_CONVERSATION, limit=1000)
        # the thread plus the ticket's own last message
        assert len(big) == 120 + 1
        small = store.messages_page(SMALL_CONVERSATION, limit=1000)
        assert len(small) == SMALL_THREAD_MESSAGES + 1
        assert store.contact(30) is not None
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "module", ["benchmarks.client_cache", "benchmarks.client_live", "benchmarks.client_start"]
)
def test_client_benchmark_smoke_run_measures_every_figure(module: str, tmp_path: Path) -> None:
    output = tmp_path / "report.jsonl"
    completed = subprocess.run(
        [sys.executable, "-m", module, "--smoke", "--json", str(output)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    (line,) = output.read_text().splitlines()
    report = json.loads(line)
    assert report["benchmark"] == module.rsplit(".", 1)[1]
    for figure in report["figures"]:
        assert figure["value"] is not None, figure["name"]
        if figure["name"].startswith(("missed deliveries", "not taken")):
            assert figure["value"] == 0
        elif figure["name"].startswith("... "):  # a figure's part (shared memory: 0 offscreen)
            assert figure["value"] >= 0, figure["name"]
        else:
            assert figure["value"] > 0, figure["name"]
    assert any(figure["target"] is not None for figure in report["figures"])
    if module == "benchmarks.client_cache":  # the memory figure with its parts (branch mem16r)
        names = {figure["name"] for figure in report["figures"]}
        assert {"... of which anonymous", "... of which file-backed"} <= names


def test_cache_benchmarks_are_run_without_the_server_database_option() -> None:
    arguments = ["--smoke", "--database-url", "postgresql://x/y", "--runs", "2"]
    assert without_database_url(arguments) == ["--smoke", "--runs", "2"]
    assert without_database_url(["--smoke"]) == ["--smoke"]

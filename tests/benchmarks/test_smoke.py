"""Each benchmark runs with ``--smoke`` (seconds; a hang is cut at 90 s) and reports figures.

The sizes are tiny, so targets may be missed here; what must hold is that the benchmark runs
end to end against a real server process and that nothing was lost on the way (no failed
request, no missed event delivery). The PostgreSQL variant uses the server ``./run test``
starts (``CONVOS_TEST_PG_URL``); each benchmark makes and drops its own database there.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import BENCHMARKS

PG_ENV = "CONVOS_TEST_PG_URL"
# Figures that measure correctness rather than speed: zero even at smoke size.
MUST_BE_ZERO = {
    "GET /health failed requests",
    "GET /me failed requests",
    "failed or unfinished sends",
    "missed deliveries",
    "missed deliveries with live typing",
    "failed live requests",
    "failed or unfinished sends with live typing",
    "streams closed by the server",
    "bare asyncio missed deliveries",
}


def database_arguments(backend: str) -> list[str]:
    """No option for SQLite; ``--database-url`` of the test PostgreSQL server otherwise."""
    if backend == "sqlite":
        return []
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set on CI: the PostgreSQL smoke runs cannot run")
        pytest.skip(f"{PG_ENV} not set")
    return ["--database-url", url]


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
)
@pytest.mark.parametrize("module", BENCHMARKS)
def test_benchmark_smoke_run_reports_figures(module: str, backend: str, tmp_path: Path) -> None:
    output = tmp_path / "report.jsonl"
    command = [sys.executable, "-m", module, "--smoke", "--json", str(output)]
    completed = subprocess.run(
        [*command, *database_arguments(backend)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    (line,) = output.read_text().splitlines()
    report = json.loads(line)
    assert report["benchmark"] == module.rsplit(".", 1)[1]
    assert report["context"]["database"].startswith(
        "SQLite" if backend == "sqlite" else "PostgreSQL"
    )
    figures = {figure["name"]: figure for figure in report["figures"]}
    assert any(figure["target"] is not None for figure in figures.values())
    for name, figure in figures.items():
        assert figure["value"] is not None, name
        assert math.isfinite(figure["value"]), name
        assert figure["status"] in {"PASS", "MISS", "INFO"}
        assert name in completed.stdout
    for name in MUST_BE_ZERO & figures.keys():
        assert figures[name]["value"] == 0, f"{name}: {figures[name]['runs']}"

"""The scale-out benchmark with ``--smoke``: 1 and 2 server processes behind HAProxy on the
test PostgreSQL, every figure measured, nothing lost (no wall-clock assertion)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._balancer import haproxy_path
from tests.benchmarks.test_smoke import database_arguments

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_scale_out_smoke_run_reports_both_set_ups(tmp_path: Path) -> None:
    if haproxy_path() is None:
        pytest.skip("HAProxy is not installed")
    output = tmp_path / "report.jsonl"
    command = [sys.executable, "-m", "benchmarks.scale_out", "--smoke", "--json", str(output)]
    completed = subprocess.run(
        [*command, *database_arguments("postgres")],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    (report,) = [json.loads(line) for line in output.read_text().splitlines()]
    assert report["benchmark"] == "scale_out"
    assert report["context"]["database"].startswith("PostgreSQL")
    figures = {figure["name"]: figure for figure in report["figures"]}
    for name, figure in figures.items():
        assert figure["value"] is not None, name
        assert math.isfinite(figure["value"]), name
    for processes in ("1 process", "2 processes"):
        assert figures[f"intake throughput, {processes}"]["value"] > 0
        assert figures[f"server CPU per message, {processes}"]["value"] > 0
        assert figures[f"processes holding streams, {processes}"]["status"] == "PASS"
    for name in ("failed or unfinished sends", "missed deliveries", "failed fan-out sends"):
        assert figures[name]["value"] == 0, f"{name}: {figures[name]['runs']}"

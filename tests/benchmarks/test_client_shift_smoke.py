"""The shift benchmark: its seeded customer schedule matches the sizes, and a ``--smoke``
shift runs every kind of agent step against the real server and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._shift_plan import CustomerStep, ShiftSizes, customer_schedule, is_other_agents

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sizes", [ShiftSizes.smoke(), ShiftSizes.hour(180)])
def test_the_schedule_holds_every_customer_message_of_the_sizes(sizes: ShiftSizes) -> None:
    schedule = customer_schedule(sizes)
    assert len(schedule) == sizes.customer_messages
    assert [step.at for step in schedule] == sorted(step.at for step in schedule)
    assert all(0 <= step.at < sizes.seconds for step in schedule)
    opened = [step.customer for step in schedule if step.opens]
    assert opened == list(range(sizes.tickets))
    first_message: dict[int, CustomerStep] = {}
    for step in schedule:
        first_message.setdefault(step.customer, step)
    assert all(step.opens for step in first_message.values())  # the hand-off comes first
    photos = {step.photo for step in schedule if step.photo is not None}
    assert photos
    assert photos <= set(range(sizes.photos))
    others = [customer for customer in range(sizes.tickets) if is_other_agents(sizes, customer)]
    assert len(others) == sizes.other_tickets


def test_the_schedule_is_the_same_for_the_same_seed() -> None:
    sizes = ShiftSizes.hour(60)
    assert customer_schedule(sizes, seed=7) == customer_schedule(sizes, seed=7)
    assert customer_schedule(sizes, seed=7) != customer_schedule(sizes, seed=8)


@pytest.mark.slow
def test_smoke_shift_runs_every_step_and_reports_the_growth(tmp_path: Path) -> None:
    output = tmp_path / "report.jsonl"
    command = [sys.executable, "-m", "benchmarks.client_shift", "--smoke", "--json", str(output)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=110, cwd=REPO_ROOT)
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "growth by file:line" in completed.stdout
    (report,) = [json.loads(line) for line in output.read_text().splitlines()]
    assert report["benchmark"] == "client_shift"
    figures = {figure["name"]: figure for figure in report["figures"]}
    assert all(figure["value"] is not None for figure in figures.values())
    growth = figures["RSS growth, warm-up quarter to end"]
    assert growth["target"] == {"op": "<=", "limit": 20}
    assert figures["RSS at the end"]["value"] > 50
    for kind in ("take", "reply", "switch", "close"):
        assert figures[f"agent steps: {kind}"]["value"] > 0, kind
    sizes = ShiftSizes.smoke()
    assert figures["customer messages posted"]["value"] == sizes.customer_messages
    assert figures["failed sends"]["value"] == 0

"""``--platform offscreen|xcb|both`` for the client benchmarks: which Qt platform they run on.

``offscreen`` runs in this process (Qt's offscreen platform). ``xcb`` runs the benchmark
again in a child under a fresh virtual X server (``xvfb-run``, 24-bit 1920x1200 screen) with
``QT_QPA_PLATFORM=xcb``, the way the app draws on a Linux desktop. ``both`` runs one child
per platform and prints their figures side by side (and appends both reports to ``--json``).
A child is told it is the one to measure by ``CONVOS_BENCH_PLATFORM`` in its environment.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._common import format_value

PLATFORMS = ("offscreen", "xcb")
CHILD_MARK = "CONVOS_BENCH_PLATFORM"
XVFB_SCREEN = "-screen 0 1920x1200x24 -nolisten tcp"


def add_platform_option(parser: argparse.ArgumentParser) -> None:
    """The ``--platform`` option (default ``offscreen``)."""
    parser.add_argument(
        "--platform",
        choices=(*PLATFORMS, "both"),
        default="offscreen",
        help="Qt platform: offscreen (default), xcb under Xvfb, or both side by side",
    )


def parse_on_platform(
    parser: argparse.ArgumentParser, module: str, argv: Sequence[str] | None
) -> tuple[argparse.Namespace, int | None]:
    """``argv`` parsed with ``--platform`` added, and the exit status of the child(ren) that
    measured instead of this process (``None``: measure here)."""
    add_platform_option(parser)
    options = parser.parse_args(argv)
    return options, delegate(module, options.platform, argv)


def _without_platform(argv: Sequence[str]) -> list[str]:
    arguments: list[str] = []
    skip = False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--platform":
            skip = True
        elif not argument.startswith("--platform="):
            arguments.append(argument)
    return arguments


def _child(module: str, platform: str, argv: Sequence[str]) -> int:
    """Run ``module`` on ``platform`` in a child process; its exit status."""
    env = dict(os.environ, QT_QPA_PLATFORM=platform, **{CHILD_MARK: platform})
    command = [sys.executable, "-m", module, *argv, "--platform", platform]
    if platform == "xcb":
        if shutil.which("xvfb-run") is None:
            raise SystemExit("--platform xcb needs xvfb-run (./run setup installs xvfb)")
        command = ["xvfb-run", "-a", "-s", XVFB_SCREEN, *command]
    return subprocess.run(command, env=env, check=False).returncode


def delegate(module: str, platform: str, argv: Sequence[str] | None) -> int | None:
    """Run the benchmark elsewhere when this process is not the one to measure.

    ``None``: measure here (Qt's platform already set); otherwise the exit status of the
    child(ren) that measured.
    """
    if os.environ.get(CHILD_MARK) == platform or platform == "offscreen":
        os.environ["QT_QPA_PLATFORM"] = platform
        return None
    arguments = _without_platform(sys.argv[1:] if argv is None else argv)
    if platform != "both":
        return _child(module, platform, arguments)
    json_at = arguments.index("--json") if "--json" in arguments else None
    target = Path(arguments[json_at + 1]) if json_at is not None else None
    if json_at is not None:
        arguments = arguments[:json_at] + arguments[json_at + 2 :]
    reports: list[dict[str, Any]] = []
    status = 0
    with tempfile.TemporaryDirectory(prefix="convos-bench-platforms-") as folder:
        for platform_name in PLATFORMS:
            out = Path(folder) / f"{platform_name}.json"
            status = status or _child(module, platform_name, [*arguments, "--json", str(out)])
            if out.is_file():
                report = json.loads(out.read_text().splitlines()[-1])
                report["context"]["platform"] = platform_name
                reports.append(report)
    print(side_by_side(reports), flush=True)
    if target is not None:
        with target.open("a", encoding="utf-8") as sink:
            for report in reports:
                sink.write(json.dumps(report) + "\n")
    return status


def _cell(figure: dict[str, Any] | None) -> str:
    if figure is None:
        return "-"
    value = figure["value"]
    shown = format_value(math.nan if value is None else value, figure["unit"])
    return f"{shown} {figure['status']}"


def side_by_side(reports: Sequence[dict[str, Any]]) -> str:
    """The figures of one benchmark's reports, one column per platform."""
    if not reports:
        return "no report: every platform failed"
    names: list[str] = []
    for report in reports:
        names += [f["name"] for f in report["figures"] if f["name"] not in names]
    platforms = [report["context"].get("platform", "?") for report in reports]
    lines = [f"== {reports[0]['benchmark']}: {' | '.join(platforms)} =="]
    header = f"   {'figure':<44}" + "".join(f" {p:>24}" for p in platforms) + "   target"
    lines.append(header)
    for name in names:
        cells = []
        target = ""
        for report in reports:
            figure = next((f for f in report["figures"] if f["name"] == name), None)
            cells.append(f" {_cell(figure):>24}")
            if figure is not None and figure["target"] is not None:
                limit = format_value(figure["target"]["limit"], figure["unit"])
                target = f"{figure['target']['op']} {limit}"
        lines.append(f"   {name:<44}{''.join(cells)}   {target}")
    return "\n".join(lines)

"""The installed app: bundle size on disk and cold start of ``--self-check``.

Builds ``build_installer.spec`` with PyInstaller (about a minute on 2 cores) unless
``--bundle`` names an already built folder, then reports the unpacked size against the
budget (under 150 MiB on Linux) and the time from launch to a passed self-check (resources,
translations, emoji data, a fresh cache), run offscreen. The CI test
``tests/packaging/test_bundle.py`` builds with :func:`build_bundle` and checks the same budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks._common import Report, Target, machine_context, option_parser, positive_runs

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_installer.spec"
NAME = "convos-desktop"
SIZE_BUDGET_MIB = 150.0
COLD_START_TARGET_S = 3.0
BUILD_TIMEOUT_S = 900


def pyinstaller() -> Path:
    """The ``pyinstaller`` next to the running Python."""
    name = "pyinstaller.exe" if sys.platform == "win32" else "pyinstaller"
    return Path(sys.executable).parent / name


def build_bundle(output: Path) -> Path:
    """Build the one-folder app under ``output``; its folder. Raise with the log on failure."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONVOS_BUNDLE_DEMO")}
    command = [
        str(pyinstaller()),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(output / "dist"),
        "--workpath",
        str(output / "work"),
        str(SPEC),
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    folder = output / "dist" / NAME
    if result.returncode != 0 or not folder.is_dir():
        raise RuntimeError(f"PyInstaller failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return folder


def executable(folder: Path) -> Path:
    """The program inside a built folder."""
    return folder / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def folder_size_mib(folder: Path) -> float:
    """The bytes of every regular file under ``folder`` (symlinks not followed), in MiB."""
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / (1024 * 1024)


def self_check(folder: Path, timeout: float = 60) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``--self-check`` offscreen; the seconds it took and the finished process."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONPATH", None)
    started = time.perf_counter()
    result = subprocess.run(
        [str(executable(folder)), "--self-check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return time.perf_counter() - started, result


def main(argv: Sequence[str] | None = None) -> int:
    """Build (or take ``--bundle``), then report size and cold start."""
    parser = option_parser("benchmarks.bundle_size", __doc__ or "")
    parser.add_argument("--bundle", type=Path, help="an already built dist/convos-desktop")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "bundle")
    options = parser.parse_args(argv)
    folder = options.bundle or build_bundle(options.output)
    report = Report("bundle_size", machine_context("none"))
    report.add("bundle size, unpacked", "MiB", [folder_size_mib(folder)], Target("<=", 150.0))
    runs = positive_runs(options.runs, 1 if options.smoke else 3)
    times = []
    for _ in range(runs):
        seconds, result = self_check(folder)
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            return 1
        times.append(seconds)
    report.add("cold start to passed self-check", "s", times, Target("<=", COLD_START_TARGET_S))
    report.publish(options.json)
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

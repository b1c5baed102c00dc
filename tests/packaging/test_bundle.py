"""The installer: ``build_installer.spec`` builds on Linux and the built program checks itself.

Built once per session (about a minute on 2 cores) into pytest's temp dir. Skipped, with the
reason, only where PyInstaller cannot run (not installed, or not Linux: the Windows and macOS
bundles are built on their own machines).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.bundle_size import (
    SIZE_BUDGET_MIB,
    build_bundle,
    executable,
    folder_size_mib,
    pyinstaller,
    self_check,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not sys.platform.startswith("linux"):
        pytest.skip("the CI bundle is built on Linux; Windows/macOS build on their own machines")
    if not pyinstaller().exists():
        pytest.skip(f"PyInstaller is not installed ({pyinstaller()} missing)")
    output = tmp_path_factory.mktemp("bundle")
    try:
        yield build_bundle(output)
    finally:
        shutil.rmtree(output / "work", ignore_errors=True)


def test_the_built_program_passes_its_self_check(bundle):
    seconds, result = self_check(bundle)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    checks = {
        "resources", "icons", "sound", "charts", "translations", "emoji", "modules",
        "cache",
    }  # fmt: skip
    assert {line.split()[1].rstrip(":") for line in lines if line.startswith("ok ")} == checks
    assert "Quit -> Esci" in result.stdout
    assert seconds < 20


def test_the_bundle_stays_under_its_size_budget(bundle):
    assert folder_size_mib(bundle) < SIZE_BUDGET_MIB


def test_the_bundle_carries_neither_the_server_nor_unused_qt(bundle):
    internal = bundle / "_internal"
    names = {p.name for p in internal.rglob("*")}
    assert not {"convos_server", "fastapi", "sqlalchemy", "asyncpg", "uvicorn"} & names
    assert not any(n.startswith(("libQt6WebEngine", "libQt6Qml", "libQt6Quick")) for n in names)
    assert not {"tls", "networkinformation"} & {p.name for p in internal.rglob("plugins/*")}
    emoji_names = {p.name for p in (internal / "emoji" / "unicode_codes").glob("*.json")}
    assert emoji_names == {"emoji.json", "emoji_it.json"}  # the picker speaks it and en
    assert (internal / "resources" / "icons" / "app.svg").is_file()
    assert (internal / "resources" / "translations").is_dir()


def test_linux_bundle_has_its_desktop_entry(bundle):
    entry = (bundle / "convos-desktop.desktop").read_text(encoding="utf-8")
    assert "Exec=convos-desktop" in entry
    assert "x-scheme-handler/convos" in entry
    assert (bundle / "convos-desktop.png").is_file()
    assert executable(bundle).is_file()


def test_version_flag_prints_the_version(bundle):
    import subprocess

    from convos_desktop import __version__

    result = subprocess.run(
        [str(executable(bundle)), "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert f"Convos Desktop {__version__}" in result.stdout

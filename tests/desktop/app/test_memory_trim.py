"""The memory trimmer hands glibc's freed but kept heap back to the system, on its timer and
once the app settles."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from convos_desktop.platform.memory_trim import (
    MemoryTrimmer,
    glibc_malloc_trim,
)


def resident_mib() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


@pytest.mark.skipif(glibc_malloc_trim() is None, reason="glibc only")
def test_freed_heap_behind_a_live_block_goes_back_to_the_system(qapp) -> None:
    blocks = [bytes(1000) + bytes([index % 256]) for index in range(80_000)]  # C heap
    keepers = blocks[::100]  # the heap's top stays in use: glibc cannot shrink it alone
    del blocks
    before = resident_mib()
    MemoryTrimmer(trim=glibc_malloc_trim()).trim_now()
    assert before - resident_mib() > 30
    assert len(keepers) == 800


def test_trims_on_its_timer_until_stopped(qtbot) -> None:
    trims: list[None] = []
    trimmer = MemoryTrimmer(trim=lambda: trims.append(None), interval_ms=10)
    trimmer.start()
    qtbot.waitUntil(lambda: len(trims) >= 2, timeout=2000)
    trimmer.stop()
    stopped_at = len(trims)
    qtbot.wait(50)
    assert len(trims) == stopped_at


def test_without_malloc_trim_it_does_nothing(qtbot, caplog) -> None:
    trimmer = MemoryTrimmer(trim=None, interval_ms=10)
    with caplog.at_level("INFO", logger="convos.platform"):
        trimmer.start()
    trimmer.trim_now()
    assert "no malloc_trim" in caplog.text


# Run in a fresh process: in the test process, big free chunks left by earlier tests would
# serve the blocks from the heap (glibc maps only what its free lists cannot give).
FIXED_THRESHOLD_SCRIPT = """
import re
from pathlib import Path

from convos_desktop.platform.memory_trim import fix_mmap_threshold


def resident_mib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmRSS:\\s+(\\d+) kB", status, re.MULTILINE).group(1)) / 1024


assert fix_mmap_threshold()
big = bytearray(8 * 1024 * 1024)  # freed: glibc would raise its threshold to 8 MiB
del big
before = resident_mib()
blocks = [bytearray(256 * 1024) for _ in range(48)]  # 12 MiB, each above 128 KiB
keeper = bytes(100_000)  # a C heap block after them: the heap's top stays in use
del blocks
print(resident_mib() - before, len(keeper))
"""


@pytest.mark.skipif(glibc_malloc_trim() is None, reason="glibc only")
def test_large_blocks_freed_go_back_at_once_with_the_threshold_fixed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FIXED_THRESHOLD_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    grown, kept = done.stdout.split()
    assert float(grown) < 4  # unmapped when freed, no trim needed (else ~12 MiB)
    assert kept == "100000"


def test_trims_once_when_calls_stop_for_the_settle_time(qtbot) -> None:
    trims: list[None] = []
    trimmer = MemoryTrimmer(trim=lambda: trims.append(None), settle_ms=40)
    for _ in range(5):  # a scroll: each step restarts the wait
        trimmer.trim_soon(123)
        qtbot.wait(10)
    assert trims == []
    qtbot.waitUntil(lambda: trims == [None], timeout=2000)
    qtbot.wait(80)
    assert trims == [None]  # once per quiet spell, not on a timer
    trimmer.trim_soon()
    trimmer.stop()
    qtbot.wait(80)
    assert trims == [None]


def test_settling_drops_the_settle_caches_before_the_trim(qtbot) -> None:
    calls: list[str] = []
    trimmer = MemoryTrimmer(
        trim=lambda: calls.append("trim"), settle_ms=40, settle=lambda: calls.append("settle")
    )
    for _ in range(3):  # each step restarts the wait
        trimmer.trim_soon()
        qtbot.wait(10)
    assert calls == []
    qtbot.waitUntil(lambda: calls == ["settle", "trim"], timeout=2000)
    qtbot.wait(80)
    assert calls == ["settle", "trim"]
    trimmer.stop()


def test_without_malloc_trim_the_settle_caches_still_go(qtbot) -> None:
    calls: list[str] = []
    trimmer = MemoryTrimmer(trim=None, settle_ms=10, settle=lambda: calls.append("settle"))
    trimmer.trim_soon()
    qtbot.waitUntil(lambda: calls == ["settle"], timeout=2000)
    trimmer.stop()


def test_without_malloc_trim_settling_does_nothing(qtbot) -> None:
    trimmer = MemoryTrimmer(trim=None, settle_ms=1)
    trimmer.trim_soon()
    qtbot.wait(20)  # nothing to call, nothing raised


def test_releases_the_idle_caches_then_trims_once_quiet_for_the_idle_time(qtbot) -> None:
    calls: list[str] = []
    trimmer = MemoryTrimmer(
        trim=lambda: calls.append("trim"),
        settle_ms=10_000,
        release=lambda: calls.append("release"),
        idle_ms=60,
    )
    for _ in range(4):  # a scroll: each step restarts the wait
        trimmer.trim_soon()
        qtbot.wait(20)
    assert calls == []
    qtbot.waitUntil(lambda: calls == ["release", "trim"], timeout=2000)
    trimmer.trim_soon()
    trimmer.stop()
    qtbot.wait(120)
    assert calls == ["release", "trim"]

"""The statistics, targets, wrk parsing and SSE decoding the benchmarks rely on."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks._common import Figure, Target, percentile
from benchmarks._loadgen import EventRecorder
from benchmarks.server_requests import parse_wrk

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:4000/api/v1/health
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   187.83ms   95.08ms 827.35ms   79.33%
  Latency Distribution
     50%  160.07ms
     75%  215.49ms
     90%  294.29ms
     99%    1.20s
  1695 requests in 5.03s, 332.71KB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    337.24
Transfer/sec:     66.20KB
"""


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 99) == 10
    assert percentile([0, 100], 99) == pytest.approx(99)
    assert math.isnan(percentile([], 50))


def test_figure_status_follows_its_target_on_the_median_of_runs() -> None:
    assert Figure("rate", "req/s", (10, 30, 20), Target(">=", 20)).status == "PASS"
    assert Figure("rate", "req/s", (10, 30, 19), Target(">=", 20)).status == "MISS"
    assert Figure("p99", "ms", (14, 16, 15), Target("<=", 15)).status == "PASS"
    assert Figure("p99", "ms", (math.nan,), Target("<=", 15)).status == "MISS"
    assert Figure("info", "ms", (1,)).status == "INFO"


def test_parse_wrk_reads_rate_percentiles_and_every_kind_of_error() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_s == 337.24
    assert result.p50_s == pytest.approx(0.16007)
    assert result.p99_s == pytest.approx(1.2)
    assert result.requests == 1695
    assert result.errors == 7


def test_parse_wrk_refuses_output_without_figures() -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


async def test_event_recorder_decodes_chunked_sse_split_anywhere() -> None:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    events = [
        b'id: 7\r\nevent: message.created\r\ndata: {"body":"a"}\r\n\r\n',
        b": ping\r\n\r\n",
        b'id: 8\r\nevent: ticket.updated\r\ndata: {"x":1}\r\n\r\n',
    ]
    wire = head + b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in events)
    recorder = EventRecorder()
    for position, byte in enumerate(wire):
        recorder.reads.append((float(position), bytes([byte])))
    assert recorder.status() == 200
    first = recorder.take_events()
    recorder.reads.append((9999.0, b"0\r\n\r\n"))
    assert recorder.take_events() == []
    assert [(event.type, event.data) for event in first] == [
        ("message.created", b'{"body":"a"}'),
        ("ticket.updated", b'{"x":1}'),
    ]
    # An event counts as arrived with the last byte of its blank line.
    assert first[0].arrived == wire.index(events[0]) + len(events[0]) - 1


def test_platform_reports_side_by_side() -> None:
    from benchmarks._platforms import _without_platform, side_by_side

    assert _without_platform(
        ["--smoke", "--platform", "both", "--platform=xcb", "--runs", "2"]
    ) == [
        "--smoke",
        "--runs",
        "2",
    ]
    figure: dict[str, Any] = {"name": "scroll", "unit": "ms", "value": 3.0, "status": "PASS"}
    figure["target"] = {"op": "<=", "limit": 8}
    reports = [
        {"benchmark": "b", "context": {"platform": "offscreen"}, "figures": [figure]},
        {"benchmark": "b", "context": {"platform": "xcb"}, "figures": []},
    ]
    table = side_by_side(reports)
    assert "offscreen | xcb" in table
    assert "3.00 ms PASS" in table
    assert table.splitlines()[-1].split()[-1] == "ms"


def test_client_memory_breaks_the_resident_memory_down_by_mapping() -> None:
    from benchmarks.client_memory import biggest_mappings, mapping_changes, resident_by_mapping

    before = resident_by_mapping()
    block = bytearray(8 * 2**20)  # mapped by malloc: an unnamed mapping, 8 MiB touched
    block[::4096] = b"x" * len(block[::4096])
    after = resident_by_mapping()
    status = re.search(r"^VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert status is not None
    assert abs(sum(rss for rss, _anon in after.values()) - int(status.group(1))) < 2048
    assert after["[anon]"][0] - before["[anon]"][0] >= 8 * 1024 - 64
    assert all(anon <= rss for rss, anon in after.values())
    assert any(line.endswith("  [anon]") for line in mapping_changes(before, after))
    assert len(biggest_mappings(after, 3)) == 3
    del block


def test_client_memory_imports_no_more_than_the_app_without_trace() -> None:
    # the figure is the app's: the benchmark's child imports tracemalloc (and with it pickle,
    # which the app does not import) only when asked to trace (issue 16, branch mem16m)
    code = (
        "import sys\n"
        "import benchmarks.client_memory\n"
        "print(','.join(m for m in ('tracemalloc', 'pickle') if m in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_client_memory_splits_the_figure_into_anonymous_file_backed_and_shared() -> None:
    # VmRSS's parts beside the figure: a file-backed part that moves with the page cache's state
    # is told from the app's heap (branch mem16r); xcb's MIT-SHM backing store is shared memory
    import mmap

    from benchmarks.client_memory import resident_split_mib

    before = resident_split_mib()
    shared = mmap.mmap(-1, 8 * 2**20, flags=mmap.MAP_SHARED)  # shmem, as a memfd
    shared[:: mmap.PAGESIZE] = b"x" * len(shared[:: mmap.PAGESIZE])
    after = resident_split_mib()
    status = Path("/proc/self/status").read_text()
    vm_rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    assert vm_rss is not None
    assert abs(sum(after.values()) - int(vm_rss.group(1)) / 1024) < 1
    assert after["shmem"] - before["shmem"] >= 8 - 0.1
    assert after["anon"] - before["anon"] < 1
    assert after["file"] > 1  # the interpreter's own mapped pages
    shared.close()


def test_client_memory_counts_file_pages_in_large_folios_where_it_can_read_them() -> None:
    from benchmarks.client_memory import file_pages_in_large_folios_mib, resident_split_mib

    large = file_pages_in_large_folios_mib()
    if not os.access("/proc/kpageflags", os.R_OK):
        assert large is None
        return
    assert large is not None
    assert 0 <= large <= resident_split_mib()["file"] + 1


def test_client_cache_reads_the_memory_figure_and_its_parts() -> None:
    from benchmarks.client_cache import parse_resident_memory
    from benchmarks.client_memory import PARTS_PREFIX

    output = f"{PARTS_PREFIX} anon=40.50 file=55.25 shmem=3.91 large=0.06\n95.7\n"
    memory = parse_resident_memory(output)
    assert memory.mib == 95.7
    assert memory.parts == {"anon": 40.5, "file": 55.25, "shmem": 3.91, "large": 0.06}
    unreadable = parse_resident_memory(
        f"{PARTS_PREFIX} anon=1.00 file=2.00 shmem=0.00 large=-\n3.0"
    )
    assert unreadable.parts == {"anon": 1.0, "file": 2.0, "shmem": 0.0}
    assert parse_resident_memory("95.7\n").parts == {}  # an older child: the figure alone

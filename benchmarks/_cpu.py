"""CPU time of another process, read from Linux ``/proc``: a figure that hardly moves with
other load on the machine, unlike wall-clock latencies and throughput."""

from __future__ import annotations

import os


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

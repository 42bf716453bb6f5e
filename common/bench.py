"""What every lab's benchmark needs from the machine: its processes pinned to cores, their CPU and memory.

With two cores, the server under test and its load generator each get one (``taskset``), so that
neither steals the other's time; these read the rest from /proc.
"""

from __future__ import annotations

import os
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path

SERVER_CORE, GENERATOR_CORE = 0, 1


def children(pid: int) -> list[int]:
    """The direct children of `pid` (Gunicorn's master has one: the worker that answers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """`pid`'s children, their children, and so on."""
    found, pending = [], children(pid)
    while pending:
        found.append(current := pending.pop())
        pending += children(current)
    return found


def pin(pid: int, core: int) -> None:
    """Pin a process, every thread it has, and all its descendants to one core."""
    for process in [pid, *descendants(pid)]:
        subprocess.run(["taskset", "-a", "-p", "-c", str(core), str(process)], check=True, capture_output=True)


def process_stats(pid: int) -> tuple[float, float]:
    """(resident memory in MB, CPU seconds so far) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss_kb / 1024, cpu


def median_range(values: Sequence[float], form: str) -> str:
    """The median of several runs with their min-max: "13.0 (12.1-15.3)"."""
    return f"{form.format(statistics.median(values))} ({form.format(min(values))}-{form.format(max(values))})"

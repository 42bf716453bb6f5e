"""CPU time of a process (and its children) from /proc: what a server really spent, whatever the load generator says."""

from __future__ import annotations

import os

from common.bench import children

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of every thread of `pid` so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and of all its descendants still running."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            total += cpu_seconds(current)
        except (OSError, ValueError):
            continue
        pending += children(current)
    return total

"""CPU time of a process from /proc/PID/stat: what a server really spent, whatever the load generator says."""

from __future__ import annotations

import os

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of every thread of `pid` so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND

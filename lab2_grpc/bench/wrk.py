"""wrk, a load generator written in C, as the yardstick for what Locust itself costs on REST.

Locust spends far more CPU per request than wrk. Both run on the same core against the same server; when
wrk reaches more requests/s, the difference is the price of the Python load generator, not of the server.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from .procstat import cpu_seconds

_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")


def available() -> bool:
    return shutil.which("wrk") is not None


def command(url: str, connections: int, duration: float, core: int) -> list[str]:
    """One wrk thread (the core is single) and as many connections as Locust has users."""
    return ["taskset", "-c", str(core), "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", url]


def run(url: str, connections: int, duration: float, core: int, server_pid: int) -> dict[str, float]:
    """Requests/s and the server's CPU seconds during the run."""
    before = cpu_seconds(server_pid)
    args = command(url, connections, duration, core)
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    server_cpu = cpu_seconds(server_pid) - before
    match = _RATE.search(output)
    if match is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    rate = float(match.group(1))
    elapsed = max(1, round(duration))
    return {"rps": rate, "requests": rate * elapsed, "elapsed": elapsed, "server_cpu": server_cpu}

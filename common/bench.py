"""What every lab's benchmark needs from the machine: its processes pinned to cores, their CPU and memory.

With two cores, the server under test and its load generator each get one (``taskset``), so that
neither steals the other's time; these read the rest from /proc. Also what more than one lab's
benchmark does the same way: wrk's runs, the processes of each service, and waiting for the
notifier of labs 5 and after.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

SERVER_CORE, GENERATOR_CORE = 0, 1
# One per user: a file another user created could not be opened for writing.
CORES_LOCK = Path(tempfile.gettempdir()) / f"microlabs-bench-{os.getuid()}.lock"


@contextmanager
def cores_to_ourselves() -> Iterator[None]:
    """Wait until no other benchmark holds the pinned cores, and hold them for the block.

    Every benchmark pins its server to SERVER_CORE and its load generator to GENERATOR_CORE: two at
    once (two labs' tests running side by side, each with a benchmark's smoke test) would squeeze
    both onto the same cores. The lock (flock) goes with the process that holds it, even killed.
    """
    with CORES_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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


def median_range(values: Sequence[float], form: str, between: str = "-") -> str:
    """The median of several runs with their min-max: "13.0 (12.1-15.3)".

    `between` separates min from max: an en dash ("\N{EN DASH}") keeps a negative max readable.
    """
    low, middle, high = (form.format(value) for value in (min(values), statistics.median(values), max(values)))
    return f"{middle} ({low}{between}{high})"


WRK_NEEDS = "the benchmark needs two cores, taskset (util-linux) and wrk (Debian/Ubuntu: apt-get install wrk)"


def wrk_runs_here() -> bool:
    """Two cores (the server's and wrk's), taskset to pin to them, and wrk: else say WRK_NEEDS instead."""
    return shutil.which("taskset") is not None and shutil.which("wrk") is not None and (os.cpu_count() or 1) >= 2


def wrk(url: str, script: Path, seconds: int, connections: int, args: Sequence[str] = ()) -> dict[str, int]:
    """Run wrk on GENERATOR_CORE against `url` for `seconds`; the summary `script`'s done() writes.

    One thread, as the core is one, with `connections` keep-alive connections; `args` go to the
    script's init(). The summary is the last line of the output, a JSON object: wrk's own report is
    written for a person, in units that change with the numbers (us, ms, s).
    """
    command = [
        "taskset", "-c", str(GENERATOR_CORE), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
        "-s", str(script), url, "--", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_seconds(pids: Sequence[int]) -> float:
    """The CPU seconds these processes have spent so far: read before and after a load, the load's cost."""
    return sum(process_stats(pid)[1] for pid in pids)


def split_services(lab_pid: int, package: str) -> dict[str, list[int]]:
    """The processes of each service of a lab from lab 5 on: the users service's, and its child notifier's.

    ``python -m <package>`` is the users service, which starts ``<package>.notifier`` as a child
    process (each of them a master and a worker): their CPU is counted apart, though on one core.
    """
    everyone = [lab_pid, *descendants(lab_pid)]
    module = f"{package}.notifier".encode()
    notifier = [pid for pid in everyone if module in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return {"users": [pid for pid in everyone if pid not in notifier], "notifier": notifier}


def wait_until_consuming(healthz: str, timeout: float) -> None:
    """Until the notifier's /healthz says ok (or `timeout` seconds have passed).

    A lab answers before its notifier consumes (a Kafka group takes seconds to form): measure after.
    """
    deadline = time.monotonic() + timeout
    while requests.get(healthz, timeout=30).json()["status"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_until_notified(notifications: str, user_id: str, timeout: float) -> None:
    """Until the notifier has notified this user (or `timeout` seconds have passed).

    Asking for one user costs the notifier little. Events travel in order (retries aside), so a
    registration made after the load, once notified, says the pipeline has caught up with the load.
    """
    deadline = time.monotonic() + timeout
    while not requests.get(notifications, params={"user_id": user_id}, timeout=30).json():
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)

"""Where a server's time goes under load: py-spy samples its threads, this sums the samples per function.

py-spy attaches from outside (no change to the server, little overhead) and sees every thread, which
cProfile, being per-thread, would not. Only the thread holding the GIL is sampled (--gil), so the shares are
of Python CPU time, not of threads waiting on a lock, a socket or the pool queue; time spent with the GIL
released (grpcio's C core, system calls) is not in them, while the server CPU µs/req column has it all.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Frames every worker thread has at its root: they say nothing about where the time goes.
_WAITING = ("threading.py:Condition.wait", "threading.py:Event.wait", "threading.py:Lock")
_PLUMBING = ("threading.py:", "thread.py:_worker", "<module>", "<frozen runpy>")


def stem(transport: str, op: str, server: str) -> str:
    """The file name (without extension) of a profile: profile-rest-create, or profile-gunicorn-hello for a floor."""
    return f"profile-{transport}-{op}" if server == "lab" else f"profile-{server}"


def executable() -> str:
    """py-spy from the project's environment (installed with pip), else from PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"


def available() -> bool:
    return Path(executable()).exists() or shutil.which("py-spy") is not None


def start(pid: int, seconds: float, raw_path: Path, core: int) -> subprocess.Popen[bytes]:
    """Begin sampling `pid` for `seconds` into a collapsed-stack file; py-spy runs on the load core."""
    args = [
        "taskset",
        "-c",
        str(core),
        executable(),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "500",
        "--gil",
        "--format",
        "raw",
        "--output",
        str(raw_path),
        "--nonblocking",
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _frame_name(frame: str) -> str:
    """``function (pkg/module.py:12)`` becomes ``pkg/module.py:function``, the unit a student can look up."""
    function, _, where = frame.partition(" (")
    return f"{where.split(':')[0]}:{function.strip()}"


def layer(name: str) -> str:
    """The package a frame belongs to (grpc, flask, gunicorn, ...) or the stdlib module; the lab's own
    code by module (lab2_grpc/grpc_guard.py), to tell the service's work from its guard's."""
    path = name.split(":")[0]
    readable = path.isascii() and path.isprintable()
    if not readable or not (path.endswith(".py") or "/" in path or path.startswith("<")):
        return "(unresolved frame)"
    if name.startswith(_WAITING):
        return "(waiting on a lock)"
    if path.startswith("lab2_grpc/"):
        return path
    top = path.split("/")[0]
    return top.removesuffix(".py") if "/" in path or path.endswith(".py") else path


def by_layer(raw_path: Path) -> list[tuple[str, float]]:
    """Self samples grouped by package: which layer of the stack burns the CPU."""
    own: Counter[str] = Counter()
    for stack, count in _stacks(raw_path):
        own[layer(_frame_name(stack[-1]))] += count
    total = sum(own.values()) or 1
    return [(name, 100 * samples / total) for name, samples in own.most_common()]


def _stacks(raw_path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in raw_path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            stacks.append((stack.split(";"), int(count_text)))
    return stacks


def summarise(raw_path: Path, top: int = 15) -> list[tuple[str, float, float]]:
    """(function, inclusive %, self %) for the functions with the most samples of their own: where CPU burns."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for stack, count in _stacks(raw_path):
        frames = [_frame_name(frame) for frame in stack]
        total += count
        for name in {frame for frame in frames if not frame.startswith(_PLUMBING)}:
            inclusive[name] += count
        own[frames[-1]] += count
    if not total:
        return []
    busy = [name for name, _ in own.most_common() if not name.startswith(_PLUMBING)][:top]
    return [(name, 100 * inclusive[name] / total, 100 * own[name] / total) for name in busy]

"""A long-lived Locust worker: ``python -m lab2_grpc.bench.load`` reads one measurement per stdin line.

Importing Locust and starting a process takes about a second; the study makes dozens of measurements, so one
worker (pinned to the load core) runs them all. For each, it builds a one-operation subclass of the REST or
gRPC user from locustfile.py, runs it with Locust's LocalRunner, and records every response time itself:
Locust's own statistics round times below 100 ms to whole milliseconds, too coarse for sub-millisecond calls.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import gevent
import gevent.event
from locust import User, constant, constant_throughput
from locust.env import Environment

from . import locustfile
from .procstat import cpu_seconds, tree_cpu_seconds
from .scenario import RESULT_PREFIX

_USERS: dict[str, type[User]] = {"rest": locustfile.RestCalls, "grpc": locustfile.GrpcCalls}


@dataclass
class Cell:
    """One measurement: an operation on a transport, at full speed (rate None) or at a fixed total rate."""

    transport: str
    op: str
    target: str
    users: int
    warmup: float
    duration: float
    server_pid: int
    rate: float | None = None


@dataclass
class Outcome:
    requests: int
    failures: int
    elapsed: float
    server_cpu: float
    generator_cpu: float
    latencies_ms: list[float]


class Recorder:
    """Collects response times of the measured window only (warm-up calls are dropped)."""

    def __init__(self) -> None:
        self.recording = False
        self.latencies_ms: list[float] = []
        self.failures = 0

    def __call__(self, response_time: float, exception: Any = None, **_: Any) -> None:
        if not self.recording:
            return
        self.latencies_ms.append(response_time)
        if exception is not None:
            self.failures += 1


def user_class(cell: Cell, drained: gevent.event.Event) -> type[User]:
    """A subclass that runs only `cell.op`, with no wait (or a constant total rate), against `cell.target`."""
    base = _USERS[cell.transport]
    wait = constant(0) if cell.rate is None else constant_throughput(cell.rate / cell.users)

    def on_empty_pool(self: User) -> None:
        drained.set()  # every user created in this run has been deleted: end the window here
        gevent.sleep(0.05)

    attributes = {"tasks": [getattr(base, cell.op)], "wait_time": wait, "host": cell.target}
    attributes["on_empty_pool"] = on_empty_pool
    return type(f"{base.__name__}_{cell.op}", (base,), attributes)


def measure(cell: Cell) -> Outcome:
    drained = gevent.event.Event()
    recorder = Recorder()
    environment = Environment(user_classes=[user_class(cell, drained)])
    environment.events.request.add_listener(recorder)
    runner = environment.create_local_runner()
    runner.start(cell.users, spawn_rate=max(cell.users * 10, 100))
    gevent.sleep(cell.warmup)
    server_before, generator_before = tree_cpu_seconds(cell.server_pid), cpu_seconds()
    started = time.perf_counter()
    recorder.recording = True
    _wait(drained, started + cell.duration)
    recorder.recording = False
    elapsed = time.perf_counter() - started
    server_cpu = tree_cpu_seconds(cell.server_pid) - server_before
    generator_cpu = cpu_seconds() - generator_before
    runner.quit()
    return Outcome(
        len(recorder.latencies_ms), recorder.failures, elapsed, server_cpu, generator_cpu, recorder.latencies_ms
    )


def _wait(drained: gevent.event.Event, deadline: float) -> None:
    """Sleep until the deadline or the drain, whichever comes first (a wake-up alone does not end the window)."""
    while not drained.is_set() and (remaining := deadline - time.perf_counter()) > 0:
        drained.wait(remaining)


def main() -> None:
    """Answer each JSON line on stdin with one ``RESULT {...}`` line on stdout."""
    for line in sys.stdin:
        if not line.strip():
            continue
        outcome = measure(Cell(**json.loads(line)))
        print(RESULT_PREFIX + json.dumps(asdict(outcome)), flush=True)


if __name__ == "__main__":
    main()

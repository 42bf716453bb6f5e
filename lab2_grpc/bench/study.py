"""The plan of the study and the order of its measurements; no numbers are made here, only collected.

Fairness comes from the layout: every server runs on core 0 (``taskset -c 0``) and the load generator on core 1,
so a server never competes with its own load. The runs are interleaved (each run measures every operation
on both transports, in alternating order), so drift on a shared machine hits both sides alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from common.harness import ROOT, free_port, port_open, stop_process, wait_until

from . import codec, inprocess, profile, wire, wrk
from .load import RESULT_PREFIX
from .scenario import FLOOR, SINGLE_USER_OPERATIONS

SERVER_CORE, LOAD_CORE = 0, 1
TRANSPORTS = ("rest", "grpc")
# Reads first, then update, then create and delete: create fills the pool that delete then empties, and
# the list calls see the seeded store at its usual size.
ORDER = (FLOOR, "get", "list_1", "list_100", "list_1000", "update", "create", "delete")
SERVER_KIND = {
    ("rest", False): "rest",
    ("grpc", False): "grpc",
    ("rest", True): "rest-hello",
    ("grpc", True): "grpc-hello",
}


@dataclass
class Options:
    duration: float = 7.0
    runs: int = 3
    latency_duration: float = 5.0
    users: int = 10
    warmup: float = 1.0
    profile_seconds: float = 4.0
    out: Path = ROOT / "docs"


@dataclass
class Server:
    kind: str
    port: int
    process: subprocess.Popen[bytes]

    def target(self) -> str:
        scheme = "http://" if self.kind.startswith("rest") else ""
        return f"{scheme}127.0.0.1:{self.port}"


@dataclass
class Row:
    """One measurement, as it goes into the raw CSV."""

    phase: str
    run: int
    transport: str
    op: str
    generator: str
    users: int
    target_rate: float
    requests: int
    failures: int
    elapsed_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_cpu_us_per_request: float
    server_core_busy: float
    generator_core_busy: float


@dataclass
class Results:
    options: Options
    rows: list[Row] = field(default_factory=list)
    codec: list[codec.CodecRow] = field(default_factory=list)
    wire: list[wire.WireRow] = field(default_factory=list)
    inprocess: list[inprocess.InProcessRow] = field(default_factory=list)
    # (transport, op) -> (top functions by self time, self time by package)
    profiles: dict[tuple[str, str], tuple[list[tuple[str, float, float]], list[tuple[str, float]]]] = field(
        default_factory=dict
    )
    commands: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def server_command(kind: str, port: int | str) -> list[str]:
    return [
        "taskset",
        "-c",
        str(SERVER_CORE),
        sys.executable,
        "-m",
        "lab2_grpc.bench.servers",
        kind,
        "127.0.0.1",
        str(port),
    ]


@contextmanager
def servers() -> Iterator[dict[str, Server]]:
    """All four servers on core 0 (idle ones cost nothing measurable); stopped by PID afterwards."""
    started: dict[str, Server] = {}
    try:
        for kind in SERVER_KIND.values():
            port = free_port()
            process = subprocess.Popen(
                server_command(kind, port), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            started[kind] = Server(kind, port, process)
        for server in started.values():
            wait_until(server.process, partial(port_open, server.port), f"{server.kind} server", timeout=60)
        yield started
    finally:
        for server in started.values():
            stop_process(server.process, timeout=10)


class Worker:
    """The Locust worker process on core 1; one JSON line in, one result line out."""

    def __init__(self) -> None:
        args = ["taskset", "-c", str(LOAD_CORE), sys.executable, "-m", "lab2_grpc.bench.load"]
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )

    def measure(self, cell: dict[str, object]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(cell) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(RESULT_PREFIX):
                return json.loads(line.removeprefix(RESULT_PREFIX))
        raise RuntimeError(f"the load worker exited with {self.process.wait()}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def locust_row(
    phase: str, run: int, transport: str, op: str, users: int, rate: float, outcome: dict[str, object]
) -> Row:
    latencies: list[float] = outcome["latencies_ms"]  # type: ignore[assignment]
    elapsed = float(outcome["elapsed"])  # type: ignore[arg-type]
    requests = len(latencies)
    server_cpu = float(outcome["server_cpu"])  # type: ignore[arg-type]
    return Row(
        phase,
        run,
        transport,
        op,
        "locust",
        users,
        rate,
        requests,
        int(outcome["failures"]),  # type: ignore[arg-type]
        elapsed,
        requests / elapsed if elapsed else 0.0,
        _percentile(latencies, 0.50),
        _percentile(latencies, 0.95),
        _percentile(latencies, 0.99),
        server_cpu / requests * 1e6 if requests else float("nan"),
        server_cpu / elapsed if elapsed else 0.0,
        float(outcome["generator_cpu"]) / elapsed if elapsed else 0.0,
    )  # type: ignore[arg-type]


class Study:
    """Runs the phases in order and keeps every row."""

    def __init__(self, options: Options, running: dict[str, Server], worker: Worker) -> None:
        self.options = options
        self.servers = running
        self.worker = worker
        self.results = Results(options)

    def server_for(self, transport: str, op: str) -> Server:
        return self.servers[SERVER_KIND[(transport, op == FLOOR)]]

    def locust(self, phase: str, run: int, transport: str, op: str, duration: float, rate: float | None = None) -> Row:
        server = self.server_for(transport, op)
        cell = {
            "transport": transport,
            "op": op,
            "target": server.target(),
            "users": self.options.users,
            "warmup": self.options.warmup,
            "duration": duration,
            "server_pid": server.process.pid,
            "rate": rate,
        }
        row = locust_row(phase, run, transport, op, self.options.users, rate or 0.0, self.worker.measure(cell))
        self.results.rows.append(row)
        return row

    def wrk(self, run: int, op: str) -> None:
        server = self.server_for("rest", op)
        path = "/hello" if op == FLOOR else "/users/1"
        url = server.target() + path
        outcome = wrk.run(url, self.options.users, self.options.duration, LOAD_CORE, server.process.pid)
        self.results.commands[f"wrk {op}"] = " ".join(
            wrk.command(url, self.options.users, self.options.duration, LOAD_CORE)
        )
        cpu, requests = outcome["server_cpu"], outcome["requests"]
        self.results.rows.append(
            Row(
                "max",
                run,
                "rest",
                op,
                "wrk",
                self.options.users,
                0.0,
                int(requests),
                0,
                outcome["elapsed"],
                outcome["rps"],
                *(float("nan"),) * 3,
                cpu / requests * 1e6,
                cpu / outcome["elapsed"],
                float("nan"),
            )
        )

    def ceilings(self) -> None:
        """Every operation at full speed on both transports, `runs` times, transport order alternating."""
        for run in range(1, self.options.runs + 1):
            for op in ORDER:
                for transport in TRANSPORTS if run % 2 else reversed(TRANSPORTS):
                    self.locust("max", run, transport, op, self.options.duration)
                if op in (FLOOR, "get") and wrk.available():
                    self.wrk(run, op)

    def median_rps(self, transport: str, op: str) -> float:
        rates = [
            row.rps
            for row in self.results.rows
            if (row.phase, row.transport, row.op, row.generator) == ("max", transport, op, "locust")
        ]
        return statistics.median(rates) if rates else 0.0

    def latencies(self) -> None:
        """Each operation at the same fixed rate on both: half of the lower of the two ceilings."""
        for op in ORDER[1:]:
            rate = 0.5 * min(self.median_rps(transport, op) for transport in TRANSPORTS)
            if rate <= 0:
                continue
            for transport in TRANSPORTS:
                self.locust("latency", 1, transport, op, self.options.latency_duration, rate)

    def profiles(self, raw_dir: Path) -> None:
        """Profile each transport's single-user operation furthest below its floor, and the floor beside it."""
        if not profile.available():
            return
        for transport in TRANSPORTS:
            floor = self.median_rps(transport, FLOOR) or 1.0
            worst = min(SINGLE_USER_OPERATIONS, key=lambda name, t=transport: self.median_rps(t, name) / floor)
            for op in (worst, FLOOR):
                self.profile(raw_dir, transport, op)

    def profile(self, raw_dir: Path, transport: str, op: str) -> None:
        if op == "delete":  # the ceilings emptied the pool of users to delete: refill it first
            self.locust("setup", 1, transport, "create", self.options.profile_seconds)
        server = self.server_for(transport, op)
        raw = raw_dir / f"profile-{transport}-{op}.txt"
        spy = profile.start(server.process.pid, self.options.profile_seconds, raw, LOAD_CORE)
        self.locust("profile", 1, transport, op, self.options.profile_seconds)
        spy.wait(30)
        if raw.exists():
            self.results.profiles[(transport, op)] = (profile.summarise(raw), profile.by_layer(raw))


def run(options: Options) -> Results:
    """The whole study: ceilings, fixed-rate latency, profiles, then serialisation in-process."""
    started = time.monotonic()
    data_dir = options.out / "rest-vs-grpc"
    data_dir.mkdir(parents=True, exist_ok=True)
    with servers() as running:
        worker = Worker()
        try:
            study = Study(options, running, worker)
            command = " ".join(server_command("KIND", "PORT"))
            study.results.commands["servers"] = command.replace(sys.executable, "python")
            study.ceilings()
            study.latencies()
            study.profiles(data_dir)
            study.results.wire = wire.measure(running["rest"].port, running["grpc"].port)
        finally:
            worker.close()
    os.sched_setaffinity(0, {SERVER_CORE})  # in-process timings on the core the servers had, like for like
    study.results.codec = codec.measure(budget=min(0.3, options.duration / 20))
    study.results.inprocess = inprocess.measure(number=300 if options.duration >= 5 else 30)
    study.results.seconds = time.monotonic() - started
    return study.results


def rows_as_dicts(results: Results) -> list[dict[str, object]]:
    return [asdict(row) for row in results.rows]

"""The plan of the study and the order of its measurements; no numbers are made here, only collected.

Fairness comes from the layout: every server runs on core 0 (``taskset -c 0``) and every load generator on
core 1, so a server never competes with its own load. The lab runs as students run it, ``python -m
lab2_grpc`` (REST and gRPC in one process, on one store), seeded with the same 1,000 users for both. The
floors run beside it, each in its own process. The C generators (wrk, h2load) measure every ceiling in
interleaved runs: each run measures every operation on both transports, alternating which goes first, so
drift on a shared machine hits both sides alike. Locust then measures the same calls once more, as a
Python client sees them, and at a fixed rate for latency.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from common.harness import ROOT, free_port, http_ok, port_open, stop_process, wait_until

from . import codec, hello_grpc, inprocess, profile, wire
from .generators import GrpcCall, H2load, Outcome, grpc_request, missing_tools, run_wrk
from .procstat import children, cpu_seconds, tree_cpu_seconds
from .progress import Progress
from .scenario import FLOOR, RESULT_PREFIX, SINGLE_USER_OPERATIONS, seed_users

SERVER_CORE, LOAD_CORE = 0, 1
TRANSPORTS = ("rest", "grpc")
# Reads first, then update, then create and delete: create fills the pool that delete then empties, and
# the list calls see the seeded store at its usual size.
ORDER = (FLOOR, "get", "list_1", "list_100", "list_1000", "update", "create", "delete")
LAB, GUNICORN, WAITRESS, GRPC_HELLO = "lab", "gunicorn-hello", "waitress-hello", "grpc-hello"
C_GENERATOR = {"rest": "wrk", "grpc": "h2load"}
GOAL = 0.8  # every single-user operation at this share of its floor's requests/s, or a profile of the gap
# The ports the page's commands show; the study itself runs on free ports chosen at start.
EXAMPLE_PORTS = {LAB: (8000, 50051), GUNICORN: (8001, 0), WAITRESS: (8002, 0), GRPC_HELLO: (0, 50052)}


@dataclass
class Options:
    duration: float = 3.0
    runs: int = 5
    locust_duration: float = 4.0
    latency_duration: float = 3.0
    users: int = 10
    warmup: float = 0.5
    profile_seconds: float = 4.0
    out: Path = ROOT / "docs"


@dataclass
class Server:
    kind: str
    process: subprocess.Popen[bytes]
    http_port: int = 0
    grpc_port: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def worker_pid(self) -> int:
        """The process that answers: Gunicorn's worker (the master only supervises it), else the process itself."""
        return next(iter(children(self.pid)), self.pid)

    def cpu(self) -> float:
        return tree_cpu_seconds(self.pid)


@dataclass
class Row:
    """One measurement, as it goes into the raw CSV."""

    phase: str  # max (a ceiling), latency (a fixed rate), profile
    run: int
    transport: str
    op: str
    server: str  # lab, or the floor's server
    generator: str  # wrk, h2load or locust
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
    # (transport, op, server) -> (top functions by self time, self time by package)
    profiles: dict[tuple[str, str, str], tuple[list[tuple[str, float, float]], list[tuple[str, float]]]] = field(
        default_factory=dict
    )
    commands: dict[str, str] = field(default_factory=dict)
    # (transport, op) -> (calling function, function the time concentrates in, its share): see inprocess.hot_path
    hot_paths: dict[tuple[str, str], tuple[str, str, float]] = field(default_factory=dict)
    plain_encode_us: float = float("nan")  # 1,000 users encoded the plain way (codec.plain_list_response)
    seconds: float = 0.0


def server_commands() -> dict[str, str]:
    """How to start each server by hand, with the example ports (the study picks free ones)."""
    http, grpc_port = EXAMPLE_PORTS[LAB]
    return {
        LAB: f"HTTP_PORT={http} GRPC_PORT={grpc_port} taskset -c {SERVER_CORE} python -m lab2_grpc",
        **{
            kind: f"taskset -c {SERVER_CORE} python -m lab2_grpc.bench.servers {kind} {max(EXAMPLE_PORTS[kind])}"
            for kind in (GUNICORN, WAITRESS, GRPC_HELLO)
        },
    }


def _start(kind: str) -> Server:
    pinned = ["taskset", "-c", str(SERVER_CORE), sys.executable, "-m"]
    quiet = {"cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if kind == LAB:
        http_port, grpc_port = free_port(), free_port()
        env = {**os.environ, "HOST": "127.0.0.1", "HTTP_PORT": str(http_port), "GRPC_PORT": str(grpc_port)}
        return Server(kind, subprocess.Popen([*pinned, "lab2_grpc"], env=env, **quiet), http_port, grpc_port)
    port = free_port()
    process = subprocess.Popen([*pinned, "lab2_grpc.bench.servers", kind, str(port)], **quiet)
    return Server(kind, process, 0 if kind == GRPC_HELLO else port, port if kind == GRPC_HELLO else 0)


def _ready(server: Server) -> bool:
    if server.grpc_port and not port_open(server.grpc_port):
        return False
    if server.http_port and not http_ok(f"{server.url()}/healthz"):
        return False
    return server.kind not in (LAB, GUNICORN) or bool(children(server.pid))  # Gunicorn's worker is up


@contextmanager
def servers() -> Iterator[dict[str, Server]]:
    """The lab and the three floors on core 0 (idle ones cost nothing measurable); stopped by PID afterwards."""
    started: dict[str, Server] = {}
    try:
        for kind in (LAB, GUNICORN, WAITRESS, GRPC_HELLO):
            started[kind] = _start(kind)
        for server in started.values():
            wait_until(server.process, partial(_ready, server), f"the {server.kind} server", timeout=60)
        yield started
    finally:
        for server in started.values():
            stop_process(server.process, timeout=15)


class RestClient:
    """A keep-alive HTTP/1.1 connection from the study itself: seeding, and the probes around create."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def create(self, name: str, email: str) -> str:
        body_out = json.dumps({"name": name, "email": email})
        try:
            self.connection.request("POST", "/users", body_out, {"Content-Type": "application/json"})
            response = self.connection.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):  # the server closed an idle connection
            self.connection.close()
            self.connection.request("POST", "/users", body_out, {"Content-Type": "application/json"})
            response = self.connection.getresponse()
        body = response.read()
        if response.status != 201:
            raise RuntimeError(f"POST /users answered {response.status}: {body[:200]!r}")
        return json.loads(body)["id"]

    def close(self) -> None:
        self.connection.close()


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
            self.process.wait()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


class Study:
    """Runs the phases in order and keeps every row."""

    def __init__(self, options: Options, running: dict[str, Server], workdir: Path, progress: Progress) -> None:
        self.options = options
        self.servers = running
        self.workdir = workdir
        self.progress = progress
        self.results = Results(options)
        self.h2load = H2load(workdir, LOAD_CORE)
        self.rest = RestClient(running[LAB].http_port)
        self._probes = 0
        self._pool: dict[str, tuple[int, int]] = {}  # transport -> (first, last) user ids its next delete removes
        self.results.commands.update(server_commands())

    def close(self) -> None:
        self.rest.close()

    # --- the data ------------------------------------------------------------------------------

    def seed(self) -> None:
        """The same 1,000 users for both transports, created over REST into the fresh store (ids 1 to 1,000)."""
        for index, fields in enumerate(seed_users(), start=1):
            user_id = self.rest.create(fields["name"], fields["email"])
            if user_id != str(index):
                raise RuntimeError(f"the lab's store was not fresh: seed user {index} got id {user_id}")

    def probe(self) -> int:
        """Create one user over REST and return its id: the store numbers users in order, so two probes
        bracket every user created between them."""
        self._probes += 1
        return int(self.rest.create("Probe", f"probe-{self._probes}@example.com"))

    # --- one ceiling with a C generator ----------------------------------------------------------

    def server_for(self, transport: str, op: str, floor_server: str | None = None) -> Server:
        if op != FLOOR:
            return self.servers[LAB]
        return self.servers[floor_server or (GUNICORN if transport == "rest" else GRPC_HELLO)]

    def grpc_call(self, op: str, prefix: str = "", count: int = 0, pool: tuple[int, int] = (0, 0)) -> GrpcCall:
        """The request messages for `op`, and the size of one answer, from one call made first.

        (The check goes through h2load too: a process that holds a gRPC channel cannot safely fork.)
        """
        path, messages, slack = grpc_request(op, prefix, count + 1 if op == "create" else count, pool)
        if op == FLOOR:
            return GrpcCall(path, messages, 5 + len(hello_grpc.REPLY))
        if op == "delete":
            return GrpcCall(path, messages, 5)  # each answer: an empty message, its 5-byte prefix alone
        # create checks with one more new user like the others (same sizes), which the run then leaves out
        check = messages.pop() if op == "create" else messages[0]
        return GrpcCall(path, messages, self.h2load.first_answer(self.servers[LAB].target(), path, check), slack)

    def c_generator(
        self, phase: str, run: int, transport: str, op: str, seconds: float, floor_server: str | None = None
    ) -> Row:
        """Warm up, then one window of `op` at full speed from wrk (REST) or h2load (gRPC); one row."""
        server = self.server_for(transport, op, floor_server)
        users = self.options.users
        tag = f"{transport}-r{run}-{phase}"

        def go(window: float, part: str) -> Outcome:
            if transport == "rest":
                args = {"create": [f"wrk-{tag}-{part}"], "delete": [str(n) for n in self._pool.get("rest", (0, 0))]}
                return run_wrk(server.url(), op, window, args.get(op, []), users, LOAD_CORE)
            if op == "delete":
                call = self.grpc_call(op, pool=self._pool["grpc"])
                return self.h2load.run(server.target(), call, users, requests=len(call.messages))
            call = self.grpc_call(op, f"h2-{tag}-{part}", count=int(window * 20_000) + 1000)
            return self.h2load.run(server.target(), call, users, seconds=window)

        if op != "delete" and self.options.warmup > 0:
            go(self.options.warmup, "warm")
        before = server.cpu()
        outcome = go(seconds, "main")
        server_cpu = server.cpu() - before
        if op == "delete":
            del self._pool[transport]
        row = self._row(phase, run, transport, op, server.kind, C_GENERATOR[transport], 0.0, outcome, server_cpu)
        self.results.rows.append(row)
        return row

    def _row(
        self,
        phase: str,
        run: int,
        transport: str,
        op: str,
        server: str,
        generator: str,
        rate: float,
        outcome: Outcome,
        server_cpu: float,
        p95: float = float("nan"),
    ) -> Row:
        requests, elapsed = outcome.requests, outcome.elapsed
        return Row(
            phase,
            run,
            transport,
            op,
            server,
            generator,
            self.options.users,
            rate,
            requests,
            outcome.failures,
            elapsed,
            outcome.rps,
            outcome.p50_ms,
            p95,
            outcome.p99_ms,
            server_cpu / requests * 1e6 if requests else float("nan"),
            server_cpu / elapsed if elapsed else 0.0,
            outcome.generator_cpu / elapsed if elapsed else 0.0,
        )

    def ceilings(self, run: int) -> Iterator[tuple[str, Callable[[], object]]]:
        """One run: every operation on both transports (and both REST floors), the order alternating per run."""
        for op in ORDER:
            transports = TRANSPORTS if run % 2 else tuple(reversed(TRANSPORTS))
            if op == "create":
                yield "probe", self._open_pool
            for transport in transports:
                if op == FLOOR and transport == "rest":
                    floors = (GUNICORN, WAITRESS) if run % 2 else (WAITRESS, GUNICORN)
                    for floor in floors:
                        yield (
                            f"REST hello on {floor.removesuffix('-hello').title()} (wrk)",
                            partial(self.c_generator, "max", run, "rest", op, self.options.duration, floor),
                        )
                    continue
                label = f"{'REST' if transport == 'rest' else 'gRPC'} {op} ({C_GENERATOR[transport]})"
                yield label, partial(self.c_generator, "max", run, transport, op, self.options.duration)
            if op == "create":
                yield "probe", self._close_pool

    def _open_pool(self) -> None:
        self._pool_first = self.probe()

    def _close_pool(self) -> None:
        """Every user created since the opening probe goes to the deletes: half to each transport."""
        first, last = self._pool_first, self.probe()
        middle = (first + last) // 2
        self._pool = {"rest": (first, middle), "grpc": (middle + 1, last)}

    # --- Locust, the Python user's view ------------------------------------------------------------

    def locust(
        self, worker: Worker, phase: str, run: int, transport: str, op: str, duration: float, rate: float | None = None
    ) -> Row:
        server = self.server_for(transport, op)
        cell = {
            "transport": transport,
            "op": op,
            "target": server.url() if transport == "rest" else server.target(),
            "users": self.options.users,
            "warmup": self.options.warmup,
            "duration": duration,
            "server_pid": server.pid,
            "rate": rate,
        }
        outcome = worker.measure(cell)
        latencies: list[float] = outcome["latencies_ms"]  # type: ignore[assignment]
        elapsed = float(outcome["elapsed"])  # type: ignore[arg-type]
        result = Outcome(
            len(latencies),
            int(outcome["failures"]),  # type: ignore[arg-type]
            elapsed,
            float(outcome["generator_cpu"]),  # type: ignore[arg-type]
            _percentile(latencies, 0.50),
            _percentile(latencies, 0.99),
        )
        server_cpu = float(outcome["server_cpu"])  # type: ignore[arg-type]
        p95 = _percentile(latencies, 0.95)
        row = self._row(phase, run, transport, op, server.kind, "locust", rate or 0.0, result, server_cpu, p95)
        self.results.rows.append(row)
        return row

    def median_rps(self, transport: str, op: str, generator: str, server: str | None = None) -> float:
        return median(
            [
                row.rps
                for row in self.results.rows
                if (row.phase, row.transport, row.op, row.generator) == ("max", transport, op, generator)
                and (server is None or row.server == server)
            ]
        )

    def latency_rate(self, op: str) -> float:
        """Half of the lower of the two Locust ceilings: a load both Locust users can hold."""
        return 0.5 * min(self.median_rps(transport, op, "locust") for transport in TRANSPORTS)

    # --- profiles ----------------------------------------------------------------------------------

    def misses(self) -> list[tuple[str, str]]:
        """(transport, op) of each single-user call below the goal by the C generators' medians, in requests/s
        (the goal) or in server CPU per call (the floor's ÷ the call's): each of them gets a profile."""
        missed = []
        for transport in TRANSPORTS:
            generator = C_GENERATOR[transport]
            floor = GUNICORN if transport == "rest" else None
            floor_rps = self.median_rps(transport, FLOOR, generator, floor)
            floor_cpu = self.median_cpu(transport, FLOOR, generator, floor)
            for op in SINGLE_USER_OPERATIONS:
                slow = floor_rps and self.median_rps(transport, op, generator) < GOAL * floor_rps
                costly = floor_cpu and GOAL * self.median_cpu(transport, op, generator) > floor_cpu
                if slow or costly:
                    missed.append((transport, op))
        return missed

    def median_cpu(self, transport: str, op: str, generator: str, server: str | None = None) -> float:
        return median(
            [
                row.server_cpu_us_per_request
                for row in self.results.rows
                if (row.phase, row.transport, row.op, row.generator) == ("max", transport, op, generator)
                and (server is None or row.server == server)
            ]
        )

    def profile(self, transport: str, op: str, floor: str | None = None) -> None:
        """py-spy on the answering process while the C generator holds `op` at full speed."""
        seconds = self.options.profile_seconds
        server = self.server_for(transport, op, floor)
        if op == "delete":  # the ceilings emptied the pool of users to delete: fill it first, unmeasured
            first = self.probe()
            need = int(self.median_rps(transport, op, C_GENERATOR[transport]) * (seconds + 2)) + 100
            call = self.grpc_call("create", "h2-profile", need)
            self.h2load.run(self.servers[LAB].target(), call, self.options.users, requests=need)
            self._pool[transport] = (first, self.probe())
        raw = self.workdir / f"{profile.stem(transport, op, server.kind)}.txt"
        spy = profile.start(server.worker_pid(), seconds, raw, LOAD_CORE)
        time.sleep(0.3)  # py-spy attaches
        if transport == "rest":
            args = {"create": ["wrk-profile"], "delete": [str(n) for n in self._pool.get("rest", (0, 0))]}
            run_wrk(server.url(), op, seconds + 0.5, args.get(op, []), self.options.users, LOAD_CORE)
        elif op == "delete":
            call = self.grpc_call(op, pool=self._pool["grpc"])
            self.h2load.run(server.target(), call, self.options.users, requests=len(call.messages))
        else:
            call = self.grpc_call(op, "h2-profile-load", count=int((seconds + 0.5) * 20_000))
            self.h2load.run(server.target(), call, self.options.users, seconds=seconds + 0.5)
        self._pool.pop(transport, None)
        spy.wait(30)
        if raw.exists():
            self.results.profiles[(transport, op, server.kind)] = (profile.summarise(raw), profile.by_layer(raw))


def plan(options: Options) -> Progress:
    """Every phase with its expected seconds and steps, so that the progress line can say how long is left."""
    c_cell = options.duration + options.warmup + 0.4
    locust_cell = options.locust_duration + options.warmup + 0.6
    latency_cell = options.latency_duration + options.warmup + 0.6
    cells_per_run = len(ORDER) * 2 + 1  # both transports, and the Waitress floor beside Gunicorn's
    profile_step = options.profile_seconds + 2.0
    return Progress(
        {
            "start": (4.0, 1),
            "ceilings": (options.runs * cells_per_run * c_cell, options.runs * cells_per_run),
            "locust": (len(ORDER) * 2 * locust_cell, len(ORDER) * 2),
            "latency": ((len(ORDER) - 1) * 2 * latency_cell, (len(ORDER) - 1) * 2),
            "profiles": (5 * profile_step, 5),
            "wire": (4.0, 1),
            "in-process": (30.0 if options.duration >= 2 else 8.0, 1),
        }
    )


def run(options: Options, workdir: Path) -> Results:
    """The whole study: ceilings (C generators), Locust, latency, profiles, wire, then in-process timings."""
    if missing := missing_tools():
        hints = "\n".join(f"  {name}: {hint}" for name, hint in missing.items())
        raise SystemExit(f"the study needs these tools, not found on PATH:\n{hints}")
    os.sched_setaffinity(0, {LOAD_CORE})  # the study itself stays off the servers' core while they are measured
    progress = plan(options)
    progress.phase("start", "the lab (seeded with 1,000 users) and the three floors, on core 0")
    with ExitStack() as stack:
        running = stack.enter_context(servers())
        study = Study(options, running, workdir, progress)
        stack.callback(study.close)
        study.seed()
        progress.phase("ceilings", f"{options.runs} interleaved runs, {options.duration:g} s windows, wrk and h2load")
        for run_number in range(1, options.runs + 1):
            for label, step in list(study.ceilings(run_number)):
                if label != "probe":
                    progress.step(f"run {run_number}/{options.runs}: {label}")
                step()
        worker = Worker()
        stack.callback(worker.close)
        progress.phase("locust", f"the same calls from Locust, {options.locust_duration:g} s each")
        for op in ORDER:
            for transport in TRANSPORTS:
                progress.step(f"{'REST' if transport == 'rest' else 'gRPC'} {op} (Locust)")
                study.locust(worker, "max", 1, transport, op, options.locust_duration)
        progress.phase("latency", f"each call at a fixed rate from Locust, {options.latency_duration:g} s each")
        for op in ORDER[1:]:
            rate = study.latency_rate(op)
            for transport in TRANSPORTS:
                progress.step(f"{'REST' if transport == 'rest' else 'gRPC'} {op} at {rate:,.0f} req/s")
                if rate > 0:
                    study.locust(worker, "latency", 1, transport, op, options.latency_duration, rate)
        progress.phase("profiles", f"py-spy on the server, {options.profile_seconds:g} s each")
        if profile.available():
            missed = study.misses()
            floors = [("rest", FLOOR, GUNICORN), ("rest", FLOOR, WAITRESS), ("grpc", FLOOR, GRPC_HELLO)]
            targets = [*floors, *((transport, op, LAB) for transport, op in missed)]
            progress.resize("profiles", len(targets) * (options.profile_seconds + 2.0), len(targets))
            for transport, op, server in targets:
                progress.step(f"{'REST' if transport == 'rest' else 'gRPC'} {op} on {server}")
                study.profile(transport, op, None if server == LAB else server)
        progress.phase("wire", "bytes on the wire per call, through a counting relay")
        study.results.wire = wire.measure(running[LAB].http_port, running[LAB].grpc_port)
    progress.phase("in-process", "serialisation and each call without a server, on core 0")
    os.sched_setaffinity(0, {SERVER_CORE})  # in-process timings on the core the servers had, like for like
    study.results.codec = codec.measure(budget=min(0.3, options.duration / 15))
    study.results.plain_encode_us = codec.plain_encode_us(budget=min(0.3, options.duration / 15))
    study.results.inprocess = inprocess.measure(number=300 if options.duration >= 2 else 30)
    for transport, op in (("rest", "list_1"), ("rest", "create"), ("grpc", "create")):
        if found := inprocess.hot_path(transport, op, calls=200 if options.duration >= 2 else 20):
            study.results.hot_paths[(transport, op)] = found
    study.results.seconds = progress.elapsed()
    progress.done()
    return study.results


@contextmanager
def workspace() -> Iterator[Path]:
    """A scratch folder for request files, the compiled h2load helper and raw profiles; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="rest-vs-grpc-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


__all__ = ["ORDER", "TRANSPORTS", "Options", "Results", "Row", "cpu_seconds", "run", "workspace"]

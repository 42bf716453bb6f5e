"""Start the service under test for one run (``--start CMD``), as GitHub Classroom needs.

The command gets HOST=127.0.0.1 and free HTTP_PORT / GRPC_PORT (labs 5-7: NOTIFIER_HTTP_PORT too) in
its environment, as the contract's run command does; the grader waits until every port of the lab
accepts TCP, grades, then stops the command's process group (the one it started, by its id) with
SIGTERM, SIGKILL if it lingers.

Lab 7's configuration is graded by starting the command again, several times, each in an
environment of the check's own (a .env file, a bad value, a database): a `Launcher` does that for
the checks, and stops, at the end of the run, whatever of it a check left running.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from .addresses import Addresses
from .labs import Lab

HOST = "127.0.0.1"
PORT_OF = {"rest": "HTTP_PORT", "grpc": "GRPC_PORT", "notifier": "NOTIFIER_HTTP_PORT"}  # the variable of each side


class StartFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def accepts(port: int) -> bool:
    """Something on 127.0.0.1 accepts TCP connections at `port`."""
    return _accepts(port)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((HOST, port)) == 0


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def started(command: str, lab: Lab, log: Path, ready_timeout: float = 60.0) -> Iterator[Addresses]:
    """Run `command` in a shell with the lab's ports in its environment, for the duration of the block."""
    ports = {"HTTP_PORT": free_port(), "GRPC_PORT": free_port(), "NOTIFIER_HTTP_PORT": free_port()}
    env = {**os.environ, "HOST": HOST, **{name: str(port) for name, port in ports.items()}, "PYTHONUNBUFFERED": "1"}
    wanted = [ports[PORT_OF[side]] for side in lab.sides]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["/bin/sh", "-c", command], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + ready_timeout
        while not all(_accepts(port) for port in wanted):
            if process.poll() is not None:
                raise StartFailed(f"`{command}` exited with {process.returncode} before listening:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise StartFailed(f"`{command}` did not listen on {wanted} within {ready_timeout:g} s:\n{_tail(log)}")
            time.sleep(0.1)
        yield Addresses(
            rest_url=f"http://{HOST}:{ports['HTTP_PORT']}",
            grpc_target=f"{HOST}:{ports['GRPC_PORT']}" if "grpc" in lab.sides else None,
            notifier_url=f"http://{HOST}:{ports['NOTIFIER_HTTP_PORT']}" if "notifier" in lab.sides else None,
        )
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group we started (its id is our child's PID), SIGKILL to what is left after 15 s.

    Returns once the whole group is gone: the service the shell started too, not only the shell, so
    that a start that follows never meets the last one still stopping.
    """
    for signum, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None and not _group_alive(process.pid):
            return
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process.poll() is not None and not _group_alive(process.pid):
                return
            time.sleep(0.05)


def _group_alive(group: int) -> bool:
    """A process of `group` still runs (one that has exited, but that its new parent has not reaped yet, does not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the system, zombies included
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]  # after "pid (name)": state ppid pgrp
        except (OSError, ValueError):
            continue  # it ended while we looked
        if pgrp == str(group) and state != "Z":
            return True
    return False


# --- starting the command again, in environments of a check's own (lab 7) ---------------------------

# The variables the grader gives a start itself: a check's start has none of them from the grader's
# own environment, only those the check sets (in the environment or in its .env file).
GIVEN = ("HOST", *PORT_OF.values(), "ENV_FILE")


@dataclass
class Start:
    """One start of the command by a check: the process, its ports, and the file its output goes to."""

    label: str
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log: Path
    began: float  # time.monotonic() when it was started

    def output(self) -> str:
        """What it wrote so far, standard output and error together."""
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 20) -> str:
        return _tail(self.log, lines)

    @property
    def exited(self) -> int | None:
        """Its exit status once it has exited (negative: killed by that signal), else None."""
        return self.process.poll()


class Launcher:
    """Starts the command under test again, for checks that grade how it starts (lab 7's configuration).

    Each start runs `command` through /bin/sh in a process group of its own, in the grader's
    environment without the variables of GIVEN, plus those the check sets; its output goes to a file
    of its own in `logs`. `database_url` is a PostgreSQL database the checks may give it (--database-url).
    """

    def __init__(self, command: str, lab: Lab, logs: Path, database_url: str | None = None) -> None:
        self.command = command
        self.lab = lab
        self.logs = logs
        self.database_url = database_url
        self._lock = threading.Lock()
        self._count = 0
        self._running: list[subprocess.Popen[bytes]] = []
        self._closed = False

    def ports(self) -> dict[str, int]:
        """A free port for each port variable of the contract (HTTP_PORT, GRPC_PORT, NOTIFIER_HTTP_PORT)."""
        return {name: free_port() for name in PORT_OF.values()}

    def start(self, label: str, env: Mapping[str, str], ports: dict[str, int] | None = None) -> Start:
        """Start the command with `env` on top of the grader's environment (without GIVEN); do not wait.

        After `close` (the run is over, and a check the runner stopped waiting for goes on), it refuses.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the run is over: the grader starts the service no more")
            self._count += 1
            number = self._count
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"start-{number:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.log"
        inherited = {name: value for name, value in os.environ.items() if name not in GIVEN}
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["/bin/sh", "-c", self.command],
                env={**inherited, "PYTHONUNBUFFERED": "1", **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with self._lock:
            self._running.append(process)  # close() stops it, if the check does not
        return Start(label, process, dict(ports or {}), log, time.monotonic())

    def ready(self, start: Start) -> bool:
        """Its HTTP port answers GET /healthz with anything but a 5xx (a 404 too: /healthz is lab 1's extra),
        and, for a lab with gRPC, its gRPC port accepts connections."""
        if "grpc" in self.lab.protocols and not _accepts(start.ports["GRPC_PORT"]):
            return False
        try:
            reply = requests.get(f"http://{HOST}:{start.ports['HTTP_PORT']}/healthz", timeout=1.0)
        except requests.RequestException:
            return False
        return reply.status_code < 500

    def wait_exit(self, start: Start, until: float) -> int | None:
        """Its exit status, waiting for it until time.monotonic() reaches `until`; None if it still runs."""
        while start.exited is None and time.monotonic() < until:
            time.sleep(0.05)
        return start.exited

    def stop(self, start: Start) -> int | None:
        """Stop its process group (SIGTERM, SIGKILL after 15 s) and wait; its exit status."""
        _stop(start.process)
        with self._lock:
            if start.process in self._running:
                self._running.remove(start.process)
        return start.process.poll()

    @contextmanager
    def running(self, label: str, env: Mapping[str, str], ports: dict[str, int] | None = None) -> Iterator[Start]:
        """A start for the duration of the block, stopped at its end whatever happens."""
        start = self.start(label, env, ports)
        try:
            yield start
        finally:
            self.stop(start)

    def unstopped(self) -> int:
        """How many of its starts have not been stopped (between checks: none, each stops its own)."""
        with self._lock:
            return len(self._running)

    def close(self) -> None:
        """Stop every start a check left running (one whose check ran out of time, say), and start no more."""
        with self._lock:
            self._closed = True
            left, self._running = self._running, []
        for process in left:
            _stop(process)

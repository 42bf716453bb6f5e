"""Start the service under test for one run (``--start CMD``), as GitHub Classroom needs.

The command gets HOST=127.0.0.1 and free HTTP_PORT / GRPC_PORT (labs 5-6: NOTIFIER_HTTP_PORT too) in
its environment, as the contract's run command does; the grader waits until every port of the lab
accepts TCP, grades, then stops the command's process group (the one it started, by its id) with
SIGTERM, SIGKILL if it lingers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    """SIGTERM to the group we started (its id is our child's PID); SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    for signum, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue

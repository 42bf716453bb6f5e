"""Start a lab as ``python -m <lab>`` on free ports, wait until it is ready, stop it by PID.

Used by the tests and by ``run_all.sh``; each started process writes its output to a log file,
which the pytest plugin attaches to any test that fails while the process runs.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import importlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNING: list[LabProcess] = []  # read by the pytest plugin to attach logs to failures


class LabFailedToStart(RuntimeError):
    """The lab exited or never became ready; the message ends with its log."""


# The ports free_port handed out lately, to any test process of this user (see free_port).
HANDED_OUT = Path(tempfile.gettempdir()) / f"microlabs-ports-{os.getuid()}"
HANDED_OUT_SECONDS = 60.0


def free_port() -> int:
    """A TCP port that nothing listens on right now (the OS picks it), and not handed out in the last minute.

    A port handed out stays free until the lab it is for binds it, a second or more later, and the
    OS picks at random each time, so it may pick that port again meanwhile: for another process of
    ``./run_all.sh test`` running beside this one, or for the same lab's next port. So this user's
    processes note each port they are handed in one file, under a lock, and refuse a noted one.
    """
    with HANDED_OUT.open("a+") as record:
        fcntl.flock(record, fcntl.LOCK_EX)
        record.seek(0)
        now = time.time()
        lately = _handed_out_since(record.read().splitlines(), now - HANDED_OUT_SECONDS)
        port = _unbound_port()
        while port in lately:
            port = _unbound_port()
        lately[port] = now
        record.truncate(0)
        record.writelines(f"{at} {port}\n" for port, at in lately.items())
    return port


def _handed_out_since(lines: list[str], since: float) -> dict[int, float]:
    """The ports of the lines "TIME PORT" since a time; a line cut short (its writer killed) is ignored."""
    lately: dict[int, float] = {}
    for line in lines:
        with contextlib.suppress(ValueError):
            at, port = line.split()
            if float(at) >= since:
                lately[int(port)] = float(at)
    return lately


def _unbound_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def wait_until(process: subprocess.Popen[bytes], ready: Callable[[], bool], name: str, timeout: float = 30.0) -> None:
    """Poll `ready` until it holds; raise LabFailedToStart at once if `process` exits, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise LabFailedToStart(f"{name} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise LabFailedToStart(f"{name} not ready after {timeout:.0f} s")
        time.sleep(0.05)


def eventually(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds have passed (False): for what a lab
    does in its own time (a relay publishing, a connection coming back), never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def stop_process(process: subprocess.Popen[bytes], signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    """Send `signum` to the process's PID, wait for the exit and return its status (killed if it hangs)."""
    if process.poll() is None:
        os.kill(process.pid, signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """True when GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class LabProcess:
    """One running lab: its process, its address and its log."""

    module: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run once the process has stopped

    @property
    def host(self) -> str:
        return self.env["HOST"]

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.env['HTTP_PORT']}"

    @property
    def grpc_target(self) -> str:
        return f"{self.host}:{self.env['GRPC_PORT']}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll `ready` until it holds; fail early, with the lab's log, if the process dies meanwhile."""
        try:
            wait_until(self.process, ready, self.module, timeout)
        except LabFailedToStart as exc:
            self.stop()
            raise LabFailedToStart(f"{exc}:\n{self.log()}") from None

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `signum` to our PID, wait for the exit and return its status (killed if it hangs)."""
        status = stop_process(self.process, signum, timeout)
        if self in RUNNING:
            RUNNING.remove(self)
        while self.cleanups:
            self.cleanups.pop()()
        return status


@functools.cache
def empty_env_file() -> Path:
    """An empty .env file, for a lab 7 that must read no developer's .env (deleted at exit)."""
    fd, path = tempfile.mkstemp(prefix="microlabs-", suffix=".env")
    os.close(fd)
    atexit.register(os.unlink, path)
    return Path(path)


def start(
    module: str,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = 30.0,
    python: str = sys.executable,
    cwd: Path = ROOT,
    ready_port: str = "HTTP_PORT",
) -> LabProcess:
    """Start ``python -m module`` with HOST and free HTTP_PORT / GRPC_PORT, and wait for /healthz.

    `ready_port` names the port whose /healthz says the process is ready (lab 5's notifier: NOTIFIER_HTTP_PORT).
    """
    env = os.environ.copy()
    env.update(HOST="127.0.0.1", HTTP_PORT=str(free_port()), GRPC_PORT=str(free_port()), PYTHONUNBUFFERED="1")
    # From lab 5 a second service, the notifier, has an HTTP port of its own (labs 1-4 ignore it).
    env["NOTIFIER_HTTP_PORT"] = str(free_port())
    # From lab 3 the service signs tokens with JWT_SECRET and refuses to start without one: each
    # started process gets a fresh random key, as a deployment injects one (labs 1-2 ignore it).
    env.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
    # From lab 7 the lab also reads a .env file from its working directory: where there is one (a
    # developer's), it gets an empty one instead, unless the test names its own, so that what is tested
    # is what the test sets.
    env.pop("ENV_FILE", None)
    if (cwd / ".env").exists():
        env["ENV_FILE"] = str(empty_env_file())
    cleanups = scratch_broker_and_record(module, env, extra_env or {})
    env.update(extra_env or {})
    log_dir = Path(os.environ.get("LAB_LOG_DIR", tempfile.gettempdir()))
    log_dir.mkdir(parents=True, exist_ok=True)
    fd, log_path = tempfile.mkstemp(prefix=f"{module}-", suffix=".log", dir=log_dir)
    with open(fd, "wb") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([python, "-m", module], cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    lab = LabProcess(module, env, Path(log_path), process, cleanups)
    RUNNING.append(lab)
    ready_url = f"{lab.http_url.rsplit(':', 1)[0]}:{env[ready_port]}/healthz"
    lab.wait_until(lambda: http_ok(ready_url), ready_timeout)
    return lab


def scratch_broker_and_record(module: str, env: dict[str, str], chosen: dict[str, str]) -> list[Callable[[], None]]:
    """From lab 5 a lab declares exchanges and queues on the machine's RabbitMQ and keeps the notifier's
    record in a file. Unless the caller chose them, a started process gets names (BROKER_PREFIX) and a
    record (NOTIFIER_DB) of its own, whatever the shell exports, and both are deleted once it stops:
    the machine stays as it was found (labs 1-4 ignore both variables). Returns what to run after the stop."""
    cleanups: list[Callable[[], None]] = []
    if "NOTIFIER_DB" not in chosen:
        folder = tempfile.mkdtemp(prefix=f"{module}-record-")
        env["NOTIFIER_DB"] = str(Path(folder) / "notifier.sqlite3")
        cleanups.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    if "BROKER_PREFIX" not in chosen:
        env["BROKER_PREFIX"] = f"test-{secrets.token_hex(4)}"
        cleanups.append(lambda: delete_broker_names(module.split(".")[0], env))
    return cleanups


def delete_broker_names(package: str, env: dict[str, str]) -> None:
    """Delete what the lab `package` declared on RabbitMQ under env's BROKER_PREFIX, with its own code
    (its rabbitmq.delete_names); nothing for a lab without one, or when RabbitMQ is not there."""
    try:
        rabbitmq = importlib.import_module(f"{package}.rabbitmq")
        settings = importlib.import_module(f"{package}.settings")
    except ImportError:
        return
    with contextlib.suppress(Exception):  # a broker that is gone has nothing of ours to delete
        rabbitmq.delete_names(settings.load(env, service="notifier"))


@contextmanager
def running(module: str, extra_env: dict[str, str] | None = None) -> Iterator[LabProcess]:
    """Start a lab for the duration of a ``with`` block; stop it by PID afterwards."""
    lab = start(module, extra_env)
    try:
        yield lab
    finally:
        lab.stop()


@contextmanager
def running_in(module: str, folder: Path, python: str = sys.executable) -> Iterator[LabProcess]:
    """Start a lab from another folder (a starter, a scratch copy) for a ``with`` block; stop it by PID."""
    lab = start(module, {"PYTHONPATH": str(folder)}, python=python, cwd=folder)
    try:
        yield lab
    finally:
        lab.stop()


def run_to_exit(
    module: str,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
    args: tuple[str, ...] = (),
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module [args]`` with a bare environment until it exits: for starts that must fail,
    and commands that end (lab 7's --print-config). From another `cwd` the labs are found on PYTHONPATH."""
    env = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", **(extra_env or {})}
    if cwd != ROOT:
        env.setdefault("PYTHONPATH", str(ROOT))
    elif (ROOT / ".env").exists():  # as start() does: a developer's .env is not what the test sets
        env.setdefault("ENV_FILE", str(empty_env_file()))
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)

"""What a check runs around a lab (see runner.py's `surrounded_by`): a broker it can cut, a mail server.

From lab 5 on the lab talks to things beyond its ports, and a few exercises are about what happens
there: the broker going away, the email the notifier sends. The check starts them before the lab,
points the lab at them through its environment (`env`), and controls or reads them meanwhile:

- `BrokerLink`: the machine's RabbitMQ behind a proxy the check can cut (lab 5's exercise 2, lab
  6's exercise 2).
- `MailServer`: the SMTP server the notifier sends to, which refuses mail until told to accept it
  (lab 5's exercise 3) or accepts it from the start, keeping every message (lab 6's exercise 3).
- `Environment`: nothing around the lab, only variables it is started with (lab 7's exercise 2).
- `LabStarts`: the lab started again by the check, each time in an environment of the check's own,
  to see how it starts or refuses to (lab 7's exercises 1 and 3); `SilentServer`, a "database"
  that accepts connections and never answers.

None looks inside the lab: what a check judges is still what the lab's ports answer, what it sent
out, or how its process ends (its exit status and what it wrote).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import secrets
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from common import harness
from common.tcp_proxy import Proxy

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"  # the labs' default (settings.py), unless RABBITMQ_URL says


class BrokerLink:
    """The machine's RabbitMQ behind a proxy the check can cut (common/tcp_proxy.py): the lab's only way to it.

    The lab runs on RabbitMQ (BROKER=rabbitmq) at the proxy's port; the broker itself stays up for
    everyone else. `cut` closes every connection through the proxy and refuses new ones; `restore`
    accepts again.
    """

    def __init__(self) -> None:
        self._upstream = urlsplit(os.environ.get("RABBITMQ_URL", RABBITMQ_URL))
        self._proxy: Proxy | None = None
        self._cut = False
        self.env: dict[str, str] = {}

    def __enter__(self) -> Self:
        self._proxy = Proxy((self._upstream.hostname or "127.0.0.1", self._upstream.port or 5672))
        credentials = self._upstream.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self._proxy.port}" if credentials else f"127.0.0.1:{self._proxy.port}"
        self.env = {"BROKER": "rabbitmq", "RABBITMQ_URL": urlunsplit(self._upstream._replace(netloc=netloc))}
        return self

    def cut(self) -> None:
        if self._proxy is not None and not self._cut:
            self._proxy.cut()
            self._cut = True

    def restore(self) -> None:
        if self._proxy is not None and self._cut:
            self._proxy.restore()
            self._cut = False

    def __exit__(self, *exc: object) -> None:
        if self._proxy is not None:
            self.restore()  # so that the cut flag is right; the proxy then closes for good
            self._proxy.cut()


class MailServer:
    """An SMTP server on a free port for the notifier (SMTP_HOST, SMTP_PORT).

    While `refusing` (the default, until `accept` is called) it answers every recipient 451, a
    temporary failure; it counts what it refused and what it took, and keeps each message it took.
    """

    def __init__(self, refusing: bool = True) -> None:
        self.refusing = refusing
        self.refused: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self._messages: dict[str, list[Message]] = {}
        self._lock = threading.Lock()
        self._server = _SMTPServer(("127.0.0.1", 0), _Session, self)
        self.env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self._server.server_address[1])}
        self._thread = threading.Thread(target=self._server.serve_forever, name="exercise mail server", daemon=True)

    @classmethod
    def accepting(cls) -> MailServer:
        """A mail server that takes every message from the start."""
        return cls(refusing=False)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accept(self) -> None:
        self.refusing = False

    def recipient(self, address: str) -> bool:
        """Whether mail to `address` is taken now (counted either way)."""
        with self._lock:
            if self.refusing:
                self.refused[address] += 1
            return not self.refusing

    def received(self, recipients: list[str], data: bytes = b"") -> None:
        """A message taken for `recipients`: `data` is its text as DATA carried it, dot-stuffing undone."""
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self._lock:
            self.delivered.update(recipients)
            for address in recipients:
                self._messages.setdefault(address, []).append(message)

    def messages(self, address: str) -> list[Message]:
        """The messages taken for `address` (lower case), oldest first."""
        with self._lock:
            return list(self._messages.get(address.lower(), ()))

    def seen(self, address: str) -> str:
        with self._lock:
            return f"the mail server refused {self.refused[address]} and took {self.delivered[address]} messages to it"


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Session], mail: MailServer) -> None:
        super().__init__(address, handler)
        self.mail = mail


class _Session(socketserver.StreamRequestHandler):
    """One SMTP session, as much of RFC 5321 as Python's smtplib uses: EHLO, MAIL, RCPT, DATA, RSET, QUIT."""

    timeout = 30

    def say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        mail: MailServer = self.server.mail  # type: ignore[attr-defined]
        self.say("220 exercise mail server ready")
        recipients: list[str] = []
        while line := self.rfile.readline(4096):
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("HELO", "EHLO"):
                self.say("250 exercise")
            elif verb in ("MAIL", "RSET"):
                recipients = []
                self.say("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip().split(">")[0].lstrip("<").lower()
                if mail.recipient(address):
                    recipients.append(address)
                    self.say("250 OK")
                else:
                    self.say("451 4.3.0 mailbox unavailable for now: try again later")
            elif verb == "DATA" and recipients:
                self.say("354 end with <CRLF>.<CRLF>")
                data: list[bytes] = []
                while (text := self.rfile.readline(65536)) and text.rstrip(b"\r\n") != b".":
                    data.append(text[1:] if text.startswith(b"..") else text)  # RFC 5321 4.5.2: a dot doubled
                mail.received(recipients, b"".join(data))
                recipients = []
                self.say("250 OK")
            elif verb == "NOOP":
                self.say("250 OK")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:
                self.say("503 bad sequence of commands" if verb == "DATA" else "502 not implemented")


class Environment:
    """Nothing around the lab: only variables it is started with, beside those the harness gives it."""

    def __init__(self, **env: str) -> None:
        self.env = env

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@dataclass
class Start:
    """One start of the lab by a check: its process, its environment, and the file its output goes to."""

    label: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path
    began: float  # time.monotonic() when it was started
    ended: float | None = field(default=None)  # time.monotonic() when its exit was first seen

    @property
    def http_url(self) -> str:
        return f"http://{self.env['HOST']}:{self.env['HTTP_PORT']}"

    def output(self) -> str:
        """What it wrote so far, standard output and error together."""
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 12) -> str:
        """The last lines of its output on one line, for a failure's evidence."""
        last = self.output().strip().splitlines()[-lines:]
        return " | ".join(last) if last else "(it wrote nothing)"

    def exited(self) -> int | None:
        """Its exit status once it has exited, else None."""
        status = self.process.poll()
        if status is not None and self.ended is None:
            self.ended = time.monotonic()
        return status

    def wait_exit(self, seconds: float) -> int | None:
        """Its exit status, waiting up to `seconds` for it; None if it still runs then."""
        give_up = time.monotonic() + seconds
        while (status := self.exited()) is None and time.monotonic() < give_up:
            time.sleep(0.02)
        return status

    def wait_ready(self, seconds: float) -> bool:
        """Whether its HTTP port answers GET /healthz with 200 within `seconds` (False at once if it exits)."""
        give_up = time.monotonic() + seconds
        while self.exited() is None:
            if harness.http_ok(f"{self.http_url}/healthz"):
                return True
            if time.monotonic() > give_up:
                return False
            time.sleep(0.05)
        return False


class LabStarts:
    """The lab started again by the check, each time in an environment of the check's own (lab 7: how the lab
    starts, and what it refuses to start with, is the exercise).

    The runner says which lab, started from which folder (`place`), before it enters this. Each start
    gets what the harness gives a lab (HOST, free ports, an empty .env file, a BROKER_PREFIX and a
    NOTIFIER_DB of its own, a random JWT_SECRET), then the check's variables, then loses those the
    check names in `without`. Its output goes to a file of its own (`logs`), which the runner deletes
    when the check passes and names when it fails. Leaving stops every start still running, by its
    PID, and deletes what each declared on the broker.
    """

    def __init__(self) -> None:
        self.module = ""
        self.cwd = harness.ROOT
        self.logs: list[Path] = []
        self._starts: list[Start] = []
        self._scratch = Path(tempfile.mkdtemp(prefix="microlabs-starts-"))
        self._cleanups: list[Callable[[], None]] = []  # each start's broker names and notifier record
        self.env: dict[str, str] = {}  # nothing for the runner's own start of the lab

    def place(self, module: str, cwd: Path) -> None:
        self.module, self.cwd = module, cwd

    def __enter__(self) -> Self:
        return self

    def file(self, name: str, text: str) -> Path:
        """A file for a start to read (a mounted secret, say), readable by this user only; gone when the check ends."""
        path = self._scratch / name
        path.write_text(text)
        path.chmod(0o600)
        return path

    def missing(self, name: str) -> Path:
        """The path of a file that is not there."""
        return self._scratch / "missing" / name

    def start(self, label: str, env: dict[str, str], without: Iterable[str] = ()) -> Start:
        """Start ``python -m <lab>`` with `env`, without the variables `without` names; do not wait."""
        number = len(self._starts) + 1
        own: dict[str, str] = {}  # a BROKER_PREFIX and a NOTIFIER_DB of its own, as the harness gives a lab
        self._cleanups += harness.scratch_broker_and_record(self.module, own, env)
        chosen = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **{name: str(harness.free_port()) for name in ("HTTP_PORT", "GRPC_PORT", "NOTIFIER_HTTP_PORT")},
            "JWT_SECRET": os.environ.get("JWT_SECRET") or secrets.token_urlsafe(48),
            "ENV_FILE": str(harness.empty_env_file()),
            **own,
            **env,
        }
        for name in without:
            chosen.pop(name, None)
        log_dir = Path(os.environ.get("LAB_LOG_DIR", tempfile.gettempdir()))
        log_dir.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        fd, log = tempfile.mkstemp(prefix=f"{self.module}.start-{number}-{slug}-", suffix=".log", dir=log_dir)
        with open(fd, "wb") as out:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", self.module], cwd=self.cwd, env=chosen, stdout=out, stderr=subprocess.STDOUT
            )
        started = Start(label, process, chosen, Path(log), time.monotonic())
        self._starts.append(started)
        self.logs.append(started.log)
        return started

    def stop(self, start: Start) -> int:
        """SIGTERM to its PID, as a deployer stops it (killed if it hangs); its exit status."""
        return harness.stop_process(start.process)

    def __exit__(self, *exc: object) -> None:
        for start in self._starts:
            self.stop(start)
        while self._cleanups:
            self._cleanups.pop()()
        shutil.rmtree(self._scratch, ignore_errors=True)


class SilentServer:
    """A TCP server on a free port that accepts every connection and never says a word (nor closes it):
    a database whose machine is up but whose server hangs. `first_connection` is when it first accepted
    one (time.monotonic()), None until then."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.1)  # so that the accepting thread sees `_closing` soon
        self.port: int = self._listener.getsockname()[1]
        self.first_connection: float | None = None
        self._accepted: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent server", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            if self.first_connection is None:
                self.first_connection = time.monotonic()
            self._accepted.append(connection)

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._thread.join(5)
        self._listener.close()
        for connection in self._accepted:
            with contextlib.suppress(OSError):
                connection.close()

"""What a check runs around a lab (see runner.py's `surrounded_by`): a broker it can cut, a mail server.

From lab 5 on the lab talks to things beyond its ports, and a few exercises are about what happens
there: the broker going away, the email the notifier sends. The check starts them before the lab,
points the lab at them through its environment (`env`), and controls or reads them meanwhile:

- `BrokerLink`: the machine's RabbitMQ behind a proxy the check can cut (lab 5's exercise 2, lab
  6's exercise 2).
- `MailServer`: the SMTP server the notifier sends to, which refuses mail until told to accept it
  (lab 5's exercise 3) or accepts it from the start, keeping every message (lab 6's exercise 3).

Neither looks inside the lab: what a check judges is still what the lab's ports answer, or what it
sent out.
"""

from __future__ import annotations

import email
import email.policy
import os
import socketserver
import threading
from collections import Counter
from email.message import Message
from typing import Self
from urllib.parse import urlsplit, urlunsplit

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

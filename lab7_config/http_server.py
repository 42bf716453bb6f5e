"""Serve the Flask app with Gunicorn: one worker process, a pool of threads, a clean stop.

Gunicorn runs a small master process that binds the port and supervises one worker process;
the worker holds the app, the store (made before the fork, it lives on in the worker) and the
lab's other components, and answers requests on a pool of threads (the ``gthread`` worker). One
worker, because the store lives in memory: a second worker would hold a second, different set of
users. The components start in the worker, after the fork: a library such as grpcio must not be
started in a process that forks afterwards.

What this module adds to a plain ``gunicorn -w 1 -k gthread``, each for a reason in the README:

- a connection gets a thread only once its request head (request line and headers) has fully
  arrived; until then the main loop collects it, so idle clients, and clients that send their
  headers a byte at a time, hold a buffer, not one of the few threads; a body that stops arriving
  ends its request after 10 s (408); a closing connection lingers in the main loop, never
  blocking it;
- a request body declared larger than the limit is refused (413) before it is read, without a
  ``100 Continue``; errors Gunicorn writes itself (a bad request line, headers too large, a bad
  chunk) are problem+json like the app's;
- Ctrl-C stops gracefully like SIGTERM; during that drain a second Ctrl-C stops at once with
  exit status 1, and a second SIGTERM changes nothing.

Lab 4: a request to upgrade to WebSocket (``Upgrade: websocket``) is not given a thread of the
pool, which it would hold for as long as the connection lasts: once its head has arrived, the
connection goes to the WebSocket server (ws_server.py), which serves it as a greenlet.

Lab 6: a method the lab does not serve is answered 405 before the app (each method would be a
series of the request metrics of its own); Gunicorn's own messages go through the lab's logging.

Lab 7: SIGHUP re-reads the settings and applies LOG_LEVEL in the master, the worker and the
notifier child, in place (logs.reload). Gunicorn's own SIGHUP would start a new worker and stop
the old one, and with it every user of the in-memory store: the lab never does that.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import resource
import selectors
import signal
import socket
import sys
import time
from functools import partial
from typing import Any, Protocol, runtime_checkable

import gunicorn.glogging
import gunicorn.http
import gunicorn.util
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.http.errors import ParseException
from gunicorn.http.message import Request
from gunicorn.workers.gthread import _DEFER, TConn, ThreadWorker
from werkzeug.exceptions import ClientDisconnected

from . import logs
from .lifecycle import Lifecycle, StartError
from .rest_errors import problem
from .settings import Settings
from .ws_server import WebSocketServer

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# Seconds a connection may stay open without completing a request head (idle, or trickling).
IDLE_SECONDS = 15
# Seconds a request's body may go without a byte arriving: a stalled client gives its thread back.
BODY_STALL_SECONDS = 10
# Seconds a closing connection waits for the client's own close, so the last answer is not cut off.
LINGER_SECONDS = 2
# Connections open at once; each idle one costs a buffer and a file descriptor.
MAX_CONNECTIONS = 1000
# Seconds the server stops accepting when it has no file descriptor (or memory) left for a connection.
ACCEPT_PAUSE_SECONDS = 0.5
# A request head larger than this is refused with 431.
MAX_HEAD_BYTES = 64 * 1024
# How much of a request an error that the server writes itself quotes back.
MAX_DETAIL_CHARACTERS = 200
# Lab 6: the methods the lab serves; any other is answered 405 before it reaches the app and its metrics.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# A WebSocket handshake: a GET of /ws asking to upgrade the connection to WebSocket, without a body.
WEBSOCKET_PATH = re.compile(rb"GET /ws[?# ]")
UPGRADE = re.compile(rb"^upgrade:[ \t]*websocket[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
CONNECTION_UPGRADE = re.compile(rb"^connection:[^\n]*\bupgrade\b", re.IGNORECASE | re.MULTILINE)
# A query string, quoted in a message: from its "?" to the next space or quote.
QUERY = re.compile(r"\?[^\s'\"]*")
BODY = re.compile(rb"^(content-length|transfer-encoding):", re.IGNORECASE | re.MULTILINE)


def serve(
    app: Flask,
    settings: Settings,
    lifecycle: Lifecycle,
    listener: socket.socket,
    websockets: WebSocketServer | None,
    service: str = "users",
) -> int:
    """Serve on `listener` until stopped; the exit status: 0 after a graceful stop, 1 after a forced one
    or a component that could not start.

    `service` ("users" or "notifier") is whose settings a SIGHUP re-reads (lab 7).
    """
    logging.getLogger("gunicorn.error").addFilter(_queries_hidden)
    server = _Server(app, settings, lifecycle, listener, websockets, service)
    arbiter = _Arbiter(server)
    try:
        arbiter.run()  # ends with SystemExit from Gunicorn's halt
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


def _queries_hidden(record: logging.LogRecord) -> bool:
    """Gunicorn quotes a request line it cannot parse, and its query string may hold a token (a
    WebSocket's ?token=): the log keeps the path, never the query."""
    record.msg, record.args = QUERY.sub("?...", record.getMessage()), None
    return True


def write_problem(sock: socket.socket, status: int, reason: str, detail: str, header: str = "") -> None:
    """Answer with a problem+json document and close: the connection cannot be trusted for another request.

    `header`, when given, is one more header line (lab 6: a 405's "Allow: ...").
    """
    detail = detail or reason
    if len(detail) > MAX_DETAIL_CHARACTERS:
        detail = f"{detail[:MAX_DETAIL_CHARACTERS]}... ({len(detail)} characters)"
    body = json.dumps({"type": "about:blank", "title": reason, "status": status, "detail": detail})
    extra = f"{header}\r\n" if header else ""
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, (head + body).encode("latin-1", "replace"))


class _Server(BaseApplication):
    """Gunicorn's configuration for this lab, and the app it serves."""

    def __init__(
        self,
        app: Flask,
        settings: Settings,
        lifecycle: Lifecycle,
        listener: socket.socket,
        websockets: WebSocketServer | None,
        service: str,
    ) -> None:
        self.application = app
        self.settings = settings
        self.service = service
        self.lifecycle = lifecycle
        self.listener = listener
        self.websockets = websockets
        # A body that breaks HTTP's framing (a bad chunk) is found while the app reads it: the client's fault.
        app.register_error_handler(ParseException, _malformed_body)
        app.register_error_handler(ClientDisconnected, _stalled_body)
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": [f"fd://{self.listener.fileno()}"],
            "workers": 1,
            "worker_class": _Worker,
            "threads": self.settings.http_threads,
            # The grace period covers the worker's own drain; the master waits one second more.
            "graceful_timeout": int(self.settings.grace_seconds) + 1,
            "keepalive": IDLE_SECONDS,
            "worker_connections": _max_connections(),
            # Lab 6: Gunicorn's own messages go through the lab's logging (ECS JSON lines); each request
            # is logged by the app (rest_observe.py), with its trace id, instead of Gunicorn's access log.
            "logger_class": _Logs,
            "proc_name": self.application.import_name.split(".")[0],
            "control_socket_disable": True,
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.application


def _malformed_body(exc: ParseException) -> Any:
    return problem(400, "Bad Request", f"the body is malformed: {exc}")


def _stalled_body(exc: ClientDisconnected) -> Any:
    return problem(408, "Request Timeout", f"the body stopped arriving for {BODY_STALL_SECONDS} s")


class _Logs(gunicorn.glogging.Logger):
    """Lab 6: Gunicorn's messages pass to the lab's handler (logs.py), so that every line has one format."""

    def setup(self, cfg: Any) -> None:
        self.error_log.propagate = True
        # No level of its own: it follows the root logger's (LOG_LEVEL), after a SIGHUP too (logs.reload).
        self.error_log.setLevel(logging.NOTSET)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Requests are logged by the app, with their trace id (rest_observe.py)."""


class _Arbiter(Arbiter):
    """Gunicorn's master, with Ctrl-C as graceful as SIGTERM and a forced stop reported as exit status 1,
    and (lab 7) SIGHUP reloading LOG_LEVEL instead of the worker."""

    forced = False
    app: _Server

    def handle_hup(self) -> None:
        """Apply LOG_LEVEL here, then pass the SIGHUP on to the worker; never Gunicorn's reload.

        Gunicorn's reload replaces the worker, and the users of the in-memory store with it. This
        runs in the main loop (Gunicorn's handler only queues the signal on SIG_QUEUE and wakes the
        loop), where logging is safe.
        """
        self.app.settings = logs.reload(self.app.settings, self.app.service)
        self.kill_workers(signal.SIGHUP)

    def handle_int(self) -> None:
        self.log.info("Ctrl-C: stopping gracefully (press Ctrl-C again to stop at once)")
        self.handle_term()

    def kill_workers(self, sig: int) -> None:
        if sig == signal.SIGQUIT:  # Gunicorn's quick shutdown: a second Ctrl-C during the drain
            self.forced = True
        super().kill_workers(sig)

    def halt(self, reason: str | None = None, exit_status: int = 0) -> None:
        try:
            super().halt(reason, exit_status)  # stops the worker, then exits
        except SystemExit:
            # Lab 7: a component that cannot start (StartError, said on stderr) is a failed start too.
            if self.forced or exit_status == self.WORKER_BOOT_ERROR:
                raise SystemExit(1) from None
            raise


class _Worker(ThreadWorker):
    """The gthread worker, which also starts and stops the lab's other components."""

    app: _Server

    def init_process(self) -> None:
        gunicorn.util.write_error = write_problem  # Gunicorn's own error pages, as problem+json
        try:
            self.app.lifecycle.start()  # in the worker, after the fork
        except StartError as exc:  # lab 7: one line naming the setting (the database's), as before the fork
            print(f"{__package__}: {exc}", file=sys.stderr, flush=True)
            sys.exit(Arbiter.WORKER_BOOT_ERROR)  # the master stops too, with exit status 1
        log.info("ready: http://%s", self.app.settings.address(self.sockets[0].getsockname()[1]))
        super().init_process()  # serves until stopped

    def init_signals(self) -> None:
        super().init_signals()
        # Ctrl-C reaches every process of the terminal's group: the worker drains, as on SIGTERM.
        signal.signal(signal.SIGINT, self.handle_exit)
        # Lab 7: Gunicorn leaves SIGHUP at its default in the worker, which ends the process.
        signal.signal(signal.SIGHUP, self.handle_hup)
        signal.siginterrupt(signal.SIGHUP, False)

    def handle_hup(self, sig: int, frame: object) -> None:
        """Lab 7: the reload runs in the main loop, as Gunicorn's own handle_exit wakes it: the handler
        only queues it (a queue and a pipe, no lock), since logging here could deadlock."""
        self.method_queue.defer(self._reload)

    def _reload(self) -> None:
        """Apply LOG_LEVEL here, quietly (the master has just said what it found), then in the components
        that follow a SIGHUP: the notifier child."""
        self.app.settings = logs.reload(self.app.settings, self.app.service, report=False)
        for component in self.app.lifecycle.components:
            if isinstance(component, Reloadable):
                component.reload()

    def handle_exit(self, sig: int, frame: object) -> None:
        self.app.lifecycle.begin_stop()  # every component stops taking work at the same moment as HTTP
        super().handle_exit(sig, frame)

    def handle_quit(self, sig: int, frame: object) -> None:
        """Stop at once (the master's quick shutdown): threads still reading or writing are abandoned."""
        os._exit(1)

    def run(self) -> None:
        try:
            super().run()  # returns once HTTP has drained (at most the grace period)
        finally:
            self.app.lifecycle.stop()

    def accept(self, listener: socket.socket) -> None:
        """A new connection waits in the main loop for its first request head, not in a thread."""
        try:
            sock, client = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        except OSError as exc:  # out of file descriptors or memory: refuse this one, keep serving
            self._pause_accepting(exc)
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, sock, client, listener.getsockname())
        conn.parser = gunicorn.http.get_parser(self.cfg, sock, client)
        self._collect_head(conn)

    _accept_paused_until = 0.0

    def _pause_accepting(self, exc: OSError) -> None:
        """Stop accepting for a moment: the listener stays readable, and retrying at once would spin."""
        now = time.monotonic()
        if now >= self._accept_paused_until:  # one line per pause, not one per attempt
            log.warning("cannot accept connections for %.1f s: %s", ACCEPT_PAUSE_SECONDS, exc.strerror)
        self._accept_paused_until = now + ACCEPT_PAUSE_SECONDS
        self.set_accept_enabled(False)

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and time.monotonic() < self._accept_paused_until:
            return  # still paused; the main loop asks again at least once a second
        super().set_accept_enabled(enabled)

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection's next request head is collected the same way."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._collect_head(conn)

    def _collect_head(self, conn: TConn) -> None:
        conn.head = bytearray()
        conn.timeout = time.monotonic() + IDLE_SECONDS
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))

    def _read_head(self, conn: TConn, client: socket.socket) -> None:
        """Read what has arrived; once the head is complete, hand the connection to a thread."""
        try:
            data = conn.sock.recv(MAX_HEAD_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        conn.head += data
        complete = b"\r\n\r\n" in conn.head or b"\n\n" in conn.head
        too_large = len(conn.head) > MAX_HEAD_BYTES
        if data and not complete and not too_large:
            return  # wait for more, at most until conn.timeout
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)
        if not data or not complete or too_large:
            if data:
                write_problem(conn.sock, 431, "Request Header Fields Too Large", "the request head is too large")
            self.nr_conns -= 1
            conn.close()
            return
        if self.app.websockets is not None and is_websocket_handshake(bytes(conn.head)):
            self._upgrade(conn)
            return
        conn.parser.unreader.unread(bytes(conn.head))
        conn.data_ready = True
        self.enqueue_req(conn)

    def _upgrade(self, conn: TConn) -> None:
        """Lab 4: hand a WebSocket upgrade to the WebSocket server; 503 when it has no room left."""
        self.nr_conns -= 1  # from now on the WebSocket server counts it
        conn.data_ready = True
        if not self.app.websockets.adopt(conn, bytes(conn.head), self.handle):
            limit = self.app.websockets.limit
            log.warning("refused a WebSocket connection: %d are open, or the server is stopping", limit)
            write_problem(conn.sock, 503, "Service Unavailable", "no room for another WebSocket connection now")
            conn.close()

    def finish_request(self, conn: TConn, fs: Any) -> None:
        """A connection that ends lingers in the main loop, not in a blocking wait that would stall it."""
        try:
            result = fs.result() if not fs.cancelled() else False
        except Exception:
            result = False
        if result is _DEFER or result:
            super().finish_request(conn, fs)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)  # our side is done: the client sees the end of the answer
            conn.sock.setblocking(False)
        except OSError:
            self.nr_conns -= 1
            conn.close()
            return
        conn.timeout = time.monotonic() + LINGER_SECONDS  # Gunicorn's murder_pending closes it then
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._linger, conn))

    def _linger(self, conn: TConn, client: socket.socket) -> None:
        """Discard what the client still sends; close once it closes too."""
        try:
            if conn.sock.recv(65536):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)
        self.nr_conns -= 1
        conn.close()

    def handle_request(self, req: Request, conn: Any) -> bool:
        if req.method not in METHODS:  # lab 6: a made-up method would be a label value, and a series, of its own
            log.info("refused the method %s (405)", req.method)
            allowed = ", ".join(METHODS)
            detail = f"the method must be one of {allowed}"
            write_problem(conn.sock, 405, "Method Not Allowed", detail, f"Allow: {allowed}")
            return False
        declared = _content_length(req)
        limit = self.app.settings.max_body_bytes
        if declared is not None and declared > limit:
            log.warning("refused a body of %d bytes before reading it (the limit is %d)", declared, limit)
            write_problem(conn.sock, 413, "Content Too Large", f"the body is larger than {limit} bytes")
            return False  # close: the body was never read
        conn.sock.settimeout(BODY_STALL_SECONDS)  # a body that stops arriving ends the request (408)
        return super().handle_request(req, conn)


@runtime_checkable
class Reloadable(Protocol):
    """Lab 7: a component that follows a SIGHUP (the notifier child: it re-reads its own settings)."""

    def reload(self) -> None:
        """Apply what may change without a restart; return at once."""


def is_websocket_handshake(received: bytes) -> bool:
    """Lab 4: whether the first request head received is a WebSocket handshake for /ws.

    Only those go to the WebSocket server: any other request, with or without an Upgrade header,
    is served by the pool as usual (the WebSocket server's thread must only ever wait, never work).
    """
    head = re.split(rb"\r?\n\r?\n", received, maxsplit=1)[0]
    upgrade = UPGRADE.search(head) and CONNECTION_UPGRADE.search(head)
    return bool(WEBSOCKET_PATH.match(head) and upgrade and not BODY.search(head))


def _content_length(req: Request) -> int | None:
    for name, value in req.headers:
        if name == "CONTENT-LENGTH" and value.isdigit():
            return int(value)
    return None


def listen(settings: Settings, variable: str = "HTTP_PORT", alone: bool = False) -> socket.socket:
    """Bind the port `variable` names (lab 5: the notifier's is NOTIFIER_HTTP_PORT) now, in the master,
    and, unless the service starts `alone`, check that every other port of the lab is free.

    Binding here turns a taken port into one clear line instead of a retry loop and a traceback.
    """
    for other, port in settings.ports_started_together().items():
        if other != variable and not alone:
            _bind(settings, other, port).close()
    listener = _bind(settings, variable, settings.ports()[variable])
    listener.listen(2048)
    listener.set_inheritable(True)  # Gunicorn's worker inherits it through the fork
    return listener


def _bind(settings: Settings, variable: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, port))
    except OSError as exc:
        sock.close()
        where = settings.address(port)
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            hint = "use an address of this machine"
            raise StartError(f"HOST={settings.host}: cannot listen on {where} ({exc.strerror}); {hint}") from None
        raise StartError(f"{variable}={port}: cannot listen on {where} ({exc.strerror}); choose another port") from None
    return sock


def _max_connections() -> int:
    """MAX_CONNECTIONS, or fewer where the process may not open that many files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else max(16, min(MAX_CONNECTIONS, soft - 64))

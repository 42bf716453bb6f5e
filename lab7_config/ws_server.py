"""Hold every WebSocket connection in one thread of its own, as greenlets: thousands at a small cost each.

HTTP requests are short: Gunicorn's gthread worker gives each one a thread from a small pool
and takes it back. A WebSocket connection lasts minutes or hours, and flask-sock serves it the
way it serves a request: its handler runs for as long as the connection is open. With a thread
per connection (two, with simple-websocket's reader) 5,000 clients are 10,000 threads: the
README's measurements show connecting them takes 25 s and a busy room stalls. So the HTTP
server hands each upgrade request, once its head has arrived, to this component: one thread
running a gevent hub, where each connection is a greenlet (a few kilobytes, switched in
microseconds). Nothing else is monkey-patched: HTTP, gRPC and password hashing keep their
threads; only the sockets of WebSocket connections are gevent's.

In that thread, code must not block on anything but a gevent socket, queue or event: a call that
blocks the thread (a long computation, a lock held elsewhere for long) pauses every connection.
"""

from __future__ import annotations

import contextlib
import logging
import resource
import socket
import threading
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event
import gevent.lock
import gevent.socket
import gunicorn.http
from gunicorn.workers.gthread import TConn

from .chat import Allowance, Hub
from .settings import Settings

log = logging.getLogger(__name__)

# What serves one connection: Gunicorn's own request handling (the worker's `handle`).
Handle = Callable[[TConn], Any]


class Connection:
    """A connection's socket as simple-websocket and the chat see it.

    - `send` sends everything, one sender at a time. simple-websocket ignores what `send` returns:
      a blocking socket sends all anyway, but a gevent socket may send part of a large frame and
      return. Two greenlets write to a connection (its writer sends messages, its reader answers
      pings and closes): the lock keeps their frames whole.
    - `recv` counts the frames the client sends (pings and fragments too, which the message
      allowance never sees) and ends the connection of a client that sends too many: each costs the
      one thread every connection shares.
    """

    def __init__(self, sock: socket.socket, frames_per_second: float) -> None:
        self._sock = sock
        self._lock = gevent.lock.Semaphore()
        self._frames = FrameCounter()
        self._allowance = Allowance(frames_per_second, 5 * frames_per_second)
        self.violation = ""  # why the connection was cut here, once it has been

    def send(self, data: bytes) -> int:
        with self._lock:
            sent = self._sock.send(data)  # usually all of it, in one call; gevent's sendall costs more
            if sent < len(data):
                self._sock.sendall(memoryview(data)[sent:])
        return len(data)

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        for _ in range(self._frames.feed(data)):
            if not self._allowance.take():
                rate = self._allowance.rate
                self.violation = f"sent more than {rate:g} frames a second (pings and fragments count)"
                raise ConnectionAbortedError(self.violation)  # simple-websocket's reader ends the connection
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class FrameCounter:
    """Counts the frames in the bytes a client sends, from their headers alone (RFC 6455, 5.2)."""

    def __init__(self) -> None:
        self._head = b""
        self._skip = 0  # payload bytes of the current frame still to come

    def feed(self, data: bytes) -> int:
        """The number of frames whose header ends in `data`."""
        frames, i = 0, 0
        while i < len(data):
            if self._skip:
                step = min(self._skip, len(data) - i)
                self._skip, i = self._skip - step, i + step
                continue
            need = _header_size(self._head)
            while len(self._head) < need and i < len(data):
                take = need - len(self._head)
                self._head, i = self._head + data[i : i + take], i + take
                need = _header_size(self._head)
            if len(self._head) < need:
                break
            frames += 1
            self._skip, self._head = _payload_size(self._head), b""
        return frames


def _header_size(head: bytes) -> int:
    """How long a frame's header is, as far as `head` (its first bytes) tells."""
    if len(head) < 2:
        return 2
    extended = {126: 2, 127: 8}.get(head[1] & 0x7F, 0)
    return 2 + extended + (4 if head[1] & 0x80 else 0)


def _payload_size(head: bytes) -> int:
    length = head[1] & 0x7F
    if length == 126:
        return int.from_bytes(head[2:4], "big")
    if length == 127:
        return int.from_bytes(head[2:10], "big")
    return length


def connection_limit(settings: Settings, reserved_files: int) -> int:
    """How many WebSocket connections the process can hold: `ws_max_connections`, or fewer file descriptors allow.

    Each connection is a file descriptor. The soft limit is raised to the hard one (a process may);
    what is left after the HTTP server's `reserved_files` is the WebSocket server's.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft == resource.RLIM_INFINITY:
        return settings.ws_max_connections
    return max(0, min(settings.ws_max_connections, soft - reserved_files))


class Greenlet(gevent.Greenlet):
    """simple-websocket's reader, as a greenlet: it makes its background task with ``thread_class(target=...)``."""

    def __init__(self, target: Callable[[], None]) -> None:
        super().__init__(target)


class ReadableWithin:
    """simple-websocket's keepalive wait ("is the socket readable within t seconds?") as one gevent wait.

    gevent's general GeventSelector does the same with more machinery, and adds milliseconds to every message.
    """

    def register(self, sock: socket.socket, events: int, data: object) -> None:
        self._fileno = sock.fileno()

    def select(self, timeout: float | None = None) -> list[bool]:
        try:
            gevent.socket.wait_read(self._fileno, timeout)
        except TimeoutError:
            return []
        return [True]

    def close(self) -> None:
        pass


# flask-sock passes these to simple-websocket's Server: its reader, its wake-up event and its
# keepalive wait become cooperative, so they run in the hub's thread like the handler.
GREEN_OPTIONS = {
    "thread_class": Greenlet,
    "event_class": gevent.event.Event,
    "selector_class": ReadableWithin,
}


class WebSocketServer:
    """The lab's WebSocket component: adopts upgraded connections and serves them in its own thread."""

    name = "WebSocket server"

    def __init__(self, settings: Settings, hub: Hub, reserved_files: int) -> None:
        self.settings = settings
        self.hub = hub
        self.reserved_files = reserved_files  # file descriptors the HTTP server may need
        self.limit = settings.ws_max_connections
        self._thread = threading.Thread(target=self._run, name="websockets", daemon=True)
        self._loop: Any = None
        self._ready = threading.Event()
        self._stopping = False
        self._open = 0  # connections adopted and not yet ended
        self._count_lock = threading.Lock()
        self._done: gevent.event.Event | None = None

    def start(self) -> None:
        self.limit = connection_limit(self.settings, self.reserved_files)
        self._thread.start()
        self._ready.wait()
        if self.limit < self.settings.ws_max_connections:
            log.warning("only %d WebSocket connections: the process may open few files (ulimit -n)", self.limit)
        log.info("WebSocket server ready: up to %d connections", self.limit)

    def begin_stop(self, grace: float) -> None:
        """Refuse new connections; tell every open one the server is going away (close 1001)."""
        self._stopping = True
        if self._loop is not None:
            self._loop.run_callback_threadsafe(self._close_all)

    def wait_stopped(self, timeout: float) -> None:
        self._thread.join(timeout)

    def adopt(self, conn: TConn, head: bytes, handle: Handle) -> bool:
        """Serve `conn`, whose request `head` has arrived, in the hub's thread; False when there is no room for it.

        Called from the HTTP server's main loop: it must return at once.
        """
        with self._count_lock:
            if self._stopping or self._loop is None or self._open >= self.limit:
                return False
            self._open += 1
        self._loop.run_callback_threadsafe(gevent.spawn, self._serve, conn, head, handle)
        return True

    def _run(self) -> None:
        hub = gevent.get_hub()  # this thread's own gevent hub
        self._loop = hub.loop
        self._done = gevent.event.Event()
        self._ready.set()
        # Run the hub until the last connection has ended after begin_stop. The timeout keeps the
        # hub's loop alive while no connection is open (without it gevent says it would block forever).
        while not self._done.wait(timeout=1.0):
            pass

    def _serve(self, conn: TConn, head: bytes, handle: Handle) -> None:
        """Move the connection onto a gevent socket and let Gunicorn and flask-sock serve it."""
        raw = conn.sock
        try:
            green = gevent.socket.socket(raw.family, raw.type, raw.proto, fileno=raw.detach())
            conn.sock = green
            conn.parser = gunicorn.http.get_parser(conn.cfg, green, conn.client)
            conn.parser.unreader.unread(head)
            handle(conn)  # runs the Flask app: the /ws route's handler returns when the connection ends
        except Exception:
            log.exception("a WebSocket connection failed")
        finally:
            self._close(conn.sock)
            with self._count_lock:
                self._open -= 1
                last = self._stopping and self._open == 0
            if last and self._done is not None:
                self._done.set()

    def _close_all(self) -> None:
        self.hub.close_all(1001, "the server is stopping")
        with self._count_lock:
            idle = self._open == 0
        if idle and self._done is not None:
            self._done.set()

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.close()

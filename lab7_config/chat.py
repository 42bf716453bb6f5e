"""Rooms and the relay: who is in which room, and how a message reaches the others.

A text message goes to every other member of its room inside a JSON envelope (type, room,
sender, name, time, text); a binary message goes to them byte for byte, as a binary frame; a
member joining or leaving is announced the same way as text. Nothing is echoed to its sender.

A message is framed once for the whole room (RFC 6455 masks only the frames clients send, and the
lab offers no compression, so every member gets the same bytes). Each member has an outbox of
bounded size and a writer of its own, so the relay only queues: a slow client's outbox fills while
the rest of the room goes on. A client that falls behind (`ws_queue_messages` messages or
`ws_queue_bytes` bytes), or sends more, or larger messages, than it may, is dropped with a close
code and a log line that says why. Everything here runs in the WebSocket server's thread (ws_server.py),
where each connection is a greenlet: the rooms need no lock, because a greenlet only gives way
to another when it waits on a socket or a queue.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections import defaultdict, deque
from datetime import UTC, datetime
from typing import Protocol

import gevent
from gevent.queue import Full, Queue
from prometheus_client import CollectorRegistry
from wsproto.frame_protocol import FrameProtocol

from .metrics import UsersMetrics
from .settings import Settings

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008  # the close code for a client that breaks the rules (too fast, too slow)
MESSAGE_TOO_BIG = 1009
SECONDS_TO_SAY_GOODBYE = 1.0  # how long a dropped client's close frame may take before the socket is cut
_END = b""  # tells a writer to stop
_FRAMES = FrameProtocol(client=False, extensions=[])  # frames whole messages; used in the hub's thread only


class Socket(Protocol):
    """What the hub needs of a WebSocket connection (simple-websocket's Server, or a test's stand-in)."""

    connected: bool
    sock: socket.socket  # where framed messages are written

    def close(self, reason: int | None = None, message: str | None = None) -> None: ...


def frame(message: str | bytes) -> bytes:
    """One WebSocket frame holding the whole message: text for str, binary for bytes."""
    return bytes(_FRAMES.send_data(message, fin=True))


class Allowance:
    """A token bucket: `rate` messages a second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Member:
    """One open connection in one room: who it is, and its own outbox and writer."""

    def __init__(self, ws: Socket, user_id: str, name: str, room: str, settings: Settings) -> None:
        self.ws = ws
        self.user_id = user_id
        self.name = name
        self.room = room
        self.allowance = Allowance(settings.ws_messages_per_second, 2 * settings.ws_messages_per_second)
        self.outbox: Queue = Queue(maxsize=settings.ws_queue_messages)
        self.queued_bytes = 0
        self.max_queued_bytes = settings.ws_queue_bytes
        self.dropped = ""  # why the hub dropped this member, once it has
        self._writer = gevent.spawn(self._write)

    def offer(self, framed: bytes) -> bool:
        """Queue a framed message for this member; False when its outbox is full (it is not reading)."""
        if self.queued_bytes + len(framed) > self.max_queued_bytes:
            return False
        try:
            self.outbox.put_nowait(framed)
        except Full:
            return False
        self.queued_bytes += len(framed)
        return True

    def _write(self) -> None:
        """Send queued frames in order; a send that fails (or takes too long) ends the connection."""
        for framed in self.outbox:
            if framed is _END or not self.ws.connected:
                return
            try:
                self.ws.sock.send(framed)
            except OSError as exc:
                self.dropped = self.dropped or f"could not send to it: {exc or type(exc).__name__}"
                _cut(self.ws)
                return
            self.queued_bytes -= len(framed)

    def end(self) -> None:
        """Stop the writer once it has sent what is queued, or at once when the outbox is full."""
        try:
            self.outbox.put_nowait(_END)
        except Full:
            self._writer.kill(block=False)

    def drop(self, code: int, reason: str) -> None:
        """Close with `code` (the client may not read it: it gets a second to), and say why in the log."""
        self.dropped = reason
        log.warning("dropped user %s from room %r: %s (close %d)", self.user_id, self.room, reason, code)
        self._writer.kill(block=False)
        gevent.spawn(self.close, code, reason)

    def close(self, code: int, reason: str) -> None:
        """Send a close frame (for a second at most), then shut the socket."""
        with gevent.Timeout(SECONDS_TO_SAY_GOODBYE, False), contextlib.suppress(Exception):
            self.ws.close(code, reason)
        _cut(self.ws)


class Hub:
    """The rooms of the lab's WebSocket server."""

    def __init__(self, settings: Settings, metrics: UsersMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or UsersMetrics(CollectorRegistry())  # lab 6: connections and messages
        self.rooms: dict[str, set[Member]] = defaultdict(set)
        self._per_user: dict[str, int] = defaultdict(int)
        self._to_drop: deque[tuple[Member, int, str]] = deque()

    def has_room_for(self, user_id: str) -> bool:
        """Whether `user_id` may open another connection."""
        return self._per_user[user_id] < self.settings.ws_connections_per_user

    def join(self, ws: Socket, user_id: str, name: str, room: str) -> Member:
        member = Member(ws, user_id, name, room, self.settings)
        self.rooms[room].add(member)
        self._per_user[user_id] += 1
        self.metrics.websocket_connections.inc()
        self._announce(member, "join")
        log.info("user %s joined room %r (%d members)", user_id, room, len(self.rooms[room]))
        return member

    def leave(self, member: Member, why: str) -> None:
        members = self.rooms.get(member.room)
        if members is None or member not in members:
            return
        members.discard(member)
        if not members:
            del self.rooms[member.room]
        self._per_user[member.user_id] -= 1
        if not self._per_user[member.user_id]:
            del self._per_user[member.user_id]
        self.metrics.websocket_connections.dec()
        member.end()
        log.info("user %s left room %r: %s", member.user_id, member.room, member.dropped or why)
        self._announce(member, "leave")

    def relay(self, sender: Member, message: str | bytes) -> None:
        """Pass a message to every other member of the sender's room (text in its envelope, binary as it is)."""
        kind = "text" if isinstance(message, str) else "binary"
        self.metrics.websocket_messages.labels("in", kind).inc()  # lab 6
        limit = self.settings.ws_max_message_bytes
        if isinstance(message, str) and len(message.encode()) > limit:  # simple-websocket counts characters
            self.drop(sender, MESSAGE_TOO_BIG, f"sent a message larger than {limit} bytes")
            return
        # >>> lab 4 · Hub.relay: over allowance: drop(sender, 1008, "sent more than N messages a second"); else relay
        if not sender.allowance.take():
            limit = self.settings.ws_messages_per_second
            self.drop(sender, POLICY_VIOLATION, f"sent more than {limit:g} messages a second")
            return
        if isinstance(message, str):
            message = self._envelope(sender, "message", text=message)
        self._fan_out(sender, frame(message))
        # <<< lab 4
        others = len(self.rooms.get(sender.room, ())) - 1
        self.metrics.websocket_messages.labels("out", kind).inc(max(0, others))  # lab 6: one per member it went to

    def drop(self, member: Member, code: int, reason: str) -> None:
        """Close `member` and take it out of its room.

        Its leave notice may fill other outboxes and drop those members in turn: they wait in a
        queue and are dropped one after another, never by recursion (a cascade can be long).
        """
        if member.dropped:
            return
        member.dropped = reason
        self._to_drop.append((member, code, reason))
        if len(self._to_drop) > 1:
            return  # an earlier drop is working through the queue
        while self._to_drop:
            dropped, dropped_code, why = self._to_drop[0]
            dropped.drop(dropped_code, why)
            self.leave(dropped, why)
            self._to_drop.popleft()

    def close_all(self, code: int, reason: str) -> None:
        """Close every connection (the server is stopping); each handler then ends as its client answers."""
        for members in list(self.rooms.values()):
            for member in list(members):
                gevent.spawn(member.close, code, reason)

    def _announce(self, member: Member, kind: str) -> None:
        self._fan_out(member, frame(self._envelope(member, kind)))

    def _fan_out(self, sender: Member, framed: bytes) -> None:
        """Queue a frame for every other member of the sender's room; one that is not reading is dropped."""
        # >>> lab 4 · Hub._fan_out: offer it to each other member (loop over a copy); full: drop(m, 1008, "not reading")
        for member in list(self.rooms.get(sender.room, ())):
            if member is not sender and not member.offer(framed):
                waiting = f"{member.outbox.qsize()} messages, {member.queued_bytes} bytes"
                self.drop(member, POLICY_VIOLATION, f"not reading: {waiting} were waiting for it")
        # <<< lab 4

    def _envelope(self, sender: Member, kind: str, **fields: str) -> str:
        envelope = {
            "type": kind,
            "room": sender.room,
            "sender": sender.user_id,
            "name": sender.name,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **fields,
        }
        if kind in ("join", "leave"):
            envelope["members"] = len(self.rooms.get(sender.room, ()))
        return json.dumps(envelope, ensure_ascii=False)


def _cut(ws: Socket) -> None:
    """Shut the connection's socket, which ends its reader (and so its handler) at once."""
    sock = getattr(ws, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    event = getattr(ws, "event", None)
    if event is not None:
        event.set()  # wakes a handler waiting in receive()

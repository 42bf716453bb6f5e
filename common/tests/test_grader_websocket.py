"""Lab 4's chat is graded: each WebSocket requirement catches the bug it is about and nothing else, every
wait is bounded, and the chat's requirements belong to lab 4 only.

A whole minimal chat would need lab 3's users, passwords and tokens first, so the broken variants
are copies of the reference lab, each with one bug a student might write patched into its hub
(chat.py), started from a folder of their own. (TinyChat, below, is a chat without lab 3: the
checks that only relay run against it with users of its own.) Only the WebSocket
requirements are graded, in this process: the REST and gRPC ones never reach the hub, and lab 4's
generated gRPC code cannot be imported beside lab 2's, which test_grader.py loads (one proto file
name per process).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import queue
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from common import harness
from common.grader.addresses import Addresses
from common.grader.checks import websocket as ws
from common.grader.context import Context
from common.grader.evidence import CheckFailed, Exchange
from common.grader.labs import LABS, resolve
from common.grader.registry import builtin
from common.grader.rest_client import RestClient
from common.grader.results import RunResult
from common.grader.runner import grade

LAB = "lab4_websocket"
TIMEOUT = 0.5  # seconds: the request timeout of the checks' helpers here, so that a wait shows at once


def chat_requirements() -> list:
    lab = resolve(LAB)
    return [req for req in builtin(lab.protocols, lab.features) if req.feature == "websocket"]


def context(url: str) -> Context:
    return Context(TIMEOUT, RestClient(url, TIMEOUT))


# --- which labs, which requirements ---------------------------------------------------------------


def test_labs_from_4_on_are_graded_on_the_chat_at_their_rest_address():
    chat = {req.id for req in chat_requirements()}
    assert len(chat) == 18 and all(req.protocol == "rest" for req in chat_requirements())
    for lab in LABS:
        graded = {req.id for req in builtin(lab.protocols, lab.features)}
        has_chat = int(lab.number[3:]) >= 4
        assert (chat <= graded) == has_chat, lab.name
        assert not (chat & graded) or has_chat, lab.name


def test_list_shows_the_chat_requirements_of_lab4():
    result = subprocess.run(
        [sys.executable, "-m", "common.grader", "list", "lab4"], cwd=harness.ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "WS-TEXT" in result.stdout and "AUTH-GRPC-LOGIN" in result.stdout and "REST-CREATE" in result.stdout


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws?room=a"),
        ("https://example.org/student", "wss://example.org/student/ws?room=a"),
    ],
)
def test_the_websocket_address_follows_the_rest_address(base, url):
    assert ws.ws_url(context(base), "room=a") == url


# --- the envelope ----------------------------------------------------------------------------------

ADA = ws.Chatter("7", "Ada 1a2b", "token")
ENVELOPE = {
    "type": "message",
    "room": "r",
    "sender": "7",
    "name": "Ada 1a2b",
    "time": "2025-01-31T12:00:00.123+00:00",
    "text": "hi",
}


def test_the_contracts_envelope_passes():
    for time_text in ("2025-01-31T12:00:00.123+00:00", "2025-01-31T12:00:00Z"):
        frame = json.dumps({**ENVELOPE, "time": time_text})
        ws.expect_envelope(frame, "message", "r", ADA, Exchange("sent", frame), text="hi")


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (json.dumps({**ENVELOPE, "sender": 7}), "'sender' should be '7' \\(the user's id, as a string\\)"),
        (json.dumps({**ENVELOPE, "time": "2025-01-31T14:00:00+02:00"}), "in UTC"),
        (json.dumps({**ENVELOPE, "time": "yesterday"}), "in UTC"),
        (json.dumps({**ENVELOPE, "type": "msg"}), "'type' should be 'message'"),
        (json.dumps({**ENVELOPE, "text": "hello"}), "'text' should be 'hi'"),
        (json.dumps(ENVELOPE).encode(), "as a text frame, not a binary one"),
        ("hi", "should be a JSON object"),
    ],
    ids=["numeric-sender", "not-utc", "not-a-time", "type", "text", "binary", "not-json"],
)
def test_an_envelope_that_breaks_the_contract_fails(frame, says):
    with pytest.raises(CheckFailed, match=says):
        ws.expect_envelope(frame, "message", "r", ADA, Exchange("sent", "got"), text="hi")


# --- every wait is bounded -------------------------------------------------------------------------


def say_nothing(connection: ServerConnection) -> None:
    """Read everything (so sends never block), answer nothing, never close."""
    for _ in connection:
        pass


def announce_forever(connection: ServerConnection) -> None:
    """Send join notices of room r without end: frames a check reads past."""
    with contextlib.suppress(Exception):
        while True:
            connection.send(json.dumps({"type": "join", "room": "r", "members": 2}))


@contextmanager
def chat_server(handler, **options) -> Iterator[str]:
    """A WebSocket server on 127.0.0.1 that accepts every handshake and runs `handler`; yields its http:// URL."""
    with serve(handler, "127.0.0.1", 0, **options) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
        finally:
            server.shutdown()


@contextmanager
def tcp_server(serve_one) -> Iterator[str]:
    """A TCP listener on 127.0.0.1 whose connections `serve_one(connection)` handles; yields its http:// URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)
            serve_one(connection)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for connection in held:
            connection.close()


def upgrade_and_stop_reading(connection: socket.socket) -> None:
    """Answer the opening handshake with 101, then never read again (the client's sends pile up)."""
    head = b""
    while b"\r\n\r\n" not in head:
        head += connection.recv(4096)
    key = next(
        line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key")
    )
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    connection.sendall(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def seconds(action) -> float:
    began = time.monotonic()
    action()
    return time.monotonic() - began


def test_a_handshake_nobody_answers_fails_after_one_timeout():
    with tcp_server(lambda connection: None) as url:
        ctx = context(url)
        with pytest.raises(CheckFailed, match=f"no answer to the handshake within {TIMEOUT:g} s"):
            ws.join(ctx, ADA, "r")


def test_a_frame_that_never_comes_and_a_close_that_never_comes_fail_after_one_timeout():
    with chat_server(say_nothing) as url:
        ctx = context(url)
        with ws.join(ctx, ADA, "r") as connection:

            def wait_for_a_frame() -> None:
                with pytest.raises(CheckFailed, match=f"Bob should answer: nothing arrived within {TIMEOUT:g} s"):
                    ws.next_message(connection, ctx, "r", "Ada said hi", "Bob should answer")

            def wait_for_a_close() -> None:
                with pytest.raises(CheckFailed, match="should close the connection with 1009; it was still open"):
                    ws.expect_close(connection, ctx, 1009, "a big message", "a message over 1 MiB")

            assert seconds(wait_for_a_frame) < TIMEOUT + 1
            assert seconds(wait_for_a_close) < TIMEOUT + 1


def test_a_flood_of_frames_to_read_past_does_not_hold_a_wait_past_its_timeout():
    with chat_server(announce_forever) as url:
        ctx = context(url)
        with ws.join(ctx, ADA, "r") as connection:

            def wait_through_the_flood() -> None:
                with pytest.raises(CheckFailed, match="nothing arrived within"):
                    ws.next_message(connection, ctx, "r", "Ada said hi", "Bob should answer")

            assert seconds(wait_through_the_flood) < TIMEOUT + 1


def test_a_send_the_server_never_reads_fails_after_one_timeout():
    with tcp_server(upgrade_and_stop_reading) as url:
        ctx = context(url)
        messages = [bytes(ws.MAX_MESSAGE)] * 64  # more than any socket buffers hold
        with ws.join(ctx, ADA, "r") as connection:

            def send_into_a_full_buffer() -> None:
                with pytest.raises(CheckFailed, match=f"did not take the messages within {TIMEOUT:g} s"):
                    ws.send_all(connection, messages, ctx, "64 MiB to a server that stopped reading")

            assert seconds(send_into_a_full_buffer) < TIMEOUT + 1


def test_a_close_frame_is_read_even_when_the_server_cuts_the_connection_under_the_clients_sends():
    """The server closes with 1008 and cuts the connection while the client is still sending (lab 4 does so
    when a flood goes over the allowance): the client's next writes fail, and the 1008, already in the
    client's receive buffer, must still reach the check. Here the client's reader is kept from reading
    (its flow-control lock is held) until the writes have failed, as a busy machine may delay it."""
    say_hi, cut, was_cut = threading.Event(), threading.Event(), threading.Event()
    reason = b"sent more than 20 messages a second"

    def close_and_cut(connection: socket.socket) -> None:
        upgrade_and_stop_reading(connection)
        if say_hi.wait(10 * TIMEOUT):
            connection.sendall(bytes([0x81, 2]) + b"hi")
        if cut.wait(10 * TIMEOUT):
            payload = (1008).to_bytes(2, "big") + reason
            connection.sendall(bytes([0x88, len(payload)]) + payload)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()  # at once, with a reset: what the client sends next fails
        was_cut.set()

    sent = "Ada sent 3 messages at once"
    with tcp_server(close_and_cut) as url:
        ctx = context(url)
        with ws.join(ctx, ADA, "r") as connection:
            reader = connection.recv_flow_control  # held: the client's reader reads nothing more from the socket
            reader.acquire()
            try:
                say_hi.set()
                assert connection.recv(timeout=10 * TIMEOUT) == "hi"  # read: the reader now waits for the lock
                cut.set()
                assert was_cut.wait(10 * TIMEOUT)
                assert ws.send_all(connection, ["flood"] * 3, ctx, sent, may_close=True) is False
            finally:
                reader.release()
            ws.expect_close(connection, ctx, 1008, sent, "a flood")


# --- frames of types the contract does not know, and a close right after the upgrade -----------------


class TinyChat:
    """A chat after the contract in a few lines (rooms, the envelope, notices, no echo), with frames of its own.

    Like a lab with the exercises done, it greets each newcomer with a `members` frame first, and
    sends the others of the room a `direct` frame before each message it relays: types the grader
    does not know and must read past. A client is a member of its room before its handshake's 101
    goes out (what the grader's checks count on), its frames queued in an outbox until its handler
    writes them. Its users are the chatters it makes (it stands in for ws.chatter: no REST, no lab 3).
    """

    def __init__(self) -> None:
        self.users: dict[str, ws.Chatter] = {}
        self.rooms: dict[str, dict[ServerConnection, queue.SimpleQueue]] = defaultdict(dict)
        self.lock = threading.Lock()

    def chatter(self, ctx: Context, name: str) -> ws.Chatter:
        who = ws.Chatter(str(len(self.users) + 1), f"{name} {ctx.token()}", f"token-{ctx.token()}")
        self.users[who.token] = who
        return who

    @staticmethod
    def room_of(connection: ServerConnection) -> str:
        return parse_qs(urlsplit(connection.request.path).query).get("room", ["lobby"])[0]

    def envelope(self, connection: ServerConnection, kind: str, **fields: object) -> str:
        who = self.users[connection.request.headers["Authorization"].removeprefix("Bearer ")]
        moment = datetime.now(UTC).isoformat(timespec="milliseconds")
        return json.dumps(
            {"type": kind, "room": self.room_of(connection), "sender": who.user_id, "name": who.name, "time": moment}
            | fields
        )

    def to_others(self, connection: ServerConnection, *frames: str | bytes) -> None:
        with self.lock:
            for member, outbox in self.rooms[self.room_of(connection)].items():
                for each in frames if member is not connection else ():
                    outbox.put(each)

    def admit(self, connection: ServerConnection, request, response) -> None:
        """Before the 101 goes out: a member of its room, its first frame the room's members."""
        outbox: queue.SimpleQueue = queue.SimpleQueue()
        room = self.room_of(connection)
        outbox.put(json.dumps({"type": "members", "room": room, "members": []}))
        with self.lock:
            self.rooms[room][connection] = outbox
            members = len(self.rooms[room])
        self.to_others(connection, self.envelope(connection, "join", members=members))

    @staticmethod
    def write(connection: ServerConnection, outbox: queue.SimpleQueue) -> None:
        with contextlib.suppress(ConnectionClosed):
            for each in iter(outbox.get, None):
                connection.send(each)

    def handle(self, connection: ServerConnection) -> None:
        room = self.room_of(connection)
        outbox = self.rooms[room][connection]
        writer = threading.Thread(target=self.write, args=(connection, outbox), daemon=True)
        writer.start()
        try:
            for message in connection:
                relayed = message if isinstance(message, bytes) else self.envelope(connection, "message", text=message)
                self.to_others(connection, self.envelope(connection, "direct", to="0", text="psst"), relayed)
        finally:
            with self.lock:
                del self.rooms[room][connection]
                members = len(self.rooms[room])
            outbox.put(None)
            self.to_others(connection, self.envelope(connection, "leave", members=members))
            writer.join()


@pytest.fixture
def tiny_chat(monkeypatch) -> Iterator[str]:
    """A TinyChat's http:// URL; the checks' users are its own."""
    chat = TinyChat()
    monkeypatch.setattr(ws, "chatter", chat.chatter)
    with chat_server(chat.handle, process_response=chat.admit) as url:
        yield url


@pytest.mark.parametrize(
    "check",
    [ws.text_relay, ws.binary_relay, ws.no_echo, ws.rooms_apart, ws.many_clients, ws.join_and_leave],
    ids=["WS-TEXT", "WS-BINARY", "WS-NO-ECHO", "WS-ROOMS", "WS-MANY-CLIENTS", "WS-JOIN-LEAVE"],
)
def test_frames_of_types_the_contract_does_not_know_are_read_past(tiny_chat, check):
    check(context(tiny_chat))


def test_a_frame_of_another_room_is_never_read_past_whatever_its_type():
    def members_of_another_room_first(connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "members", "room": "elsewhere", "members": []}))
        connection.send(json.dumps({"type": "members", "room": "r", "members": []}))
        say_nothing(connection)

    with chat_server(members_of_another_room_first) as url:
        ctx = context(url)
        with ws.join(ctx, ADA, "r") as connection:
            frame = ws.next_relayed(connection, ctx, "r", "Ada joined room r", "waiting for a message")
            assert ws.field(frame, "room") == "elsewhere"


def test_a_wait_that_read_past_frames_shows_the_last_one():
    def only_a_mistyped_envelope(connection: ServerConnection) -> None:
        connection.send(json.dumps({**ENVELOPE, "type": "msg"}))
        say_nothing(connection)

    with chat_server(only_a_mistyped_envelope) as url:
        ctx = context(url)
        with ws.join(ctx, ADA, "r") as connection, pytest.raises(CheckFailed) as failed:
            ws.next_relayed(connection, ctx, "r", "Ada said hi", "Bob should answer")
    assert failed.value.exchange is not None
    assert "read past 1, the last a text frame" in failed.value.exchange.got and '"msg"' in failed.value.exchange.got


def test_a_connection_closed_right_after_the_upgrade_shows_the_servers_close_reason(monkeypatch):
    """A starter whose connect is not written: the 101, then at once a close 1011 that says so (and no pong)."""
    reason = "not written yet: lab 4 · connect"

    def upgrade_and_close(connection: socket.socket) -> None:
        upgrade_and_stop_reading(connection)
        payload = (1011).to_bytes(2, "big") + reason.encode()
        connection.sendall(bytes([0x88, len(payload)]) + payload)
        time.sleep(TIMEOUT / 2)  # the client reads the close, answers it; then the TCP connection ends
        connection.close()

    monkeypatch.setattr(ws, "chatter", lambda ctx, name: ADA)
    with (
        tcp_server(upgrade_and_close) as url,
        pytest.raises(CheckFailed, match="closed right after the upgrade") as failed,
    ):
        ws.connects(context(url))
    assert failed.value.exchange is not None
    assert failed.value.exchange.got == f"close 1011 ({reason})"


# --- broken variants of the reference lab -----------------------------------------------------------

# Each variant: the replacements made in a copy of lab4_websocket/chat.py, the requirements that must
# fail, and those that must be skipped because they depend on one that failed. Nothing else may be lost.
AS_TEXT = 'message if isinstance(message, str) else str(message, "utf-8", "replace")'
VARIANTS = {
    # Relays to the whole room, the sender included: its messages come back, and so does its own join notice.
    "echo-to-sender": ([("member is not sender and ", "")], {"WS-NO-ECHO", "WS-JOIN-LEAVE"}, set()),
    # Decodes a binary message and sends it on as text.
    "binary-as-text": (
        [
            (
                "self._fan_out(sender, frame(message))",
                f"self._fan_out(sender, frame({AS_TEXT}))",
            )
        ],
        {"WS-BINARY"},
        {"WS-NO-ECHO", "WS-ROOMS", "WS-TOO-BIG-1009"},
    ),
    # One room for everybody: what is said (or announced) in any room reaches every client.
    "rooms-ignored": (
        [
            (
                "for member in list(self.rooms.get(sender.room, ())):",
                "for member in [each for members in list(self.rooms.values()) for each in members]:",
            )
        ],
        {"WS-ROOMS"},
        set(),
    ),
    # Not a bug: frames of types the contract does not know (an exercise's members and direct) are read past.
    "unknown-types": (
        [
            (
                'self._announce(member, "join")',
                'member.offer(frame(json.dumps({"type": "members", "room": room, "members": []})))\n'
                '        self._announce(member, "join")',
            ),
            (
                "self._fan_out(sender, frame(message))",
                'self._fan_out(sender, frame(json.dumps({"type": "direct", "room": sender.room, "to": "0"})))\n'
                "        self._fan_out(sender, frame(message))",
            ),
        ],
        set(),
        set(),
    ),
}


def broken_copy(folder: Path, replacements: list[tuple[str, str]]) -> Path:
    """A copy of lab 4 in `folder` whose chat.py has each old text replaced by the new one."""
    shutil.copytree(harness.ROOT / LAB, folder / LAB, ignore=shutil.ignore_patterns("__pycache__", "tests", "bench"))
    chat = folder / LAB / "chat.py"
    text = chat.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, f"{LAB}/chat.py no longer holds {old!r} once: update this variant"
        text = text.replace(old, new)
    chat.write_text(text)
    return folder


def grade_chat(url: str) -> RunResult:
    """The WebSocket requirements only, at the REST address (gRPC is not graded here: see the docstring)."""
    return grade(resolve(LAB), Addresses(rest_url=url), chat_requirements(), unreachable={"grpc": "not graded here"})


def describe(run: RunResult) -> str:
    return "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_broken_chat_loses_exactly_what_it_breaks(variant, tmp_path: Path):
    replacements, failed, skipped = VARIANTS[variant]
    with harness.running_in(LAB, broken_copy(tmp_path, replacements)) as lab:
        run = grade_chat(lab.http_url)
    assert run.by_status("fail") == failed, describe(run)
    assert run.by_status("skipped") == skipped, describe(run)
    assert run.by_status("error") == set(), describe(run)
    assert run.duration < 30

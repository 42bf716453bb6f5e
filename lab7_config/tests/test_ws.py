"""Lab 7's lesson through a real port: rooms relay text and binary, and bad clients are dropped, not obeyed.

Every test talks to a running lab over real WebSocket connections (the websockets library's
client, or a raw socket where a client must misbehave in a way no library allows). Each bad
client of the issue (no token, a bad token, an oversized frame, invalid UTF-8, a flood, clients
that vanish, a client that never reads) is a test: the others of its room keep being served, and
the lab's log says why the bad one was dropped.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from common import harness

from .conftest import LAB, register_and_login

PASSWORD = "password for chat tests"
WAIT = 10.0  # seconds any single expected event may take


def ws_url(base_url: str, room: str) -> str:
    return f"{base_url.replace('http://', 'ws://')}/ws?room={room}"


def login(base_url: str, name: str) -> str:
    """A fresh user's token."""
    return register_and_login(base_url, f"{name}-{secrets.token_hex(4)}@chat.example", PASSWORD, name)


def next_of(client: ClientConnection, kind: str) -> dict:
    """The next text message of `kind` ("message", "join", "leave"), skipping the others."""
    deadline = time.monotonic() + WAIT
    while True:
        data = client.recv(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(data, str) and json.loads(data)["type"] == kind:
            return json.loads(data)


def text_arrives(client: ClientConnection, text: str) -> bool:
    """Whether a message with `text` arrives (others before it are skipped)."""
    while True:
        if next_of(client, "message")["text"] == text:
            return True


def next_binary(client: ClientConnection) -> bytes:
    deadline = time.monotonic() + WAIT
    while True:
        data = client.recv(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(data, bytes):
            return data


def frames_until(client: ClientConnection, text: str) -> list[str | bytes]:
    """Every frame the client receives up to and including the message with `text`.

    A marker sent after the frames under test arrives after them (one relay, in order): what came
    before it is everything the client was sent, with no fixed wait for "nothing".
    """
    deadline = time.monotonic() + WAIT
    frames: list[str | bytes] = []
    while True:
        frames.append(client.recv(timeout=max(0.0, deadline - time.monotonic())))
        if isinstance(frames[-1], str) and json.loads(frames[-1]).get("text") == text:
            return frames


def closed_with(client: ClientConnection) -> int | None:
    """Read until the server closes the connection; its close code."""
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            client.recv(timeout=max(0.0, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the server did not close the connection")


def log_says(lab: harness.LabProcess, text: str) -> bool:
    """Wait (bounded) for `text` to appear in the lab's log."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if text in lab.log():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def chat(rest_url: str) -> Iterator[Callable[..., ClientConnection]]:
    """Open clients to the shared lab; all closed at the end of the test."""
    with ExitStack() as stack:

        def open_client(room: str, token: str | None = None, **options) -> ClientConnection:
            token = token or login(rest_url, "member")
            headers = {"Authorization": f"Bearer {token}"}
            client = connect(ws_url(rest_url, room), additional_headers=headers, open_timeout=WAIT, **options)
            return stack.enter_context(client)

        yield open_client


def room() -> str:
    return f"room-{secrets.token_hex(4)}"


def test_text_reaches_every_other_member_in_an_envelope(chat, rest_url: str) -> None:
    name = room()
    alice, bob, carol = chat(name, login(rest_url, "alice")), chat(name), chat(name)
    alice.send("hello, room")
    for other in (bob, carol):
        envelope = next_of(other, "message")
        assert envelope["text"] == "hello, room"
        assert envelope["room"] == name and envelope["name"] == "alice"
        assert envelope["sender"] and envelope["time"].endswith("+00:00")
    bob.send("marker")
    texts = [json.loads(frame).get("text") for frame in frames_until(alice, "marker")]
    assert "hello, room" not in texts, "a message is not echoed to its sender"


def test_binary_arrives_byte_identical_as_binary(chat) -> None:
    name = room()
    sender, receiver = chat(name), chat(name)
    payload = os.urandom(200_000)
    sender.send(payload)
    assert next_binary(receiver) == payload


def test_rooms_are_isolated(chat) -> None:
    here, there = room(), room()
    sender, neighbour, stranger = chat(here), chat(here), chat(there)
    sender.send("for this room only")
    sender.send(b"\x00binary for this room only")
    assert next_of(neighbour, "message")["text"] == "for this room only"
    assert next_binary(neighbour) == b"\x00binary for this room only"
    chat(there).send("marker")  # relayed after both of the other room's messages
    received = frames_until(stranger, "marker")
    assert not any(isinstance(frame, bytes) for frame in received)
    assert {json.loads(frame)["room"] for frame in received} == {there}


def test_join_and_leave_are_announced_to_the_others(chat, rest_url: str) -> None:
    name = room()
    first = chat(name)
    second = chat(name, login(rest_url, "second"))
    joined = next_of(first, "join")
    assert joined["name"] == "second" and joined["members"] == 2
    second.close()
    left = next_of(first, "leave")
    assert left["name"] == "second" and left["members"] == 1


def test_a_hundred_clients_of_one_room_all_receive(chat, rest_url: str) -> None:
    """More connections than the HTTP server has threads: each is a greenlet, and REST still answers."""
    name = room()
    tokens = [login(rest_url, "crowd") for _ in range(4)]  # at most 32 connections per user
    crowd = [chat(name, tokens[i // 30], max_queue=None) for i in range(100)]
    # With a pool thread per connection, 100 connections would hold all 8 and this would time out.
    assert requests.get(f"{rest_url}/healthz", timeout=5).status_code == 200
    crowd[0].send("to everyone")
    for member in crowd[1:]:
        assert next_of(member, "message")["text"] == "to everyone"


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "needs an access token"),
        ({"Authorization": "Bearer not-a-token"}, "malformed"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer <token>"),
    ],
)
def test_a_missing_or_bad_token_is_refused_before_the_upgrade(rest_url: str, headers: dict, why: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(rest_url, room()), additional_headers=headers, open_timeout=WAIT)
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert why in json.loads(response.body)["detail"]


def test_a_browser_sends_its_token_as_a_subprotocol(rest_url: str) -> None:
    token = login(rest_url, "browser")
    with connect(ws_url(rest_url, room()), subprotocols=["bearer", token], open_timeout=WAIT) as client:
        assert client.subprotocol == "bearer"


def test_a_deleted_users_token_opens_nothing(rest_url: str) -> None:
    email = f"gone-{secrets.token_hex(4)}@chat.example"
    token = register_and_login(rest_url, email, PASSWORD, "gone")
    user_id = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["sub"]  # the token's subject
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.delete(f"{rest_url}/users/{user_id}", headers=headers, timeout=5).status_code == 204
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(rest_url, room()), additional_headers=headers, open_timeout=WAIT)
    assert refused.value.response.status_code == 401


@pytest.mark.parametrize("name", ["bad!room", "x" * 65, ""])
def test_a_bad_room_name_is_refused_naming_the_field(rest_url: str, name: str) -> None:
    headers = {"Authorization": f"Bearer {login(rest_url, 'roomless')}"}
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(rest_url, name), additional_headers=headers, open_timeout=WAIT)
    assert refused.value.response.status_code == 422
    assert json.loads(refused.value.response.body)["errors"][0]["field"] == "room"


def test_plain_http_to_the_websocket_address_is_told_to_upgrade(rest_url: str) -> None:
    reply = requests.get(f"{rest_url}/ws", timeout=5)
    assert reply.status_code == 426
    assert reply.headers["Upgrade"] == "websocket"


def test_an_oversized_message_closes_with_1009_and_the_room_goes_on(chat, shared_lab) -> None:
    name = room()
    big, witness, sender = chat(name, max_size=None), chat(name), chat(name)
    big.send(b"x" * (1024 * 1024 + 1))
    assert closed_with(big) == 1009
    assert log_says(shared_lab, "larger than 1048576 bytes (close 1009)")
    sender.send("still here")
    assert next_of(witness, "message")["text"] == "still here"


def test_invalid_utf8_in_a_text_frame_closes_with_1007(chat, shared_lab) -> None:
    name = room()
    liar, witness, sender = chat(name), chat(name), chat(name)
    liar.send(b"\xff\xfe not utf-8", text=True)
    assert closed_with(liar) == 1007
    assert log_says(shared_lab, "breaks the protocol")
    sender.send("still here")
    assert next_of(witness, "message")["text"] == "still here"


def test_a_flood_from_one_client_closes_it_with_1008(chat, shared_lab) -> None:
    name = room()
    flooder, witness, sender = chat(name), chat(name, max_queue=None), chat(name)
    try:
        for i in range(200):
            flooder.send(f"flood {i}")
    except ConnectionClosed:
        pass
    assert closed_with(flooder) == 1008
    assert log_says(shared_lab, "sent more than 20 messages a second")
    sender.send("after the flood")
    assert text_arrives(witness, "after the flood")  # after the flood's first burst, which was relayed


def raw_client(base_url: str, name: str, token: str, receive_buffer: int | None = None) -> socket.socket:
    """A client that completes the handshake by hand, then does only what the test tells it to."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(WAIT)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws?room={name} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def test_twenty_clients_that_vanish_are_pruned(chat, rest_url: str, shared_lab) -> None:
    name = room()
    witness = chat(name, max_queue=None)
    token = login(rest_url, "ghost")
    ghosts = [raw_client(rest_url, name, token) for _ in range(20)]
    for _ in ghosts:
        next_of(witness, "join")
    for ghost in ghosts:
        ghost.close()  # no close frame: the connection just ends
    for _ in ghosts:
        next_of(witness, "leave")
    assert log_says(shared_lab, "the connection ended without a close frame")
    sender = chat(name)
    sender.send("the ghosts are gone")
    assert next_of(witness, "message")["text"] == "the ghosts are gone"


def test_a_client_that_never_reads_is_dropped_and_the_room_goes_on(chat, rest_url: str, shared_lab) -> None:
    name = room()
    sleeper = raw_client(rest_url, name, login(rest_url, "sleeper"), receive_buffer=4096)
    witness = chat(name, max_queue=None, max_size=None)
    senders = [chat(name, max_queue=None, max_size=None) for _ in range(10)]
    chunk = os.urandom(64 * 1024)
    dropped_at = None
    for round_ in range(35):  # 350 messages of 64 KiB within each sender's burst: far more than 256 waiting
        for sender in senders:
            sender.send(chunk)
        if "not reading" in shared_lab.log():
            dropped_at = round_
            break
    assert log_says(shared_lab, "were waiting for it (close 1008)"), dropped_at
    senders[0].send("the room goes on")
    assert next_of(witness, "message")["text"] == "the room goes on"
    sleeper.close()
    assert "Traceback" not in shared_lab.log()


def test_many_clients_that_never_read_are_dropped_one_after_another(chat, rest_url: str, shared_lab) -> None:
    """Each drop's leave notice fills the next sleeper's outbox: a cascade, handled without recursion or a crash."""
    name = room()
    sleepers = [raw_client(rest_url, name, login(rest_url, "sleeper"), receive_buffer=4096) for _ in range(40)]
    witness = chat(name, max_queue=None, max_size=None)
    senders = [chat(name, max_queue=None, max_size=None) for _ in range(2)]
    chunk = os.urandom(256 * 1024)
    for _ in range(40):  # 20 MiB, each sender within its burst: more than an outbox (8 MiB) and buffers hold
        for sender in senders:
            sender.send(chunk)
    for _ in sleepers:
        next_of(witness, "leave")
    senders[0].send("everyone left is still here")
    assert text_arrives(witness, "everyone left is still here")
    assert "Traceback" not in shared_lab.log()
    for sleeper in sleepers:
        sleeper.close()


def test_a_text_over_the_limit_in_bytes_closes_with_1009(chat) -> None:
    """The limit is in bytes: a million four-byte emoji is 4 MiB, though it is a million characters."""
    name = room()
    big, witness, sender = chat(name), chat(name, max_size=None), chat(name)
    big.send("\U0001f600" * (1024 * 1024 // 4 + 1))
    assert closed_with(big) == 1009
    sender.send("still here")
    assert text_arrives(witness, "still here")


def test_a_flood_of_pings_is_cut(chat, shared_lab) -> None:
    """Pings never reach the relay's allowance, but each costs the thread every connection shares."""
    flooder = chat(room())
    try:
        for _ in range(1000):
            flooder.ping()
    except ConnectionClosed:
        pass
    with pytest.raises(ConnectionClosed):
        flooder.recv(timeout=WAIT)
    assert log_says(shared_lab, "frames a second (pings and fragments count)")


def test_a_handshake_for_another_address_is_refused_by_the_pool(rest_url: str) -> None:
    """Only GET /ws handshakes reach the WebSocket server; an Upgrade header elsewhere is a bad request."""
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    reply = requests.get(f"{rest_url}/healthz", headers=upgrade, timeout=5)
    assert reply.status_code == 400 and "only /ws speaks WebSocket" in reply.json()["detail"]
    login_body = {"email": "nobody@chat.example", "password": PASSWORD}
    reply = requests.post(f"{rest_url}/auth/login", json=login_body, headers=upgrade, timeout=5)
    assert reply.status_code == 400


@pytest.mark.parametrize(
    ("request_line", "key"),
    [
        ("GET /ws HTTP/1.0", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("GET /ws HTTP/1.1", "!!!notbase64!!!"),
        ("GET /ws HTTP/1.1", "YQ=="),
    ],
)
def test_a_handshake_that_breaks_rfc_6455_is_400(rest_url: str, request_line: str, key: str) -> None:
    host, port = rest_url.removeprefix("http://").rsplit(":", 1)
    token = login(rest_url, "sloppy")
    with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
        sock.sendall(
            f"{request_line}\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        )
        assert sock.recv(64).split(b"\r\n")[0].split(b" ")[1] == b"400"


def test_one_user_cannot_take_every_connection(chat, rest_url: str) -> None:
    token = login(rest_url, "greedy")
    for _ in range(32):
        chat(room(), token)
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(rest_url, room()), additional_headers={"Authorization": f"Bearer {token}"})
    assert refused.value.response.status_code == 429


@pytest.fixture
def few_files_lab(tmp_path) -> Iterator[harness.LabProcess]:
    """A lab that may open 1,200 files: the HTTP server keeps 1,100, so 100 are left for WebSocket connections."""
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\nulimit -n 1200\nexec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    lab = harness.start(LAB, python=str(python))
    try:
        yield lab
    finally:
        lab.stop()


def test_websocket_connections_stop_where_file_descriptors_run_out(few_files_lab: harness.LabProcess) -> None:
    url = few_files_lab.http_url
    tokens = [login(url, "many") for _ in range(4)]
    with ExitStack() as stack:
        for i in range(100):
            headers = {"Authorization": f"Bearer {tokens[i // 30]}"}
            # max_queue=None: these clients never read, and a paused reader would leave each close
            # frame unread behind the join notices, every close waiting out its 10 s timeout.
            client = connect(ws_url(url, "full"), additional_headers=headers, open_timeout=WAIT, max_queue=None)
            stack.enter_context(client)
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(url, "full"), additional_headers={"Authorization": f"Bearer {tokens[3]}"})
        assert refused.value.response.status_code == 503
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
    assert "only 100 WebSocket connections" in few_files_lab.log()


@pytest.fixture
def quick_ping_lab() -> Iterator[harness.LabProcess]:
    """A lab of its own that pings every second."""
    with harness.running(LAB, {"WS_PING_SECONDS": "1"}) as lab:
        yield lab


def test_a_client_that_does_not_answer_pings_is_dropped(quick_ping_lab: harness.LabProcess) -> None:
    url = quick_ping_lab.http_url
    silent = raw_client(url, "quiet", login(url, "silent"))
    with connect(ws_url(url, "quiet"), additional_headers={"Authorization": f"Bearer {login(url, 'awake')}"}) as awake:
        assert next_of(awake, "leave")["name"] == "silent"  # within about two ping intervals
        assert log_says(quick_ping_lab, "did not answer a ping within 1 s")
        assert awake.protocol.state.name == "OPEN", "a client that answers the pings stays"
    silent.close()


def test_stopping_the_lab_says_goodbye_with_1001(lab: harness.LabProcess) -> None:
    token = login(lab.http_url, "leaving")
    with connect(ws_url(lab.http_url, "last"), additional_headers={"Authorization": f"Bearer {token}"}) as client:
        lab.send_signal(15)
        assert closed_with(client) == 1001
    assert lab.stop() == 0


def test_a_token_in_a_request_line_gunicorn_refuses_is_not_logged(shared_lab) -> None:
    """Gunicorn logs a request line it cannot parse: a handshake's ?token= must not reach the log with it."""
    secret = secrets.token_hex(16)
    with socket.create_connection((shared_lab.host, int(shared_lab.env["HTTP_PORT"])), timeout=WAIT) as sock:
        sock.sendall(f"GET /ws?room=a&token={secret}\x01 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")
    assert log_says(shared_lab, "Invalid HTTP request line"), "Gunicorn logged the refusal"
    assert secret not in shared_lab.log()

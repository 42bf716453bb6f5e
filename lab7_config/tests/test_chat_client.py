"""The chat command as a real process: what it types reaches the room exactly, what the room says is printed.

Each test puts the client (``python -m <lab>.client ... chat``) in a room of the shared lab with a
WebSocket client of its own, and waits for events either side can observe (a join notice, a
printed line, the process's exit): every wait is bounded, none is a fixed sleep.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from websockets.sync.client import ClientConnection, connect

from common.grading import unique_email
from common.harness import ROOT, LabProcess, free_port

from .conftest import register_and_login

LAB = Path(__file__).resolve().parents[1].name
PASSWORD = "chat client password"
WAIT = 20.0  # seconds any one expected event may take (the client starts Python, gRPC and logs in first)


def ws_url(lab: LabProcess) -> str:
    return f"ws://{lab.host}:{lab.env['HTTP_PORT']}/ws"


def new_room() -> str:
    return f"cli-{secrets.token_hex(4)}"


class Lines:
    """The lines a stream of the process writes, collected by a thread so a test can wait for one."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._arrived: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._arrived.put(line.rstrip("\n"))
        self._arrived.put(None)  # the stream ended

    def expect(self, wanted: str) -> str:
        """The next line that contains `wanted`; fails after WAIT seconds or when the stream ends."""
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._arrived.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if wanted in line:
                return line
        pytest.fail(f"no line with {wanted!r} within {WAIT:.0f} s; the lines so far: {self.seen}")

    def rest(self) -> list[str]:
        """Every line, once the stream has ended (the process has exited)."""
        while (line := self._arrived.get(timeout=WAIT)) is not None:
            self.seen.append(line)
        return self.seen


class Chat:
    """A running chat client: type lines into it, wait for what it prints, end its input."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        assert process.stdin and process.stdout and process.stderr
        self.stdin = process.stdin
        self.out = Lines(process.stdout)
        self.err = Lines(process.stderr)

    def type(self, line: str) -> None:
        self.stdin.write(line + "\n")
        self.stdin.flush()

    def end_input(self) -> None:
        self.stdin.close()

    def exit_status(self) -> int:
        return self.process.wait(timeout=WAIT)


def command(lab: LabProcess, *args: str) -> list[str]:
    return [sys.executable, "-m", f"{LAB}.client", "--target", lab.grpc_target, *args]


@contextmanager
def chat_process(lab: LabProcess, email: str, room: str) -> Iterator[Chat]:
    """The client logged in as `email`, in `room`; killed by its PID if a test leaves it running."""
    args = command(lab, "--email", email, "--password", PASSWORD, "chat", "--room", room, "--url", ws_url(lab))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    ctrl_c_as_in_a_terminal()
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, text=True, encoding="utf-8", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield Chat(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT)


def ctrl_c_as_in_a_terminal() -> None:
    """Let the client hear SIGINT as a terminal's Ctrl-C: a command a shell runs in the background ignores
    SIGINT, and a child inherits that. A handler (unlike an ignored signal) is not inherited past exec."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@contextmanager
def member(lab: LabProcess, token: str, room: str) -> Iterator[ClientConnection]:
    """The test's own WebSocket client in `room`."""
    url = f"{ws_url(lab)}?room={room}"
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=WAIT) as ws:
        yield ws


def receive_json(ws: ClientConnection) -> dict:
    message = ws.recv(timeout=WAIT)
    assert isinstance(message, str), f"expected a text message, got {len(message)} bytes"
    return json.loads(message)


def user(lab: LabProcess, name: str) -> tuple[str, str]:
    """A new user's (email, token), registered and logged in over REST."""
    email = unique_email()
    return email, register_and_login(lab.http_url, email, PASSWORD, name)


def closed_normally(lab: LabProcess, user_id: str, room: str) -> bool:
    """Whether the lab logged that this user's connection ended with the client's close 1000."""
    left = [line for line in lab.log().splitlines() if f"user {user_id} left room {room!r}" in line]
    return any("(close 1000)" in line for line in left)


def test_typed_lines_and_a_file_reach_the_room_exactly_and_the_room_is_printed(shared_lab, tmp_path):
    room = new_room()
    bob_email, _ = user(shared_lab, "Bob Chat")
    _, alice_token = user(shared_lab, "Alice Chat")
    payload = os.urandom(200_000)  # random bytes, including every byte value a text would refuse
    (tmp_path / "random.bin").write_bytes(payload)
    with member(shared_lab, alice_token, room) as alice, chat_process(shared_lab, bob_email, room) as bob:
        joined = receive_json(alice)
        assert (joined["type"], joined["name"], joined["members"]) == ("join", "Bob Chat", 2)
        bob.err.expect("* in room")

        bob.type("hello, room")
        bob.type("unicode too: żółw ✓")
        bob.type(f"/file {tmp_path / 'random.bin'}")
        for text in ("hello, room", "unicode too: żółw ✓"):
            message = receive_json(alice)
            assert message["type"] == "message" and message["text"] == text
            assert (message["sender"], message["name"], message["room"]) == (joined["sender"], "Bob Chat", room)
        received = alice.recv(timeout=WAIT)
        assert isinstance(received, bytes) and received == payload
        bob.err.expect(f"* sent random.bin ({len(payload)} bytes)")

        alice.send("hi Bob")
        alice.send(b"\x00\xff" * 10)
        assert bob.out.expect("Alice Chat: ") == "Alice Chat: hi Bob"
        assert bob.out.expect("<binary") == "<binary, 20 bytes from the room>"

        bob.end_input()
        assert bob.exit_status() == 0
        left = receive_json(alice)
        assert (left["type"], left["sender"], left["members"]) == ("leave", joined["sender"], 1)
        assert closed_normally(shared_lab, joined["sender"], room), "the client did not close with 1000"
        assert not [line for line in bob.out.rest() if "hello, room" in line], "the sender got its own message"
        assert "Traceback" not in "\n".join(bob.err.rest())


def test_a_file_that_cannot_be_read_is_reported_and_the_chat_goes_on(shared_lab, tmp_path):
    room = new_room()
    bob_email, _ = user(shared_lab, "Bob File")
    _, alice_token = user(shared_lab, "Alice File")
    with member(shared_lab, alice_token, room) as alice, chat_process(shared_lab, bob_email, room) as bob:
        assert receive_json(alice)["type"] == "join"
        bob.type(f"/file {tmp_path / 'missing.bin'}")
        assert "missing.bin" in bob.err.expect("error: cannot read")
        bob.type("still here")
        assert receive_json(alice)["text"] == "still here"
        bob.end_input()
        assert bob.exit_status() == 0


def test_a_file_over_the_limit_ends_the_chat_with_1009_on_one_line(shared_lab, tmp_path):
    too_big = tmp_path / "too-big.bin"
    too_big.write_bytes(os.urandom(1024 * 1024 + 1))  # the lab's limit is 1 MiB
    email, _ = user(shared_lab, "Bob Too Big")
    with chat_process(shared_lab, email, new_room()) as bob:
        bob.err.expect("* in room")
        bob.type(f"/file {too_big}")  # the input stays open: the server, not the client, ends the chat
        assert bob.exit_status() == 1
        assert bob.err.expect("error:").startswith("error: the server ended the chat: 1009 (message too big)")
        assert "Traceback" not in "\n".join(bob.err.rest())


def test_ctrl_c_leaves_the_room_with_a_normal_close(shared_lab):
    room = new_room()
    bob_email, _ = user(shared_lab, "Bob Interrupted")
    _, alice_token = user(shared_lab, "Alice Watching")
    with member(shared_lab, alice_token, room) as alice, chat_process(shared_lab, bob_email, room) as bob:
        joined = receive_json(alice)
        bob.err.expect("* in room")  # printed once the client is waiting for the room
        bob.process.send_signal(signal.SIGINT)
        assert bob.exit_status() == 0
        assert receive_json(alice)["type"] == "leave"
        assert closed_normally(shared_lab, joined["sender"], room), "the client did not close with 1000"
        assert "Traceback" not in "\n".join(bob.err.rest())


def run_chat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"{LAB}.client", *args], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=WAIT * 3,
    )  # fmt: skip


def test_a_refused_token_is_one_line_and_exit_1(shared_lab):
    result = run_chat("--token", "not-a-token", "chat", "--room", new_room(), "--url", ws_url(shared_lab))
    assert result.returncode == 1
    assert result.stderr.startswith("error: HTTP 401: not logged in"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_a_refused_room_name_is_one_line_and_exit_1(shared_lab):
    email, _ = user(shared_lab, "Bad Room")
    login = ("--target", shared_lab.grpc_target, "--email", email, "--password", PASSWORD)
    result = run_chat(*login, "chat", "--room", "no spaces here", "--url", ws_url(shared_lab))
    assert result.returncode == 1
    assert result.stderr.startswith("error: HTTP 422:") and "room" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_no_server_is_one_line_and_exit_1():
    result = run_chat("--token", "x", "chat", "--url", f"ws://127.0.0.1:{free_port()}/ws")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot connect to ws://127.0.0.1:"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr

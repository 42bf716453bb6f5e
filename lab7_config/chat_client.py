"""The client's ``chat`` command: talk to a room of the lab's WebSocket server from a terminal.

    python -m lab7_config.client --email ada@example.com --password "a long password" chat --room lobby

It connects to ws://HOST:HTTP_PORT/ws?room=R (or --url) with the access token in an
``Authorization: Bearer`` header: unlike a browser, a program may set headers on the handshake.
Each line typed is sent as a text message; ``/file PATH`` sends the file's bytes as one binary
message. What the room says is printed on stdout as it arrives; the client's own notes and errors
go to stderr. End of input (Ctrl-D) or Ctrl-C leaves with a normal close (1000) and exit status 0.
A refused handshake (401, 422, ...) or a chat the server ends prints one line and exits 1.

Two threads: the main one prints what arrives, because Python delivers Ctrl-C to the main thread
and so interrupts its wait at once; a daemon thread reads the terminal and sends.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import CloseCode
from websockets.http11 import Response
from websockets.sync.client import ClientConnection, connect

from .settings import ws_url

FILE_COMMAND = "/file "
DEFAULT_ROOM = "lobby"
# The server relays messages of up to 1 MiB; a text that size, escaped in its JSON envelope, stays under this.
MAX_INCOMING_BYTES = 8 * 1024 * 1024

# What a refused handshake means to the person at the terminal; the server's detail follows it.
REFUSALS: dict[int, str] = {
    400: "not a valid WebSocket handshake",
    401: "not logged in (use --email and --password, or --token)",
    404: "no WebSocket endpoint at this address (see --url)",
    422: "the request was refused",
    426: "this address does not speak WebSocket (see --url)",
    429: "refused",
}


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``chat`` with the client's subcommands."""
    chat = commands.add_parser("chat", help="join a room: send each line typed, /file PATH sends a file")
    chat.add_argument("--room", default=DEFAULT_ROOM, help="1 to 64 of A-Z a-z 0-9 _ . - (default: %(default)s)")
    chat.add_argument("--url", default=ws_url(), help="the WebSocket endpoint (default: HOST:HTTP_PORT, %(default)s)")
    chat.add_argument(
        "--listen", type=float, default=0.0, metavar="SECONDS", help="after the input ends, keep listening this long"
    )


def run(url: str, room: str, token: str | None, timeout: float, lines: TextIO = sys.stdin, listen: float = 0.0) -> int:
    """Chat until the input ends, Ctrl-C, or the server ends it; the exit status."""
    try:
        ws = open_room(url, room, token, timeout)
    except InvalidStatus as refused:
        return fail(refusal_line(refused.response))
    except (OSError, WebSocketException) as exc:  # OSError includes TimeoutError: no answer within --timeout
        return fail(f"error: cannot connect to {url}: {exc}")
    except KeyboardInterrupt:
        return 0
    return converse(ws, room, lines, listen)


def open_room(url: str, room: str, token: str | None, timeout: float) -> ClientConnection:
    """Connect with the token as a header; the handshake must end within `timeout` seconds."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return connect(
        room_url(url, room), additional_headers=headers, open_timeout=timeout, max_size=MAX_INCOMING_BYTES, legacy=True
    )


def room_url(url: str, room: str) -> str:
    """`url` with ``room=<room>`` in its query (replacing any room it already names)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "room"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("room", room)])))


def converse(ws: ClientConnection, room: str, lines: TextIO, listen: float = 0.0) -> int:
    """Print what arrives while a daemon thread sends what is typed; 0 when we left, 1 when the server ended it."""
    leaving = threading.Event()
    try:
        keyboard = threading.Thread(target=send_lines, args=(ws, lines, leaving, listen), name="keyboard", daemon=True)
        keyboard.start()
        note(f"* in room {room}: type a line to send it, /file PATH to send a file; Ctrl-D or Ctrl-C leaves")
        while True:
            print(describe(ws.recv()), flush=True)
    except KeyboardInterrupt:
        leaving.set()
        ws.close()  # 1000: a normal close, not the 1011 the context manager would send for an exception
        return 0
    except ConnectionClosed as closed:
        return ending(closed, leaving.is_set())


def ending(closed: ConnectionClosed, leaving: bool) -> int:
    """0 when the server answered our close with 1000; otherwise 1, and a line saying how the chat ended.

    Leaving is not enough: a file over the server's limit, sent just before the input ends, is
    refused with 1009 while our close is on its way, and the person should hear of it.
    """
    frame = closed.rcvd
    if frame is None:
        return fail("error: the connection was lost (the server sent no close frame)")
    if leaving and frame.code == CloseCode.NORMAL_CLOSURE:
        return 0
    return fail(f"error: the server ended the chat: {frame}")


def send_lines(ws: ClientConnection, lines: TextIO, leaving: threading.Event, listen: float = 0.0) -> None:
    """Send each line until the input ends, listen `listen` seconds more, then leave with a normal close."""
    try:
        for line in lines:
            send_line(ws, line.rstrip("\r\n"))
    except ConnectionClosed:
        return  # the server ended the chat: the main thread says why
    leaving.wait(listen)  # the main thread goes on printing what arrives meanwhile
    leaving.set()
    ws.close()


def send_line(ws: ClientConnection, line: str) -> None:
    """A line is a text message, unless it is ``/file PATH``; empty lines are not sent."""
    if line.startswith(FILE_COMMAND):
        send_file(ws, line.removeprefix(FILE_COMMAND).strip())
    elif line:
        ws.send(line)


def send_file(ws: ClientConnection, name: str) -> None:
    """Send the file as one binary message; a file that cannot be read is reported, and the chat goes on."""
    path = Path(name).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        note(f"error: cannot read {name!r}: {exc.strerror or exc}")
        return
    ws.send(data)
    note(f"* sent {path.name} ({len(data)} bytes)")


def describe(message: str | bytes) -> str:
    """One line for what the room sent: ``name: text``, ``* name joined (N here)``, or a binary's size."""
    if isinstance(message, bytes):
        return f"<binary, {len(message)} bytes from the room>"
    try:
        event = json.loads(message)
    except ValueError:
        return message
    if not isinstance(event, dict):
        return message
    kind, name = event.get("type"), event.get("name", "?")
    if kind == "message":
        return f"{name}: {event.get('text', '')}"
    if kind in ("join", "leave"):
        verb = "joined" if kind == "join" else "left"
        return f"* {name} {verb} ({event.get('members', '?')} here)"
    return message


def refusal_line(response: Response) -> str:
    """One line for a refused handshake: the status, what it means, and the server's own words."""
    status = response.status_code
    hint = REFUSALS.get(status, "the server refused the connection")
    return f"error: HTTP {status}: {hint}: {problem_detail(response)}"


def problem_detail(response: Response) -> str:
    """The detail of a problem+json answer (and the fields it names), or the status's reason phrase."""
    try:
        problem = json.loads(response.body or b"")
    except ValueError:
        return response.reason_phrase
    if not isinstance(problem, dict):
        return response.reason_phrase
    detail = str(problem.get("detail") or response.reason_phrase)
    fields = [f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or [] if isinstance(e, dict)]
    return " ".join([detail, *(f"({field})" for field in fields if field not in detail)]).replace("\n", " ")


def note(text: str) -> None:
    """The client's own words go to stderr, so stdout holds only the conversation (to pipe or save)."""
    print(text, file=sys.stderr, flush=True)


def fail(line: str) -> int:
    """Say what went wrong on one line, no traceback; the exit status of a failed chat."""
    note(line)
    return 1

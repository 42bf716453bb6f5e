"""Lab 4's requirements: a chat over WebSocket on the HTTP port. Core: the assignment's task 4; extras: the limits.

The lesson is a connection that stays open and carries messages both ways, for logged-in users
only. So the core is: a client that shows its lab 3 access token connects; one without a valid
token is refused before the upgrade, with an HTTP answer (a socket that opens and then closes has
already let the stranger in); what a client sends reaches the others of its room and only them,
text in the contract's envelope and binary byte for byte, to a room of many clients at once.
Join and leave notices, the browser's way to send the token, the close codes for a message too big
or not UTF-8, and the limits per client and per user are the course's quality bar.

Each requirement registers users of its own and talks in a room no other requirement uses, so no
check reads another's messages. A check waiting for a kind of frame reads past the text frames of
its client's room of any other `type` (join and leave notices, and types the contract does not
know, such as an exercise's `members` or `direct`); a frame of another room is never read past.
Every wait is bounded by the run's request timeout: the handshake, each frame awaited, each send
and each close.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urlencode

from requests.structures import CaseInsensitiveDict
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect

from ..context import Context
from ..evidence import CheckFailed, Exchange, expect, preview
from ..registry import requirement
from ..rest_client import Reply
from ..timestamps import parse_rfc3339
from .auth import claims_for, forged, rest_user, tampered
from .rest_extras import named_fields, problem_issue
from .rest_helpers import expect_status

Frame = str | bytes

MAX_MESSAGE = 1024 * 1024  # bytes: a larger message closes the connection with 1009
FRAME_LIMIT = 2 * MAX_MESSAGE  # what the grader's clients accept, so that the largest allowed message arrives
PER_USER = 32  # connections one user may hold at once
BURST_WITHIN = 30  # messages sent at once that stay within the allowance (20 a second, bursts of 40)
FLOOD = 100  # messages sent a millisecond apart, far beyond it
FLOOD_PAUSE = 0.001  # seconds between them (see send_all)
CROWD = 50  # clients of the room in WS-MANY-CLIENTS
CROWD_USERS = 2  # ... held by this many users (each under PER_USER)
NOTICES = ("join", "leave")
DEFAULT_ROOM = "lobby"
PAYLOAD = bytes(range(256)) * 4  # binary, and not UTF-8: a server that decodes it as text breaks it
UTC_SUFFIXES = ("Z", "z", "+00:00", "-00:00")

# The client library logs what a server's abrupt close does to it; the report says what matters.
QUIET = logging.getLogger(__name__)
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


@dataclass(frozen=True)
class Chatter:
    """A user of the chat: registered with a password and logged in, as lab 3's checks do."""

    user_id: str
    name: str
    token: str


def chatter(ctx: Context, name: str) -> Chatter:
    """A new user named `name` and a unique word, so each envelope's `name` says whose it is."""
    full = f"{name} {ctx.token()}"
    user_id, _, token = rest_user(ctx, "ws", full)
    return Chatter(user_id, full, token)


def new_room(ctx: Context) -> str:
    """A room no other requirement (and no earlier run) talks in."""
    return f"grader-{ctx.token()}"


def room_query(room: str | None) -> str:
    """The handshake's query string: ?room=ROOM, or none at all for the default room."""
    return "" if room is None else urlencode({"room": room})


def ws_url(ctx: Context, query: str) -> str:
    """ws://HOST:PORT/ws?QUERY at the graded base URL (wss:// for https://)."""
    return "ws" + ctx.rest.base_url.removeprefix("http") + "/ws" + (f"?{query}" if query else "")


def handshake_sent(query: str, how: str) -> str:
    """A handshake as a failure message shows what was sent (the token itself never appears)."""
    return f"WebSocket handshake GET /ws{'?' + query if query else ''} {how}"


# --- the handshake: a connection, or the HTTP answer that refused it ------------------------------


def http_answer(status: int, headers: Headers, body: bytes, sent: str) -> Reply:
    """A refused handshake as the REST checks see an answer, so their problem+json checks apply as they are."""
    fields = CaseInsensitiveDict(dict(headers.raw_items()))
    got = [str(status)]
    if fields.get("Content-Type"):
        got.append(f"Content-Type: {fields['Content-Type']}")
    got.append(preview(body.decode("utf-8", errors="replace")) if body else "(empty body)")
    return Reply(status, fields, body, Exchange(sent, "; ".join(got)))


def handshake(
    ctx: Context, query: str, sent: str, authorization: str | None = None, subprotocols: list[str] | None = None
) -> ClientConnection | Reply:
    """Open a WebSocket at /ws?`query`: the open connection, or the HTTP answer that refused the upgrade."""
    try:
        return connect(
            ws_url(ctx, query),
            additional_headers={"Authorization": authorization} if authorization else None,
            subprotocols=subprotocols,  # type: ignore[arg-type]  # (websockets' Subprotocol is a str)
            open_timeout=ctx.timeout,
            close_timeout=ctx.timeout,
            ping_interval=None,  # the checks are short: no keepalive traffic between their frames
            compression=None,  # frames go as they are, so sizes and bytes are the ones the check means
            proxy=None,  # the graded address itself, never a proxy named in the environment
            max_size=FRAME_LIMIT,
            # Keep reading whatever the check has not read yet (notices pile up in a big room): a client
            # that stops reading would never see the server's answer to its close, and wait for it.
            max_queue=None,
            logger=QUIET,
        )
    except InvalidStatus as refusal:
        response = refusal.response
        return http_answer(response.status_code, response.headers, bytes(response.body or b""), sent)
    except TimeoutError:
        raise CheckFailed(
            f"no answer to the handshake within {ctx.timeout:g} s", Exchange(sent, "nothing: the handshake timed out")
        ) from None
    except InvalidHandshake as exc:
        raise CheckFailed(
            "the answer is not a valid WebSocket upgrade", Exchange(sent, f"{type(exc).__name__}: {exc}")
        ) from None
    except OSError as exc:
        raise CheckFailed("the connection failed", Exchange(sent, f"no HTTP answer ({type(exc).__name__})")) from None


def join(ctx: Context, who: Chatter, room: str | None) -> ClientConnection:
    """`who`'s connection to `room` (None: the default room), the token in the Authorization header."""
    query = room_query(room)
    sent = handshake_sent(query, f"with {who.name}'s access token (Authorization: Bearer)")
    answer = handshake(ctx, query, sent, authorization=f"Bearer {who.token}")
    if isinstance(answer, Reply):
        raise answer.fail(f"a handshake with a valid access token should upgrade (101), got {answer.status}")
    return answer


def refused(
    ctx: Context, query: str, sent: str, authorization: str | None = None, subprotocols: list[str] | None = None
) -> Reply:
    """The HTTP answer that refused a handshake; a connection that opens instead fails the check (closed first)."""
    answer = handshake(ctx, query, sent, authorization, subprotocols)
    if not isinstance(answer, Reply):
        with answer:
            pass
        raise CheckFailed(
            "the handshake should be refused before the upgrade, but the WebSocket opened",
            Exchange(sent, "101 Switching Protocols"),
        )
    return answer


# --- frames: send, receive, close ----------------------------------------------------------------


def describe(frame: Frame) -> str:
    """A frame as a failure message shows it: its kind, and the start of what it holds."""
    if isinstance(frame, bytes):
        return f"a binary frame of {len(frame)} bytes: {preview(repr(frame[:24]), 120)}{'…' if len(frame) > 24 else ''}"
    return f"a text frame: {preview(frame)}"


def closed_as(closed: ConnectionClosed) -> str:
    """How the server ended a connection: the code and reason of its close frame, if it sent one."""
    if closed.rcvd is None:
        return "the connection ended without a close frame"
    return f"close {closed.rcvd.code}" + (f" ({closed.rcvd.reason})" if closed.rcvd.reason else "")


def as_json(frame: Frame) -> object:
    """The JSON a text frame holds (None for a binary frame or text that is not JSON)."""
    if not isinstance(frame, str):
        return None
    try:
        return json.loads(frame)
    except ValueError:
        return None


def field(frame: Frame, key: str) -> object:
    """One member of the JSON object a text frame holds (None when it holds no object)."""
    data = as_json(frame)
    return data.get(key) if isinstance(data, dict) else None


def notice_of(room: str | None) -> Callable[[Frame], bool]:
    """Whether a frame is a join or leave notice of `room`."""
    return lambda frame: field(frame, "type") in NOTICES and field(frame, "room") == (room or DEFAULT_ROOM)


def other_type(room: str | None, awaited: str) -> Callable[[Frame], bool]:
    """Whether a frame is a text frame of `room` whose `type` is another than `awaited` (the checks read past those).

    A join or leave notice, or a type the contract does not know (an exercise's `members`, `direct`):
    servers may send more than the contract asks. A binary frame, a frame of another room, and one
    without a `type` are never read past, so they reach the check that judges them.
    """

    def passed_over(frame: Frame) -> bool:
        kind = field(frame, "type")
        return isinstance(kind, str) and kind != awaited and field(frame, "room") == (room or DEFAULT_ROOM)

    return passed_over


def write(ws: ClientConnection, message: Frame, text: bool | None = None) -> bool:
    """Send one message as the connection's own `send` does; False when the server is closing or has cut the connection.

    The connection's `send` closes the socket when a write fails, and that stops its reader before it
    has taken in what the server sent first: the close frame that says why. A server that closes
    with 1008 while the client is still sending makes the client's next write fail (its kernel
    answers the data with a reset), and the close frame, already in the client's receive buffer,
    was lost whenever the reader had not run yet (a busy machine). Written here, under the
    connection's lock as `send` writes, a failed write leaves the socket to the reader, which reads
    the close frame the kernel still holds: the check judges the code the server sent.
    """
    data = message.encode() if isinstance(message, str) else message
    as_text = isinstance(message, str) if text is None else text
    with ws.protocol_mutex:
        if ws.protocol.state is not State.OPEN:  # the server's close frame has arrived: the check reads it
            return False
        if as_text:
            ws.protocol.send_text(data)
        else:
            ws.protocol.send_binary(data)
        try:
            for chunk in ws.protocol.data_to_send():
                if chunk:
                    ws.socket.sendall(chunk)
        except OSError:  # the server cut the connection: what it sent before is still to be read
            return False
    return True


def send_all(
    ws: ClientConnection,
    messages: list[Frame],
    ctx: Context,
    sent: str,
    text: bool | None = None,
    may_close: bool = False,
    pause: float = 0.0,
) -> bool:
    """Send messages in order; a closed connection fails the check, unless `may_close` (then: False, read why).

    The messages go from one helper thread (see `write`) that the check waits for one request
    timeout at most; a send still blocked then (the server stopped reading) fails the check, and
    shutting the socket ends it. Sending stops at the first message the server no longer takes
    (it is closing the connection, or has cut it); a `pause` between messages leaves the client's
    reader time to take in a close frame while the messages go.
    """
    outcome: list[bool | BaseException] = []  # True: all sent; False: the connection closed first

    def target() -> None:
        try:
            for message in messages:
                if not write(ws, message, text):
                    outcome.append(False)
                    return
                time.sleep(pause)
            outcome.append(True)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=target, name="websocket send", daemon=True)
    worker.start()
    worker.join(ctx.timeout)
    if not outcome:
        with contextlib.suppress(OSError):
            ws.socket.shutdown(socket.SHUT_RDWR)
        raise CheckFailed(
            f"the server did not take the messages within {ctx.timeout:g} s", Exchange(sent, "the send blocked")
        )
    result = outcome[0]
    if result is True:
        return True
    if isinstance(result, BaseException):
        raise result
    if may_close:
        return False
    raise CheckFailed("the server closed the connection", Exchange(sent, why_ended(ws, ctx)))


def send(
    ws: ClientConnection, message: Frame, ctx: Context, sent: str, text: bool | None = None, may_close: bool = False
) -> bool:
    """Send one message (see send_all)."""
    return send_all(ws, [message], ctx, sent, text, may_close)


def first_frame(
    ws: ClientConnection, ctx: Context, sent: str, waiting: str, skip: Callable[[Frame], bool] = lambda frame: False
) -> Frame:
    """The first frame that `skip` does not pass over, received within one request timeout (a flood of others too)."""
    deadline = time.monotonic() + ctx.timeout
    passed: list[Frame] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            frame = ws.recv(timeout=remaining)
            if not skip(frame):
                return frame
            passed.append(frame)
    except TimeoutError:
        got = "nothing (no frame)"
        if passed:  # what was read past may be the awaited frame with a wrong `type`: show it
            got = f"nothing else: read past {len(passed)}, the last {describe(passed[-1])}"
        raise CheckFailed(f"{waiting}: nothing arrived within {ctx.timeout:g} s", Exchange(sent, got)) from None
    except ConnectionClosed as closed:
        raise CheckFailed(f"{waiting}, but the connection closed", Exchange(sent, closed_as(closed))) from None


def next_message(
    ws: ClientConnection, ctx: Context, room: str | None, sent: str, waiting: str, awaited: str | None = None
) -> Frame:
    """The next frame that is not a text frame of `room` of a `type` other than `awaited` (see other_type).

    `awaited` None reads past join and leave notices only: what the exercises' checks, which judge
    frames of other types themselves, wait with.
    """
    return first_frame(ws, ctx, sent, waiting, skip=notice_of(room) if awaited is None else other_type(room, awaited))


def next_relayed(ws: ClientConnection, ctx: Context, room: str | None, sent: str, waiting: str) -> Frame:
    """The next message relayed in `room`: a binary frame, or a text frame that is not of another `type`."""
    return next_message(ws, ctx, room, sent, waiting, awaited="message")


def ended_as(ws: ClientConnection, ctx: Context) -> str | None:
    """How the server ended a connection (its close code and reason), None while it is open.

    A connection that is closing gets one request timeout to finish, so that the close frame is known.
    """
    if ws.state is State.OPEN:
        return None
    return why_ended(ws, ctx)


def why_ended(ws: ClientConnection, ctx: Context) -> str:
    """How the server ended a connection that it is closing or has cut, read within one request timeout."""
    deadline = time.monotonic() + ctx.timeout
    try:
        while True:  # frames it sent before its close come first
            ws.recv(timeout=max(0.0, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed_as(closed)
    except TimeoutError:
        return "the server began to close the connection"


def expect_close(ws: ClientConnection, ctx: Context, code: int, sent: str, why: str) -> None:
    """The server closes the connection with `code` within one request timeout (frames before it are read past)."""
    deadline = time.monotonic() + ctx.timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        pass
    except ConnectionClosed as closed:
        got = closed.rcvd.code if closed.rcvd is not None else None
        expect(got == code, f"{why} should close the connection with {code}", Exchange(sent, closed_as(closed)))
        return
    raise CheckFailed(
        f"{why} should close the connection with {code}; it was still open after {ctx.timeout:g} s",
        Exchange(sent, "no close frame"),
    )


def expect_envelope(frame: Frame, kind: str, room: str, who: Chatter, exchange: Exchange, **fields: object) -> dict:
    """A text frame holding the contract's JSON envelope of type `kind`, from `who`, in `room`, with `fields`."""
    expect(isinstance(frame, str), f"a {kind} should arrive as a text frame, not a binary one", exchange)
    data = as_json(frame)
    expect(isinstance(data, dict), f"a {kind} should be a JSON object", exchange)
    assert isinstance(data, dict)
    wanted = {"type": kind, "room": room, "sender": who.user_id, "name": who.name, **fields}
    for key, value in wanted.items():
        why = " (the user's id, as a string)" if key == "sender" else ""
        expect(
            data.get(key) == value, f"the envelope's {key!r} should be {value!r}{why}, not {data.get(key)!r}", exchange
        )
    moment = data.get("time")
    expect(
        parse_rfc3339(moment) is not None and str(moment).endswith(UTC_SUFFIXES),
        f"the envelope's 'time' should be an ISO 8601 time in UTC (2025-01-31T12:00:00.000Z), not {moment!r}",
        exchange,
    )
    return data


def heard(frame: Frame, sent: str) -> Exchange:
    """What was sent and the frame it brought, for a failure message."""
    return Exchange(sent, describe(frame))


# --- core ----------------------------------------------------------------------------------------


@requirement(
    "WS-CONNECT",
    protocol="rest",
    core=True,
    weight=2,
    feature="websocket",
    title="With an access token in Authorization: Bearer, GET /ws?room=R upgrades to a WebSocket that answers a ping",
    hint="route /ws on the HTTP port to a WebSocket handler; check the lab 3 token before you accept the upgrade",
)
def connects(ctx: Context) -> None:
    who = chatter(ctx, "Ada")
    with join(ctx, who, new_room(ctx)) as ws:
        sent = "a ping on the open connection"
        try:
            # ack_on_close: a close ends the wait at once, and says why (a starter's 1011 "not written yet").
            answered = ws.ping(ack_on_close=True).wait(ctx.timeout)
        except ConnectionClosed as closed:
            raise CheckFailed(
                "the connection closed right after the upgrade", Exchange(sent, closed_as(closed))
            ) from None
        ended = ended_as(ws, ctx)
        if ended is not None:
            raise CheckFailed("the connection closed right after the upgrade", Exchange(sent, ended))
        expect(answered, "the server should answer a ping with a pong", Exchange(sent, f"no pong in {ctx.timeout:g} s"))


@requirement(
    "WS-NO-TOKEN",
    protocol="rest",
    core=True,
    weight=2,
    feature="websocket",
    title="A handshake without a token, or with a malformed one, is refused with 401 before the upgrade",
    hint="read Authorization: Bearer <token> from the handshake request and answer 401 instead of upgrading",
    depends_on=["WS-CONNECT"],
)
def no_token(ctx: Context) -> None:
    query = room_query(new_room(ctx))
    for how, authorization in [
        ("without a token", None),
        ("with a malformed token (Bearer not-a-jwt)", "Bearer not-a-jwt"),
        ("with Basic credentials", "Basic dXNlcjpwYXNz"),
    ]:
        reply = refused(ctx, query, handshake_sent(query, how), authorization=authorization)
        expect_status(reply, 401, why=f"for a handshake {how}")


@requirement(
    "WS-FORGED-TOKEN",
    protocol="rest",
    core=True,
    weight=2,
    feature="websocket",
    title="A handshake with a token signed with another key, with alg none, or with a changed payload is refused: 401",
    hint="verify the token exactly as lab 3's REST and gRPC calls do (the same function), before the upgrade",
    depends_on=["WS-CONNECT"],
)
def forged_token(ctx: Context) -> None:
    who = chatter(ctx, "Ada")
    query = room_query(new_room(ctx))
    for how, token in [
        ("signed with another key", forged(claims_for(who.user_id))),
        ("with alg none", forged(claims_for(who.user_id), "none")),
        ("with a changed payload", tampered(who.token)),
    ]:
        reply = refused(ctx, query, handshake_sent(query, f"with a token {how}"), authorization=f"Bearer {token}")
        expect_status(reply, 401, why=f"for a token {how}")


@requirement(
    "WS-TEXT",
    protocol="rest",
    core=True,
    weight=3,
    feature="websocket",
    title="A text message reaches every other client of the room as the JSON envelope type, room, sender, name, "
    "time, text",
    hint='send each other member {"type": "message", "room", "sender": user id as a string, "name", "time", "text"}',
    depends_on=["WS-CONNECT"],
)
def text_relay(ctx: Context) -> None:
    ada, bob, cy = chatter(ctx, "Ada"), chatter(ctx, "Bob"), chatter(ctx, "Cy")
    room, text = new_room(ctx), f"Hello, room! ünïcödé ✓ {ctx.token()}"
    with ExitStack() as stack:
        sender, *others = (stack.enter_context(join(ctx, who, room)) for who in (ada, bob, cy))
        sent = f"{ada.name} sent the text {text!r} to room {room!r}, where {bob.name} and {cy.name} are"
        send(sender, text, ctx, sent)
        for who, ws in zip((bob, cy), others, strict=True):
            frame = next_relayed(ws, ctx, room, sent, f"{who.name} should receive the message")
            expect_envelope(frame, "message", room, ada, heard(frame, sent), text=text)


@requirement(
    "WS-BINARY",
    protocol="rest",
    core=True,
    weight=2,
    feature="websocket",
    title="A binary message reaches the other clients of the room byte for byte, as a binary frame",
    hint="relay binary frames as they are: do not decode them as text or wrap them in JSON",
    depends_on=["WS-CONNECT"],
)
def binary_relay(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    room = new_room(ctx)
    with join(ctx, ada, room) as sender, join(ctx, bob, room) as other:
        sent = f"{ada.name} sent {len(PAYLOAD)} bytes (every byte value, not UTF-8) as a binary frame to room {room!r}"
        send(sender, PAYLOAD, ctx, sent)
        frame = next_relayed(other, ctx, room, sent, f"{bob.name} should receive the binary message")
        expect(isinstance(frame, bytes), "a binary message should arrive as a binary frame", heard(frame, sent))
        expect(frame == PAYLOAD, "the bytes should arrive exactly as they were sent", heard(frame, sent))


@requirement(
    "WS-NO-ECHO",
    protocol="rest",
    core=True,
    weight=1,
    feature="websocket",
    title="A message is never sent back to its sender, text or binary",
    hint="when relaying, skip the connection the message came from",
    depends_on=["WS-TEXT", "WS-BINARY"],
)
def no_echo(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    room, text, answer = new_room(ctx), f"for the others {ctx.token()}", f"Bob's answer {ctx.token()}"
    with join(ctx, ada, room) as sender, join(ctx, bob, room) as other:
        sent = f"{ada.name} sent {text!r} and {len(PAYLOAD)} binary bytes to room {room!r}"
        send(sender, text, ctx, sent)
        send(sender, PAYLOAD, ctx, sent)
        next_relayed(other, ctx, room, sent, f"{bob.name} should receive the text")
        next_relayed(other, ctx, room, sent, f"{bob.name} should receive the binary message")
        sent += f"; {bob.name}, having received both, answered {answer!r}"
        send(other, answer, ctx, sent)
        frame = next_relayed(sender, ctx, room, sent, f"{ada.name} should receive {bob.name}'s answer")
        echoed = frame == PAYLOAD or field(frame, "text") == text
        expect(not echoed, f"{ada.name} received her own message back", heard(frame, sent))
        expect(field(frame, "text") == answer, f"{ada.name}'s next message should be the answer", heard(frame, sent))


@requirement(
    "WS-ROOMS",
    protocol="rest",
    core=True,
    weight=2,
    feature="websocket",
    title="Clients of another room receive nothing of a room: no text, no binary, no notice",
    hint="keep the members of each room apart (a map from room name to its connections) and relay within one",
    depends_on=["WS-TEXT", "WS-BINARY"],
)
def rooms_apart(ctx: Context) -> None:
    ada, bob, cy = chatter(ctx, "Ada"), chatter(ctx, "Bob"), chatter(ctx, "Cy")
    room, elsewhere, marker = new_room(ctx), new_room(ctx), f"in the other room {ctx.token()}"
    with ExitStack() as stack:
        listener = stack.enter_context(join(ctx, cy, elsewhere))
        sender = stack.enter_context(join(ctx, ada, room))
        other = stack.enter_context(join(ctx, bob, room))
        speaker = stack.enter_context(join(ctx, cy, elsewhere))
        sent = f"{ada.name} and {bob.name} joined room {room!r}, {ada.name} sent a text and binary bytes there"
        send(sender, f"not for room {elsewhere} {ctx.token()}", ctx, sent)
        send(sender, PAYLOAD, ctx, sent)
        next_relayed(other, ctx, room, sent, f"{bob.name} should receive the text")
        next_relayed(other, ctx, room, sent, f"{bob.name} should receive the binary message")
        sent += f"; then {cy.name} sent {marker!r} in room {elsewhere!r}, where {cy.name} has another connection"
        send(speaker, marker, ctx, sent)
        frame = next_relayed(listener, ctx, elsewhere, sent, f"{cy.name}'s other connection should receive it")
        expect(
            field(frame, "text") == marker,
            f"a client of room {elsewhere!r} received something of room {room!r} (before its own room's message)",
            heard(frame, sent),
        )


@requirement(
    "WS-MANY-CLIENTS",
    protocol="rest",
    core=True,
    weight=2,
    feature="websocket",
    title=f"{CROWD} clients in one room: a message reaches all {CROWD - 1} others",
    hint="relay without waiting on each client in turn (an outbox per connection), and keep every member",
    depends_on=["WS-TEXT"],
    time_limit=60.0,
)
def many_clients(ctx: Context) -> None:
    users = [chatter(ctx, f"Crowd {i}") for i in range(CROWD_USERS)]
    room, text = new_room(ctx), f"to all {CROWD} {ctx.token()}"
    with ExitStack() as stack:
        sender, *others = (stack.enter_context(join(ctx, users[i % CROWD_USERS], room)) for i in range(CROWD))
        sent = f"{CROWD} clients of {CROWD_USERS} users joined room {room!r}; the first sent {text!r}"
        send(sender, text, ctx, sent)
        for number, ws in enumerate(others, start=2):
            frame = next_relayed(ws, ctx, room, sent, f"client {number} of {CROWD} should receive the message")
            expect_envelope(frame, "message", room, users[0], heard(frame, sent), text=text)


# --- extras --------------------------------------------------------------------------------------


@requirement(
    "WS-SUBPROTOCOL",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title='A browser\'s token, sent as the subprotocols "bearer", <token>, is accepted; the server selects "bearer"',
    hint="a browser cannot set headers on a WebSocket: read the token from Sec-WebSocket-Protocol and answer bearer",
    depends_on=["WS-TEXT", "WS-NO-TOKEN"],
)
def subprotocol_token(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    room, text = new_room(ctx), f"from a browser {ctx.token()}"
    query = room_query(room)
    sent = handshake_sent(query, f'offering the subprotocols "bearer", <{ada.name}\'s token>, no Authorization')
    answer = handshake(ctx, query, sent, subprotocols=["bearer", ada.token])
    if isinstance(answer, Reply):
        raise answer.fail(f"a handshake with the token as a subprotocol should upgrade (101), got {answer.status}")
    with ExitStack() as stack:
        sender = stack.enter_context(answer)
        chosen = Exchange(sent, f"101, Sec-WebSocket-Protocol: {sender.subprotocol}")
        expect(sender.subprotocol == "bearer", 'the server should select the subprotocol "bearer"', chosen)
        other = stack.enter_context(join(ctx, bob, room))
        sent += f"; then sent {text!r}"
        send(sender, text, ctx, sent)
        frame = next_relayed(other, ctx, room, sent, f"{bob.name} should receive the message")
        expect_envelope(frame, "message", room, ada, heard(frame, sent), text=text)
    bad = handshake_sent(query, 'offering the subprotocols "bearer", "not-a-jwt"')
    expect_status(refused(ctx, query, bad, subprotocols=["bearer", "not-a-jwt"]), 401, why="for a malformed token")


@requirement(
    "WS-DEFAULT-ROOM",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title="GET /ws without ?room joins the room lobby",
    hint='use "lobby" when the query has no room',
    depends_on=["WS-TEXT"],
)
def default_room(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    text = f"hello, lobby {ctx.token()}"
    with join(ctx, ada, None) as sender, join(ctx, bob, DEFAULT_ROOM) as other:
        sent = f"{ada.name} connected to /ws without a room, {bob.name} to /ws?room=lobby; {ada.name} sent {text!r}"
        send(sender, text, ctx, sent)
        waiting = f"{bob.name} should receive the message in the lobby"
        frame = first_frame(other, ctx, sent, waiting, skip=lambda frame: field(frame, "text") != text)
        expect_envelope(frame, "message", DEFAULT_ROOM, ada, heard(frame, sent), text=text)


@requirement(
    "WS-JOIN-LEAVE",
    protocol="rest",
    core=False,
    weight=2,
    feature="websocket",
    title='The others of a room get a "join" and a "leave" notice with the number of members after the change',
    hint='send the others {"type": "join" or "leave", "room", "sender", "name", "time", "members"}',
    depends_on=["WS-CONNECT"],
)
def join_and_leave(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    room = new_room(ctx)
    with join(ctx, ada, room) as first:
        sent = f"{ada.name} joined room {room!r}, then {bob.name} joined it"
        with join(ctx, bob, room):
            frame = next_message(first, ctx, room, sent, f"{ada.name} should receive {bob.name}'s join notice", "join")
            expect_envelope(frame, "join", room, bob, heard(frame, sent), members=2)
        sent = f"{bob.name} closed the connection, {ada.name} stayed in room {room!r}"
        frame = next_message(first, ctx, room, sent, f"{ada.name} should receive {bob.name}'s leave notice", "leave")
        expect_envelope(frame, "leave", room, bob, heard(frame, sent), members=1)


@requirement(
    "WS-PROBLEM-JSON",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title="A handshake refused for its token is answered application/problem+json, as lab 3's REST calls",
    hint="refuse the handshake with the same 401 problem document as any other call without a valid token",
    depends_on=["WS-NO-TOKEN"],
)
def refusal_problem(ctx: Context) -> None:
    query = room_query(new_room(ctx))
    for how, authorization in [("without a token", None), ("with a malformed token", "Bearer not-a-jwt")]:
        reply = refused(ctx, query, handshake_sent(query, how), authorization=authorization)
        issue = problem_issue(reply)
        expect(issue is None, f"a refused handshake should be a problem document: {issue}", reply.exchange)


@requirement(
    "WS-ROOM-422",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title="A room that is not 1-64 of A-Z a-z 0-9 _ . - is refused with 422 problem+json naming room",
    hint="check the room before the upgrade and answer 422 with an errors entry for the field room",
    depends_on=["WS-CONNECT"],
)
def bad_room(ctx: Context) -> None:
    who = chatter(ctx, "Ada")
    for room in ["", "x" * 65, "two words", "a/b", "émigré", "semi;colon"]:
        query = room_query(room)
        reply = refused(
            ctx, query, handshake_sent(query, f"with {who.name}'s token"), authorization=f"Bearer {who.token}"
        )
        expect_status(reply, 422, why=f"for the room {room!r}")
        issue = problem_issue(reply)
        expect(issue is None, f"the 422 should be a problem document: {issue}", reply.exchange)
        expect("room" in named_fields(reply), "the 422's errors should name the field 'room'", reply.exchange)
    with join(ctx, who, ("Az09_.-" * 10)[:64]):
        pass  # the longest name, of every kind of character allowed, is a room


@requirement(
    "WS-UPGRADE-426",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title="A plain GET /ws, without Upgrade: websocket, answers 426 Upgrade Required",
    hint="answer 426 (with Upgrade: websocket) when /ws is requested without the upgrade headers",
    depends_on=["WS-CONNECT"],
)
def plain_get(ctx: Context) -> None:
    expect_status(ctx.rest.get("/ws", params=room_query(new_room(ctx))), 426, why="for a GET /ws without the upgrade")


@requirement(
    "WS-TOO-BIG-1009",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title="A message of 1 MiB is relayed; a larger one closes the sender's connection with 1009",
    hint="limit the size of an incoming message to 1,048,576 bytes and close with 1009 (message too big) above it",
    depends_on=["WS-BINARY"],
)
def too_big(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    room = new_room(ctx)
    with join(ctx, ada, room) as sender, join(ctx, bob, room) as other:
        sent = f"{ada.name} sent a binary message of exactly {MAX_MESSAGE} bytes to room {room!r}"
        send(sender, bytes(MAX_MESSAGE), ctx, sent)
        frame = next_relayed(other, ctx, room, sent, f"{bob.name} should receive the 1 MiB message")
        expect(frame == bytes(MAX_MESSAGE), "the 1 MiB message should arrive as it was sent", heard(frame, sent))
        sent = f"{ada.name} sent a binary message of {MAX_MESSAGE + 1} bytes"
        send(sender, bytes(MAX_MESSAGE + 1), ctx, sent, may_close=True)
        expect_close(sender, ctx, 1009, sent, "a message over 1 MiB")


@requirement(
    "WS-BAD-UTF8-1007",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title="A text frame that is not UTF-8 closes the connection with 1007",
    hint="a text frame must hold UTF-8: close with 1007 (invalid frame payload data) when it does not",
    depends_on=["WS-CONNECT"],
)
def bad_utf8(ctx: Context) -> None:
    with join(ctx, chatter(ctx, "Ada"), new_room(ctx)) as ws:
        sent = "a text frame holding the bytes caf\\xc3 \\xff (not UTF-8)"
        send(ws, b"caf\xc3 \xff", ctx, sent, text=True, may_close=True)
        expect_close(ws, ctx, 1007, sent, "a text frame that is not UTF-8")


@requirement(
    "WS-RATE-LIMIT-1008",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title=f"{BURST_WITHIN} messages at once are relayed; {FLOOD} more, 1 ms apart, close the connection with 1008",
    hint="give each connection an allowance of 20 messages a second, in bursts of up to 40; close with 1008 beyond it",
    depends_on=["WS-TEXT"],
)
def rate_limit(ctx: Context) -> None:
    ada, bob = chatter(ctx, "Ada"), chatter(ctx, "Bob")
    room = new_room(ctx)
    with join(ctx, ada, room) as sender, join(ctx, bob, room) as other:
        sent = f"{ada.name} sent {BURST_WITHIN} text messages at once to room {room!r}"
        send_all(sender, [f"burst {i}" for i in range(BURST_WITHIN)], ctx, sent)
        for i in range(BURST_WITHIN):
            frame = next_relayed(other, ctx, room, sent, f"{bob.name} should receive message {i + 1}")
            expect(field(frame, "text") == f"burst {i}", f"message {i + 1} should arrive in order", heard(frame, sent))
        sent += f", then {FLOOD} more, one a millisecond"
        send_all(sender, [f"flood {i}" for i in range(FLOOD)], ctx, sent, may_close=True, pause=FLOOD_PAUSE)
        expect_close(sender, ctx, 1008, sent, "more than 20 messages a second")


@requirement(
    "WS-USER-LIMIT-429",
    protocol="rest",
    core=False,
    weight=1,
    feature="websocket",
    title=f"One user may hold {PER_USER} connections; one more is refused with 429 before the upgrade",
    hint=f"count each user's open connections; answer 429 to the handshake that would make {PER_USER + 1}",
    depends_on=["WS-CONNECT"],
)
def user_limit(ctx: Context) -> None:
    who, room = chatter(ctx, "Ada"), new_room(ctx)
    with ExitStack() as stack:
        for _ in range(PER_USER):
            stack.enter_context(join(ctx, who, room))
        query = room_query(room)
        sent = handshake_sent(query, f"with {who.name}'s token, who holds {PER_USER} open connections")
        reply = refused(ctx, query, sent, authorization=f"Bearer {who.token}")
        expect_status(reply, 429, why=f"for connection {PER_USER + 1} of one user")

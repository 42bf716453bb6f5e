"""The WebSocket side of the lab: ``/ws?room=R`` with flask-sock, and the chat page at ``/``.

The handshake is an HTTP request, so it is checked like one, before the upgrade: the lab 3 token
(an ``Authorization: Bearer`` header, or, from a browser, which cannot set headers on a
WebSocket, the subprotocols ``bearer, <token>``), the room's name and the WebSocket headers. A
refusal is a problem+json answer (401, 422, 429, 400; 426 without an upgrade) and the connection never upgrades.
After the upgrade, `connect` reads messages until the connection ends and hands each to the hub
(chat.py), then logs why it ended. It runs as a greenlet in the WebSocket server's thread
(ws_server.py).
"""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, g, request, send_from_directory
from flask_sock import Sock
from simple_websocket import ConnectionClosed, Server
from werkzeug.routing import WebsocketMismatch
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import RemoteProtocolError

from .auth import Auth
from .chat import Hub, Member
from .domain import FieldError, InvalidInput
from .rest_errors import problem
from .settings import Settings
from .store import Store
from .ws_server import GREEN_OPTIONS, Connection

log = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parent / "static"
ROOM = re.compile(r"[A-Za-z0-9_.-]{1,64}")
ROOM_RULE = "1 to 64 letters, digits, '_', '-' or '.'"
DEFAULT_ROOM = "lobby"
# A send that cannot finish in this time means the client stopped reading: its connection ends.
# (Reads never time out: the reader waits for data first, and pings find clients that vanish.)
SEND_SECONDS = 30
SUBPROTOCOL = "bearer"  # a browser offers "bearer" and its token; the server answers "bearer"

chat = Blueprint("chat", __name__)
sock = Sock()


def install(app: Flask, hub: Hub, auth: Auth, store: Store, settings: Settings) -> None:
    """Add the chat page and the WebSocket route to the app."""
    app.extensions["hub"] = hub
    app.extensions["ws_auth"] = auth
    app.extensions["ws_store"] = store
    app.config["SOCK_SERVER_OPTIONS"] = {
        **GREEN_OPTIONS,
        "subprotocols": [SUBPROTOCOL],
        "max_message_size": settings.ws_max_message_bytes,
        "ping_interval": settings.ws_ping_seconds,
    }
    app.register_blueprint(chat)
    app.register_error_handler(RemoteProtocolError, _bad_handshake)
    app.register_error_handler(WebsocketMismatch, _not_an_upgrade)


@chat.get("/")
def page() -> Response:
    """The chat page: log in, join a room, send text and files."""
    return send_from_directory(PAGE, "chat.html")


@chat.before_request
def admit() -> Response | None:
    """Check the handshake before the upgrade: a refusal is an HTTP answer, not a closed socket."""
    if request.endpoint != "chat.connect":
        return None
    if not _valid_handshake():
        return problem(
            400, "Bad Request", "a handshake is HTTP/1.1 with Sec-WebSocket-Version: 13 and a 16-byte Sec-WebSocket-Key"
        )
    room = request.args.get("room", DEFAULT_ROOM)
    if not ROOM.fullmatch(room):
        raise InvalidInput([FieldError("room", ROOM_RULE)])
    auth: Auth = current_app.extensions["ws_auth"]
    g.caller = auth.identify(_authorization())
    g.room = room
    if not _hub().has_room_for(g.caller.user_id):
        limit = _hub().settings.ws_connections_per_user
        return problem(429, "Too Many Requests", f"this user already has {limit} connections open")
    # No permessage-deflate: compressing every message once per recipient costs the hub's only core.
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
    settings = _hub().settings
    request.environ["gunicorn.socket"] = Connection(request.environ["gunicorn.socket"], settings.ws_frames_per_second)
    return None


@sock.route("/ws", bp=chat)
def connect(ws: Server) -> None:
    """Relay what the client sends to its room until the connection ends."""
    ws.sock.settimeout(SEND_SECONDS)  # not the HTTP server's body timeout: a conversation has quiet spells
    try:
        # >>> lab 4 · connect: join the room; relay each message the client sends until it closes; leave saying why
        member = _hub().join(ws, g.caller.user_id, _name(g.caller.user_id), g.room)
        try:
            while True:
                message = ws.receive()
                if message is not None:
                    _hub().relay(member, message)
        except ConnectionClosed:
            pass
        finally:
            _hub().leave(member, why_closed(ws, member))
        # <<< lab 4
    except NotImplementedError as todo:  # a starter's part not written yet: say so, as REST's 501 does
        log.warning("the WebSocket relay is not written yet: %s", todo)
        ws.close(1011, f"not written yet: {todo}"[:120])
    except Exception:  # a bug: close this connection only, and never let Flask write an HTTP answer into it
        log.exception("the WebSocket connection of user %s failed", g.caller.user_id)
        ws.close(1011, "internal error")


def why_closed(ws: Server, member: Member) -> str:
    """Why a connection ended, for the log."""
    if member.dropped:
        return member.dropped
    if getattr(ws.sock, "violation", ""):
        return f"{ws.sock.violation} (connection cut)"
    if ws.max_message_size and ws.incoming_message_len > ws.max_message_size:
        return f"sent a message larger than {ws.max_message_size} bytes (close 1009)"
    code = ws.close_reason
    if code in (CloseReason.PROTOCOL_ERROR, CloseReason.INVALID_FRAME_PAYLOAD_DATA):
        return f"sent data that breaks the protocol: {ws.close_message} (close {int(code)})"
    if code != CloseReason.NO_STATUS_RCVD:
        return f"closed by the client (close {int(code)})"
    if not ws.pong_received:
        return f"did not answer a ping within {ws.ping_interval} s (close 1008)"
    return "the connection ended without a close frame"


def _authorization() -> str | None:
    """The Authorization header, or the token a browser offers as its second subprotocol."""
    # >>> lab 4 · _authorization: the Authorization header, else "Bearer <token>" from subprotocols "bearer, <token>"
    header = request.headers.get("Authorization")
    if header:
        return header
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    if len(offered) == 2 and offered[0] == SUBPROTOCOL and offered[1]:
        return f"Bearer {offered[1]}"  # simple-websocket then chooses "bearer", the one it knows
    return None
    # <<< lab 4


def _valid_handshake() -> bool:
    """RFC 6455, 4.2.1: HTTP/1.1, version 13, and a key that is 16 bytes in base64."""
    key = request.headers.get("Sec-WebSocket-Key", "")
    try:
        key_bytes = base64.b64decode(key, validate=True)
    except ValueError:
        return False
    version_ok = request.headers.get("Sec-WebSocket-Version") == "13"
    return request.environ.get("SERVER_PROTOCOL") == "HTTP/1.1" and version_ok and len(key_bytes) == 16


def _name(user_id: str) -> str:
    store: Store = current_app.extensions["ws_store"]
    try:
        return store.get(user_id).name
    except Exception:  # deleted in the meantime: the id still says who it was
        return user_id


def _hub() -> Hub:
    return current_app.extensions["hub"]


def _not_an_upgrade(exc: WebsocketMismatch) -> Response:
    """A plain HTTP request to /ws, or a WebSocket handshake for an address that is not /ws."""
    if request.path != "/ws":
        return problem(400, "Bad Request", f"only /ws speaks WebSocket, not {request.path}")
    response = problem(426, "Upgrade Required", "this address speaks WebSocket: connect with a WebSocket client")
    response.headers["Upgrade"] = "websocket"
    return response


def _bad_handshake(exc: RemoteProtocolError) -> Response:
    return problem(400, "Bad Request", f"not a valid WebSocket handshake: {exc}")

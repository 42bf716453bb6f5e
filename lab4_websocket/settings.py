"""The lab's settings: the one module that reads the environment.

Everything else receives a `Settings` value, so a test (or lab 7's typed configuration) can
change what the service does without touching the code that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


class SettingsError(ValueError):
    """A variable holds a value the lab cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    http_port: int = 8000
    # Worker threads of the HTTP server: how many requests are handled at once.
    http_threads: int = 8
    # Seconds a stopping lab gives the requests (and calls) in progress to finish.
    grace_seconds: float = 10.0
    # The largest request body the API reads; a larger one is refused before it is read.
    max_body_bytes: int = 64 * 1024
    grpc_port: int = 50051
    # Threads of the gRPC server; the health service keeps some of them for itself. Lab 3: 24, not
    # 16: a registration or a login hashes a password (tens of milliseconds), so more calls overlap.
    grpc_threads: int = 24
    grpc_health_threads: int = 4
    grpc_watch_threads: int = 2
    # Lab 3: the key that signs and checks access tokens (HS256). Required, at least 32 bytes:
    # anyone who knows it can mint a token for any user, so it comes from the environment, never the code.
    jwt_secret: str = field(default="", repr=False)
    # How long an access token stays valid: short, because a token cannot be taken back once issued.
    jwt_ttl_seconds: int = 900
    # The first admin: the user who registers with this email gets the admin role (empty: nobody does).
    admin_email: str = ""
    # Lab 4: WebSocket connections open at once (each costs three greenlets and a file descriptor).
    ws_max_connections: int = 10_000
    # Connections one user may hold at once (tabs, devices): one account cannot take every place.
    ws_connections_per_user: int = 32
    # The largest message a client may send (text or binary); a larger one closes the connection (1009).
    ws_max_message_bytes: int = 1024 * 1024
    # Messages, and bytes, waiting to be sent to one connection; a client that falls this far behind is dropped.
    ws_queue_messages: int = 256
    ws_queue_bytes: int = 8 * 1024 * 1024
    # A client may send this many messages a second on average, in bursts of up to twice as many.
    ws_messages_per_second: float = 20.0
    # Frames of any kind (pings and fragments too) a client may send a second, in bursts of five times as many.
    ws_frames_per_second: float = 100.0
    # Seconds between the server's pings; a client that has not answered one by the next is dropped.
    ws_ping_seconds: int = 25

    def ports(self) -> dict[str, int]:
        """Every port the lab listens on, by the variable that sets it."""
        return {"HTTP_PORT": self.http_port, "GRPC_PORT": self.grpc_port}

    def address(self, port: int) -> str:
        """host:port, with an IPv6 host in brackets."""
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"


def load(environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the environment; raises SettingsError naming the first bad variable."""
    return Settings(
        host=environ.get("HOST", Settings.host),
        http_port=_port(environ, "HTTP_PORT", Settings.http_port),
        grpc_port=_port(environ, "GRPC_PORT", Settings.grpc_port),
        jwt_secret=_secret(environ, "JWT_SECRET"),
        jwt_ttl_seconds=_seconds(environ, "JWT_TTL_SECONDS", Settings.jwt_ttl_seconds),
        admin_email=environ.get("ADMIN_EMAIL", "").strip(),
        ws_ping_seconds=_seconds(environ, "WS_PING_SECONDS", Settings.ws_ping_seconds),
    )


def grpc_address(environ: Mapping[str, str] = os.environ) -> str:
    """HOST:GRPC_PORT, for clients: they need the address, not the server's secret."""
    host = environ.get("HOST", Settings.host)
    return Settings(host=host).address(_port(environ, "GRPC_PORT", Settings.grpc_port))


def ws_url(environ: Mapping[str, str] = os.environ) -> str:
    """ws://HOST:HTTP_PORT/ws, for the chat client: WebSocket shares the HTTP port."""
    host = environ.get("HOST", Settings.host)
    return f"ws://{Settings(host=host).address(_port(environ, 'HTTP_PORT', Settings.http_port))}/ws"


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r} is not a port: use a whole number from 1 to 65535")
    return int(raw)


MIN_SECRET_BYTES = 32  # HS256's key should be at least as long as its 256-bit output (RFC 7518, 3.2)


def _secret(environ: Mapping[str, str], name: str) -> str:
    """The signing key: refused when missing or short, without ever echoing it."""
    raw = environ.get(name, "")
    if not raw:
        raise SettingsError(f"{name} is not set: give it a random key of at least {MIN_SECRET_BYTES} bytes")
    if len(raw.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"{name} is too short: use a random key of at least {MIN_SECRET_BYTES} bytes")
    return raw


def _seconds(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= 86_400:
        raise SettingsError(f"{name}={raw!r} is not a number of seconds: use a whole number from 1 to 86400")
    return int(raw)

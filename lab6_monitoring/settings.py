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
    # Lab 5: the broker between the users service and the notifier: "rabbitmq" (pika) or "kafka" (kafka-python).
    broker: str = "rabbitmq"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # The start of every exchange, queue and topic name, so that two deployments (or tests) can share a broker.
    broker_prefix: str = "microlabs"
    # The notifier's own HTTP port (GET /notifications, /healthz).
    notifier_http_port: int = 8001
    # Email: sent through SMTP_HOST when it is set; the notifier's own record is kept either way.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "notifier@microlabs.example"
    # The notifier's record (SQLite): which events it has handled, so that none is handled twice. In memory by
    # default, for as long as the notifier runs (like the users); a file keeps it across restarts (compose.yaml).
    notifier_db: str = ":memory:"
    # What `python -m lab6_monitoring` starts: the users service and, as its child process, the notifier.
    # SERVICES=users starts the users service alone (the notifier then runs apart: python -m lab6_monitoring.notifier).
    services: tuple[str, ...] = ("users", "notifier")
    # Lab 6: logs as one ECS JSON object per line ("ecs", for Filebeat and Kibana) or as text lines ("text",
    # for a person at a terminal), and the least severe level written.
    log_format: str = "ecs"
    log_level: str = "INFO"

    def ports(self) -> dict[str, int]:
        """Every port the lab listens on, by the variable that sets it."""
        return {"HTTP_PORT": self.http_port, "GRPC_PORT": self.grpc_port, "NOTIFIER_HTTP_PORT": self.notifier_http_port}

    def ports_started_together(self) -> dict[str, int]:
        """The ports of what `python -m` starts at once: SERVICES=users leaves the notifier's to run apart."""
        ports = self.ports()
        if "notifier" not in self.services:
            del ports["NOTIFIER_HTTP_PORT"]
        return ports

    def address(self, port: int) -> str:
        """host:port, with an IPv6 host in brackets."""
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"


def load(environ: Mapping[str, str] = os.environ, service: str = "users") -> Settings:
    """Settings from the environment; raises SettingsError naming the first bad variable.

    Lab 5: the notifier (`service="notifier"`) signs no token, so it runs without JWT_SECRET.
    """
    return Settings(
        host=environ.get("HOST", Settings.host),
        http_port=_port(environ, "HTTP_PORT", Settings.http_port),
        grpc_port=_port(environ, "GRPC_PORT", Settings.grpc_port),
        jwt_secret=_secret(environ, "JWT_SECRET") if service == "users" else "",
        jwt_ttl_seconds=_seconds(environ, "JWT_TTL_SECONDS", Settings.jwt_ttl_seconds),
        admin_email=environ.get("ADMIN_EMAIL", "").strip(),
        ws_ping_seconds=_seconds(environ, "WS_PING_SECONDS", Settings.ws_ping_seconds),
        broker=_choice(environ, "BROKER", ("rabbitmq", "kafka"), Settings.broker),
        rabbitmq_url=environ.get("RABBITMQ_URL", Settings.rabbitmq_url),
        kafka_bootstrap_servers=environ.get("KAFKA_BOOTSTRAP_SERVERS", Settings.kafka_bootstrap_servers),
        broker_prefix=environ.get("BROKER_PREFIX", Settings.broker_prefix),
        notifier_http_port=_port(environ, "NOTIFIER_HTTP_PORT", Settings.notifier_http_port),
        smtp_host=environ.get("SMTP_HOST", "").strip(),
        smtp_port=_port(environ, "SMTP_PORT", Settings.smtp_port),
        smtp_from=environ.get("SMTP_FROM", Settings.smtp_from),
        services=_services(environ),
        notifier_db=environ.get("NOTIFIER_DB", Settings.notifier_db),
        log_format=_choice(environ, "LOG_FORMAT", ("ecs", "text"), Settings.log_format),
        log_level=_choice(environ, "LOG_LEVEL", LOG_LEVELS, Settings.log_level.lower()).upper(),
    )


LOG_LEVELS = ("debug", "info", "warning", "error")


def grpc_address(environ: Mapping[str, str] = os.environ) -> str:
    """HOST:GRPC_PORT, for clients: they need the address, not the server's secret."""
    host = environ.get("HOST", Settings.host)
    return Settings(host=host).address(_port(environ, "GRPC_PORT", Settings.grpc_port))


def ws_url(environ: Mapping[str, str] = os.environ) -> str:
    """ws://HOST:HTTP_PORT/ws, for the chat client: WebSocket shares the HTTP port."""
    host = environ.get("HOST", Settings.host)
    return f"ws://{Settings(host=host).address(_port(environ, 'HTTP_PORT', Settings.http_port))}/ws"


def _services(environ: Mapping[str, str]) -> tuple[str, ...]:
    raw = environ.get("SERVICES", ",".join(Settings.services))
    chosen = tuple(name.strip() for name in raw.split(",") if name.strip())
    if "users" not in chosen or not set(chosen) <= {"users", "notifier"}:
        alone = f"python -m {__package__}.notifier"
        raise SettingsError(f"SERVICES={raw!r} must be users or users,notifier (the notifier alone: {alone})")
    return chosen


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = environ.get(name, default).strip().lower()
    if raw not in allowed:
        raise SettingsError(f"{name}={raw!r} is not one of {', '.join(allowed)}")
    return raw


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

"""The lab's settings: the one module that reads the environment.

Everything else receives a `Settings` value, so a test (or lab 7's typed configuration) can
change what the service does without touching the code that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


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
    # Threads of the gRPC server; the health service keeps some of them for itself.
    grpc_threads: int = 16
    grpc_health_threads: int = 4
    grpc_watch_threads: int = 2

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
    )


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
        raise SettingsError(f"{name}={raw!r} is not a port: use a whole number from 1 to 65535")
    return int(raw)

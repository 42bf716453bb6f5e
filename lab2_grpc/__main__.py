"""Start the lab: ``python -m lab2_grpc`` (HOST, HTTP_PORT and GRPC_PORT from the environment).

One process serves REST and gRPC over one store. gRPC starts first, so that once HTTP
/healthz answers 200 both are ready; REST runs in the foreground until SIGINT or SIGTERM.
The signal turns gRPC health NOT_SERVING at once; both servers then finish the calls in
progress (gRPC within a grace period) and the process exits with status 0.
"""

from __future__ import annotations

import logging
import os
import sys

from . import grpc_server
from .api import create_app
from .server import serve
from .store import UserStore


def port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        sys.exit(f"{name}={raw!r} is not a port: use a whole number from 1 to 65535")
    return int(raw)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = os.environ.get("HOST", "127.0.0.1")
    http_port = port_from_env("HTTP_PORT", 8000)
    grpc_port = port_from_env("GRPC_PORT", 50051)
    store = UserStore()
    try:
        grpc = grpc_server.start(store, host, grpc_port)
    except RuntimeError as exc:
        sys.exit(f"cannot serve gRPC on {host}:{grpc_port} (GRPC_PORT): {exc}")
    try:
        serve(create_app(store), host, http_port, on_signal=grpc.begin_stop)
    finally:
        grpc.stop()


if __name__ == "__main__":
    main()

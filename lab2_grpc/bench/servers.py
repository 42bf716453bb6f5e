"""One server under test per process: ``python -m lab2_grpc.bench.servers KIND HOST PORT``.

Each kind runs alone in its own process so that /proc/PID/stat charges it, and only it, with the CPU it
spends. REST runs under the lab's own Waitress ``serve``, gRPC under the lab's own ``grpc_server.start``, with
the store seeded in-process (same users on both) before the port opens: an open port means ready.
"""

from __future__ import annotations

import signal
import sys
import threading

from ..api import create_app
from ..domain import parse_user_fields
from ..grpc_server import start as start_grpc
from ..server import serve
from ..store import UserStore
from . import hello_grpc, hello_rest
from .scenario import seed_users

KINDS = ("rest", "grpc", "rest-hello", "grpc-hello")


def seeded_store() -> UserStore:
    store = UserStore()
    for fields in seed_users():
        store.create(parse_user_fields(fields))
    return store


def _wait_for_signal() -> None:
    """Block the main thread until SIGINT or SIGTERM; gRPC serves from its own threads meanwhile."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def run(kind: str, host: str, port: int) -> None:
    if kind == "rest":
        serve(create_app(seeded_store()), host, port)
    elif kind == "rest-hello":
        serve(hello_rest.create_app(), host, port)
    elif kind == "grpc":
        server = start_grpc(seeded_store(), host, port)
        _wait_for_signal()
        server.stop(grace=1.0)
    elif kind == "grpc-hello":
        bare = hello_grpc.start(host, port)
        _wait_for_signal()
        bare.stop(1.0).wait()
    else:
        sys.exit(f"unknown server kind {kind!r}: use one of {', '.join(KINDS)}")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], int(sys.argv[3]))

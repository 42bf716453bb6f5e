"""The floors, one server per process: ``python -m lab2_grpc.bench.servers KIND PORT``.

The lab itself runs as students run it (``python -m lab2_grpc``, see study.py); these are the bare "hello"
servers its calls are compared with, each alone in its process so that /proc/PID/stat charges it, and only
it, with the CPU it spends:

- ``gunicorn-hello``: a one-route Flask app under the lab's own HTTP server (http_server.serve: Gunicorn,
  one worker, gthread, the lab's threads and keep-alive), the REST floor;
- ``waitress-hello``: the same app under Waitress with 8 threads, the server the lab used before, for
  comparison;
- ``grpc-hello``: a raw-bytes method on a grpcio server with the lab's gRPC settings, the gRPC floor.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading

from ..http_server import serve
from ..lifecycle import Lifecycle
from ..settings import Settings
from . import hello_grpc, hello_rest

KINDS = ("gunicorn-hello", "waitress-hello", "grpc-hello")
HOST = "127.0.0.1"
WAITRESS_THREADS = 8


def _wait_for_signal() -> None:
    """Block the main thread until SIGINT or SIGTERM; gRPC serves from its own threads meanwhile."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def _listener(settings: Settings) -> socket.socket:
    """What http_server.listen does for the lab, for one port only."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.http_port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(kind: str, port: int) -> int:
    settings = Settings(host=HOST, http_port=port, grpc_port=port)
    if kind == "gunicorn-hello":
        lifecycle = Lifecycle([], settings.grace_seconds)
        return serve(hello_rest.create_app(), settings, lifecycle, _listener(settings))
    if kind == "waitress-hello":
        from waitress import serve as waitress_serve  # only the comparison needs it

        waitress_serve(hello_rest.create_app(), host=HOST, port=port, threads=WAITRESS_THREADS, _quiet=True)
        return 0
    if kind == "grpc-hello":
        server = hello_grpc.start(settings)
        _wait_for_signal()
        server.stop(1.0).wait()
        return 0
    sys.exit(f"unknown server kind {kind!r}: use one of {', '.join(KINDS)}")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], int(sys.argv[2])))

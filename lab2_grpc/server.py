"""Serve the app with Waitress, a production WSGI server, until SIGINT or SIGTERM.

Waitress runs one process with a pool of threads. That is what an in-memory store needs:
every request sees the same dict. A pre-fork server with several worker processes would
give each worker its own copy, and users created in one would be missing from the others.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

from flask import Flask
from waitress import create_server

log = logging.getLogger(__name__)


def serve(app: Flask, host: str, port: int, threads: int = 8, on_signal: Callable[[], None] = lambda: None) -> None:
    """Serve until SIGINT or SIGTERM, then let requests in progress finish and return.

    `on_signal` runs first thing on the signal, so that the gRPC server starts its own graceful stop
    (health NOT_SERVING) at the same moment as REST, not after REST has drained.
    """
    server = create_server(app, host=host, port=port, threads=threads, ident="lab2_grpc")

    def exit_on_signal(signum: int, frame: FrameType | None) -> None:
        on_signal()
        _exit_on_signal(signum, frame)

    signal.signal(signal.SIGTERM, exit_on_signal)
    signal.signal(signal.SIGINT, exit_on_signal)
    log.info("REST on http://%s:%s (%d threads)", host, port, threads)
    server.run()  # returns once a signal handler raises SystemExit, after in-flight requests end
    server.close()
    log.info("stopped")


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    # Waitress catches SystemExit in its loop and shuts its worker threads down cleanly.
    raise SystemExit(0)

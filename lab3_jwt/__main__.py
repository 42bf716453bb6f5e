"""Start the lab: ``python -m lab3_jwt``, configured by HOST, HTTP_PORT, GRPC_PORT and JWT_SECRET (see settings.py).

This file owns the list of what the lab runs: the HTTP API, served by Gunicorn, and the
components beside it (lab 2 adds the gRPC server, on the same store). They start in order, the lab
is ready (``/healthz`` answers 200) once all of them are, and SIGINT or SIGTERM stops them all
together, each finishing its work in progress within the grace period, with exit status 0.
"""

from __future__ import annotations

import logging
import sys

from .auth import Auth
from .grpc_server import GrpcServer
from .http_server import listen, serve
from .lifecycle import Component, Lifecycle, StartError
from .rest_api import create_app
from .settings import Settings, SettingsError, load
from .store import UserStore


def components(settings: Settings, store: UserStore, auth: Auth) -> list[Component]:
    """What the lab runs beside the HTTP API, in start order."""
    return [GrpcServer(store, settings, auth)]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load()
        listener = listen(settings)
    except SettingsError as exc:
        print(f"{__package__}: {exc}", file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"{__package__}: {exc}", file=sys.stderr)
        return 1
    store = UserStore()
    auth = Auth(store, settings)  # lab 3: one authority for both transports
    lifecycle = Lifecycle(components(settings, store, auth), settings.grace_seconds)
    return serve(create_app(store, settings, auth), settings, lifecycle, listener)


if __name__ == "__main__":
    sys.exit(main())

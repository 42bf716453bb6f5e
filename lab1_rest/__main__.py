"""Start the lab: ``python -m lab1_rest``, configured by HOST and HTTP_PORT (see settings.py).

This file owns the list of what the lab runs: the HTTP API, served by Gunicorn, and the
components beside it (none in lab 1; lab 2 adds the gRPC server). They start in order, the lab
is ready (``/healthz`` answers 200) once all of them are, and SIGINT or SIGTERM stops them all
together, each finishing its work in progress within the grace period, with exit status 0.
"""

from __future__ import annotations

import logging
import sys

from .http_server import listen, serve
from .lifecycle import Component, Lifecycle, StartError
from .rest_api import create_app
from .settings import Settings, SettingsError, load
from .store import UserStore


def components(settings: Settings, store: UserStore) -> list[Component]:
    """What the lab runs beside the HTTP API, in start order."""
    return []


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
    lifecycle = Lifecycle(components(settings, store), settings.grace_seconds)
    return serve(create_app(store, settings), settings, lifecycle, listener)


if __name__ == "__main__":
    sys.exit(main())

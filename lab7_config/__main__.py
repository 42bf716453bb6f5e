"""Start the lab: ``python -m lab7_config``, configured by the environment (see settings.py).

This file owns the list of what the lab runs: the HTTP API, served by Gunicorn, and the
components beside it (lab 2 adds the gRPC server, on the same store; lab 4 the WebSocket server,
which serves the connections that upgrade on the HTTP port). They start in order, the lab is
ready (``/healthz`` answers 200) once all of them are, and SIGINT or SIGTERM stops them all
together, each finishing its work in progress within the grace period, with exit status 0.

Lab 6: the process logs ECS JSON lines (logs.py) and keeps its metrics in one registry, served at
GET /metrics: HTTP by route, gRPC by method, WebSocket, and the outbox (metrics.py).

Lab 7: every setting comes from the environment or a ``.env`` file (settings.py); a bad value stops
the start with exit status 2 and a line per problem, and ``python -m lab7_config --print-config``
shows the settings the lab would run with, and where each came from, without starting it.
"""

from __future__ import annotations

import sys

from . import brokers, logs, metrics, stores, ws_api
from .auth import Auth
from .chat import Hub
from .grpc_server import GrpcServer
from .http_server import MAX_CONNECTIONS, listen, serve
from .lifecycle import Component, Lifecycle, StartError
from .metrics import UsersMetrics
from .notifier import NotifierProcess
from .outbox import OutboxRelay
from .postgres_store import PostgresStore
from .rest_api import create_app
from .settings import Settings, SettingsError, describe, read, validated
from .store import Store
from .ws_server import WebSocketServer


def components(
    settings: Settings, store: Store, auth: Auth, websockets: WebSocketServer, observed: UsersMetrics
) -> list[Component]:
    """What the lab runs beside the HTTP API, in start order (lab 5: the notifier first, so it is ready to consume).

    Lab 7: a PostgreSQL store before everything, since everything uses it: it connects in the worker.
    """
    database = [store] if isinstance(store, PostgresStore) else []
    notifier = [NotifierProcess(settings)] if "notifier" in settings.services else []
    return [
        *database,
        *notifier,
        OutboxRelay(store, lambda: brokers.publisher(settings), observed),
        GrpcServer(store, settings, auth, observed),
        websockets,
    ]


def main(argv: list[str]) -> int:
    if argv not in ([], ["--print-config"]):
        print(f"usage: python -m {__package__} [--print-config]", file=sys.stderr)
        return 2
    try:
        sources = read()  # lab 7: the environment, then the .env file
        settings = validated(sources)
        if argv:  # lab 7: what the lab would run with, and where each value comes from; nothing starts
            print("\n".join(describe(settings, sources)))
            return 0
        logs.setup(settings, "users")  # lab 6: ECS JSON lines on stdout
        listener = listen(settings)
    except SettingsError as exc:
        for problem in exc.problems:  # lab 7: every bad variable at once, one line each
            print(f"{__package__}: {problem}", file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"{__package__}: {exc}", file=sys.stderr)
        return 1
    store = stores.open_store(settings)  # lab 7: DATABASE_URL says which
    auth = Auth(store, settings)  # lab 3: one authority for both transports
    observed = UsersMetrics(metrics.registry())  # lab 6: this process's metrics, served at GET /metrics
    hub = Hub(settings, observed)  # lab 4: the chat rooms, served by the WebSocket server on the HTTP port
    websockets = WebSocketServer(settings, hub, reserved_files=MAX_CONNECTIONS + 100)
    app = create_app(store, settings, auth, observed.registry)  # lab 6: with HTTP RED by route, and GET /metrics
    ws_api.install(app, hub, auth, store, settings)
    lifecycle = Lifecycle(components(settings, store, auth, websockets, observed), settings.grace_seconds)
    return serve(app, settings, lifecycle, listener, websockets)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

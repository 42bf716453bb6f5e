"""Start the lab: ``python -m lab7_config``, configured by the environment (see settings.py).

This file owns the list of what the lab runs: the HTTP API, served by Gunicorn, and the
components beside it (lab 2 adds the gRPC server, on the same store; lab 4 the WebSocket server,
which serves the connections that upgrade on the HTTP port). They start in order, the lab is
ready (``/healthz`` answers 200) once all of them are, and SIGINT or SIGTERM stops them all
together, each finishing its work in progress within the grace period, with exit status 0.

Lab 6: the process logs ECS JSON lines (logs.py) and keeps its metrics in one registry, served at
GET /metrics: HTTP by route, gRPC by method, WebSocket, and the outbox (metrics.py).
"""

from __future__ import annotations

import sys

from . import brokers, logs, metrics, ws_api
from .auth import Auth
from .chat import Hub
from .grpc_server import GrpcServer
from .http_server import MAX_CONNECTIONS, listen, serve
from .lifecycle import Component, Lifecycle, StartError
from .metrics import UsersMetrics
from .notifier import NotifierProcess
from .outbox import OutboxRelay
from .rest_api import create_app
from .settings import Settings, SettingsError, load
from .store import UserStore
from .ws_server import WebSocketServer


def components(
    settings: Settings, store: UserStore, auth: Auth, websockets: WebSocketServer, observed: UsersMetrics
) -> list[Component]:
    """What the lab runs beside the HTTP API, in start order (lab 5: the notifier first, so it is ready to consume)."""
    notifier = [NotifierProcess(settings)] if "notifier" in settings.services else []
    return [
        *notifier,
        OutboxRelay(store, lambda: brokers.publisher(settings), observed),
        GrpcServer(store, settings, auth, observed),
        websockets,
    ]


def main() -> int:
    try:
        settings = load()
        logs.setup(settings, "users")  # lab 6: ECS JSON lines on stdout
        listener = listen(settings)
    except SettingsError as exc:
        print(f"{__package__}: {exc}", file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"{__package__}: {exc}", file=sys.stderr)
        return 1
    store = UserStore()
    auth = Auth(store, settings)  # lab 3: one authority for both transports
    observed = UsersMetrics(metrics.registry())  # lab 6: this process's metrics, served at GET /metrics
    hub = Hub(settings, observed)  # lab 4: the chat rooms, served by the WebSocket server on the HTTP port
    websockets = WebSocketServer(settings, hub, reserved_files=MAX_CONNECTIONS + 100)
    app = create_app(store, settings, auth, observed.registry)  # lab 6: with HTTP RED by route, and GET /metrics
    ws_api.install(app, hub, auth, store, settings)
    lifecycle = Lifecycle(components(settings, store, auth, websockets, observed), settings.grace_seconds)
    return serve(app, settings, lifecycle, listener, websockets)


if __name__ == "__main__":
    sys.exit(main())

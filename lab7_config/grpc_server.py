"""The gRPC server, one component of the lab: the UserService plus the standard health and reflection services.

grpcio's synchronous server runs each call on a thread of a pool, as Gunicorn does for HTTP, so
both share one in-memory store safely (the store holds the lock).

- Health (grpc.health.v1.Health): what load balancers and Kubernetes probes ask. Each service
  reports SERVING; on stop everything turns NOT_SERVING first, so callers move away.
- Reflection (grpc.reflection.v1alpha.ServerReflection): lets tools such as grpcurl list the
  services and fetch their .proto descriptions from the server, without a copy of the file.
- Authentication (lab 3, grpc_auth.py): every method but health, reflection, CreateUser and
  Login needs `authorization: Bearer <token>` metadata; the interceptor checks it.
- Lab 6: every call is counted and timed by method and status code, joins a trace and is logged
  (grpc_observe.py).
- Limits: requests up to 64 KiB (as REST), and every call within a budget of threads
  (grpc_guard.py), so that held calls cannot starve the others or the health checks.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2
from prometheus_client import CollectorRegistry

from .auth import Auth
from .grpc_auth import AuthInterceptor
from .grpc_guard import Budget, CallGuard
from .grpc_observe import ObservingInterceptor
from .grpc_service import AuthService, UserService
from .lifecycle import StartError
from .metrics import UsersMetrics
from .settings import Settings
from .store import Store
from .users.v1 import users_pb2, users_pb2_grpc

USER_SERVICE = users_pb2.DESCRIPTOR.services_by_name["UserService"].full_name  # "users.v1.UserService"
AUTH_SERVICE = users_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name  # "users.v1.AuthService"
# Lab 6: every service the server has, as the .proto files describe them (for the kind of each method).
SERVICES = [
    *users_pb2.DESCRIPTOR.services_by_name.values(),
    *health_pb2.DESCRIPTOR.services_by_name.values(),
    *reflection_pb2.DESCRIPTOR.services_by_name.values(),
]

log = logging.getLogger(__name__)


class GrpcServer:
    """The lab's gRPC server: started and stopped by the lab's lifecycle."""

    name = "gRPC"

    def __init__(self, store: Store, settings: Settings, auth: Auth, metrics: UsersMetrics | None = None) -> None:
        self._metrics = metrics or UsersMetrics(CollectorRegistry())  # lab 6
        self._store = store
        self._auth = auth
        self._settings = settings
        self._server: grpc.Server | None = None
        self._health = health.HealthServicer()
        self._stopped: threading.Event | None = None

    def start(self) -> None:
        settings = self._settings
        threads = settings.grpc_threads
        guard = CallGuard(
            budgets={
                health.SERVICE_NAME: Budget("health check", settings.grpc_health_threads),
                f"/{health.SERVICE_NAME}/Watch": Budget("health watch", settings.grpc_watch_threads),
            },
            default=Budget("service", threads - settings.grpc_health_threads - settings.grpc_watch_threads),
        )
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="grpc"),
            # Lab 6: every call observed first (counted, timed, traced, logged), refused ones too. Then the
            # guard: every call, with a good token or not, counts against its budget, and a starter's
            # unwritten auth check ends UNIMPLEMENTED. Then authentication, before any handler.
            interceptors=[ObservingInterceptor(self._metrics, SERVICES), guard, AuthInterceptor(self._auth)],
            # Never more calls than threads: one more is refused at once instead of waiting in a queue.
            maximum_concurrent_rpcs=threads,
            options=[
                ("grpc.max_receive_message_length", settings.max_body_bytes),
                # grpcio sets SO_REUSEPORT by default: a second server on a taken port would start
                # and silently share it. Without it, a taken port is an error at start.
                ("grpc.so_reuseport", 0),
            ],
        )
        users_pb2_grpc.add_UserServiceServicer_to_server(UserService(self._store, self._auth), server)
        users_pb2_grpc.add_AuthServiceServicer_to_server(AuthService(self._auth), server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        services = (USER_SERVICE, AUTH_SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(services, server)
        address = settings.address(settings.grpc_port)
        try:
            server.add_insecure_port(address)
        except RuntimeError as exc:
            raise StartError(f"GRPC_PORT={settings.grpc_port}: cannot listen on {address} ({exc})") from None
        server.start()
        for service in (health.OVERALL_HEALTH, USER_SERVICE, AUTH_SERVICE):
            self._health.set(service, health_pb2.HealthCheckResponse.SERVING)
        self._server = server
        log.info("gRPC on %s (%d threads)", address, threads)

    def begin_stop(self, grace: float) -> None:
        """Report NOT_SERVING, refuse new calls, give calls in progress `grace` seconds; returns at once."""
        if self._server is not None and self._stopped is None:
            self._health.enter_graceful_shutdown()
            self._stopped = self._server.stop(grace)

    def wait_stopped(self, timeout: float) -> None:
        if self._stopped is not None:
            self._stopped.wait(timeout)

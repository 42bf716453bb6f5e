"""The gRPC server: the UserService plus the standard health and reflection services.

grpcio's synchronous server runs each call on a thread of a ThreadPoolExecutor, like Waitress
does for HTTP, so both share one in-memory store safely (the store holds the lock).

- Health (grpc.health.v1.Health): what load balancers and Kubernetes probes ask. Each service
  reports SERVING; on shutdown everything turns NOT_SERVING first, so callers move away.
- Reflection (grpc.reflection.v1alpha.ServerReflection): lets tools such as grpcurl list the
  services and fetch their .proto descriptions from the server, without a copy of the file.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from .grpc_errors import MalformedRequestInterceptor
from .servicer import UserServicer
from .store import UserStore
from .users.v1 import users_pb2, users_pb2_grpc

USER_SERVICE = users_pb2.DESCRIPTOR.services_by_name["UserService"].full_name  # "users.v1.UserService"
MAX_MESSAGE_BYTES = 64 * 1024  # as REST's body limit; a larger request ends with RESOURCE_EXHAUSTED
GRACE_SECONDS = 5.0

log = logging.getLogger(__name__)


@dataclass
class GrpcServer:
    """A started server and the health servicer that reports on it."""

    server: grpc.Server
    health: health.HealthServicer
    address: str
    _stopped: threading.Event | None = field(default=None, init=False)

    def begin_stop(self, grace: float = GRACE_SECONDS) -> None:
        """Report NOT_SERVING, refuse new calls, give calls in progress `grace` seconds; returns at once."""
        if self._stopped is None:
            self.health.enter_graceful_shutdown()
            self._stopped = self.server.stop(grace)

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Stop gracefully (see begin_stop) and wait until the server has stopped."""
        self.begin_stop(grace)
        self._stopped.wait()
        log.info("gRPC stopped")


def start(store: UserStore, host: str, port: int, workers: int = 8) -> GrpcServer:
    """Serve the user service on host:port in background threads; raises RuntimeError if the port is taken."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        interceptors=[MalformedRequestInterceptor()],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            # grpcio sets SO_REUSEPORT by default: a second server on a taken port would start
            # and silently share it. Without it, a taken port is an error at start.
            ("grpc.so_reuseport", 0),
        ],
    )
    users_pb2_grpc.add_UserServiceServicer_to_server(UserServicer(store), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((USER_SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = _address(host, port)
    server.add_insecure_port(address)
    server.start()
    for service in (health.OVERALL_HEALTH, USER_SERVICE):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    log.info("gRPC on %s (%d threads)", address, workers)
    return GrpcServer(server, health_servicer, address)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

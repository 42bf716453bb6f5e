"""A Locust user that speaks gRPC, after Locust's own gRPC example.

Locust runs every user as a gevent greenlet. grpcio's blocking calls would stall them all, so
``init_gevent()`` makes grpcio cooperate with gevent; it must run before the first channel exists, which is
why it runs here, at import. An interceptor times each call and fires Locust's ``request`` event, so
gRPC calls land in the same statistics (and web UI) as the REST user's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User
from locust.env import Environment

grpc_gevent.init_gevent()

# Each user gets its own HTTP/2 connection, as each FastHttpUser gets its own HTTP/1.1 one;
# by default grpcio would share one connection between channels to the same target.
CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]


class LocustInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Fire one Locust request event per unary call, named after the operation the user set."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.name = ""

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.ClientCallDetails, request: Any
    ) -> Any:
        started = time.perf_counter()
        response, exception, length = None, None, 0
        try:
            response = continuation(client_call_details, request)
            result = response.result()
            length = result.ByteSize() if hasattr(result, "ByteSize") else len(result)
        except grpc.RpcError as error:
            exception = error
        self.environment.events.request.fire(
            request_type="grpc",
            name=self.name or client_call_details.method,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=length,
            response=response,
            context=None,
            exception=exception,
        )
        return response


class GrpcUser(User):
    """Base class: gives each user a gevent-friendly channel with the interceptor on it."""

    abstract = True

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.interceptor = LocustInterceptor(environment)
        self.raw_channel = grpc.insecure_channel(_target(self.host), options=CHANNEL_OPTIONS)
        self.channel = grpc.intercept_channel(self.raw_channel, self.interceptor)

    def on_stop(self) -> None:
        self.raw_channel.close()


def _target(host: str | None) -> str:
    """Accept ``grpc://host:port`` as Locust's --host as well as plain ``host:port``."""
    if not host:
        raise ValueError("set the gRPC target with --host (for example --host grpc://127.0.0.1:50051)")
    return host.removeprefix("grpc://")

"""The gRPC edge, observed: every call is counted and timed, joins a trace, and is logged once.

The interceptor runs first, before the guard and authentication (grpc_server.py), so that calls
those refuse (RESOURCE_EXHAUSTED, UNAUTHENTICATED) are counted too. Its metrics have the names of
gRPC's own Prometheus middleware: started, handled by status code, and a histogram of durations,
each by service and method. A method the server does not have is answered UNIMPLEMENTED by grpcio
and counted nowhere: a caller cannot make up method names to add series without end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from . import tracing
from .metrics import UsersMetrics

log = logging.getLogger(__name__)

Behavior = Callable[[Any, grpc.ServicerContext], Any]


class ObservingInterceptor(grpc.ServerInterceptor):
    def __init__(self, metrics: UsersMetrics, services: Iterable[ServiceDescriptor]) -> None:
        self.metrics = metrics
        # Each method's kind, from the .proto: the guard after this interceptor serves every call as a stream.
        self.kinds = {f"/{m.full_name.rpartition('.')[0]}/{m.name}": _kind(m) for s in services for m in s.methods}

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        service, _, method = handler_call_details.method.strip("/").partition("/")
        kind = self.kinds.get(handler_call_details.method, "unary")
        call = _Call(self.metrics, kind, service, method)
        if handler.request_streaming and handler.response_streaming:
            return _replace(handler, grpc.stream_stream_rpc_method_handler, call.streaming(handler.stream_stream))
        if handler.request_streaming:
            return _replace(handler, grpc.stream_unary_rpc_method_handler, call.unary(handler.stream_unary))
        if handler.response_streaming:
            return _replace(handler, grpc.unary_stream_rpc_method_handler, call.streaming(handler.unary_stream))
        return _replace(handler, grpc.unary_unary_rpc_method_handler, call.unary(handler.unary_unary))


def _kind(method: MethodDescriptor) -> str:
    """grpc_type, as gRPC's Prometheus middleware names the four kinds of call."""
    if method.client_streaming:
        return "bidi_stream" if method.server_streaming else "client_stream"
    return "server_stream" if method.server_streaming else "unary"


def _replace(handler: grpc.RpcMethodHandler, make: Callable[..., Any], behavior: Behavior) -> grpc.RpcMethodHandler:
    return make(
        behavior, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )


class _Call:
    """One method's instruments: what happens around each of its calls."""

    def __init__(self, metrics: UsersMetrics, kind: str, service: str, method: str) -> None:
        self.metrics = metrics
        self.labels = (kind, service, method)
        self.path = f"/{service}/{method}"

    def unary(self, behavior: Behavior) -> Behavior:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            token, started = self._begin(context)
            try:
                response = behavior(request, context)
            except BaseException:
                self._end(context, started, token, raised=True)
                raise
            self._end(context, started, token, raised=False)
            return response

        return call

    def streaming(self, behavior: Behavior) -> Behavior:
        def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            token, started = self._begin(context)
            try:
                yield from behavior(request, context)
            except BaseException:
                self._end(context, started, token, raised=True)
                raise
            self._end(context, started, token, raised=False)

        return call

    def count(self, code: grpc.StatusCode, seconds: float) -> None:
        """One finished call, in the metrics: handled, by its code's name ("OK", "NOT_FOUND"), and its duration."""
        # >>> lab 6 · _Call.count: count the call, by its method and its code's name; record how long it took
        self.metrics.grpc_handled.labels(*self.labels, code.name).inc()
        self.metrics.grpc_seconds.labels(*self.labels).observe(seconds)
        # <<< lab 6

    def _begin(self, context: grpc.ServicerContext) -> tuple[Any, float]:
        """Join the caller's trace (metadata `traceparent`) or start one, and tell the caller which."""
        incoming = dict(context.invocation_metadata() or ()).get(tracing.HEADER)
        traceparent = tracing.joined(incoming if isinstance(incoming, str) else None)
        context.send_initial_metadata(((tracing.HEADER, traceparent),))
        self.metrics.grpc_started.labels(*self.labels).inc()
        return tracing.enter(traceparent), time.perf_counter()

    def _end(self, context: grpc.ServicerContext, started: float, token: Any, raised: bool) -> None:
        try:
            seconds = time.perf_counter() - started
            code = _code(context, raised)
            try:
                self.count(code, seconds)
            except NotImplementedError:  # a starter's part not written yet: the call goes on unharmed
                pass
            except Exception:  # a metric must never change the answer of the call it measures
                log.exception("counting a call of %s failed", self.path)
            log.info(
                "%s %s", self.path, code.name,
                extra={
                    "rpc.system": "grpc", "rpc.service": self.labels[1], "rpc.method": self.labels[2],
                    "rpc.grpc.status_code": code.value[0], "event.duration": int(seconds * 1e9),
                },
            )  # fmt: skip
        finally:
            tracing.leave(token)  # the thread goes back to the pool: the next call must not inherit this trace


def _code(context: grpc.ServicerContext, raised: bool) -> grpc.StatusCode:
    """How the call ends: the code abort() or set_code() chose; else CANCELLED if the caller went away (a
    deadline, a cancel), UNKNOWN after an unexpected exception, and OK."""
    if context.code() is not None:
        return context.code()
    if not context.is_active():
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN if raised else grpc.StatusCode.OK

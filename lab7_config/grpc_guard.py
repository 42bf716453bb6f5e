"""What happens to a gRPC call before its handler runs: a budget of threads, and requests that parse.

grpcio's synchronous server runs each call on a thread of its pool, and a call whose request
message has not arrived yet already holds its thread: a few clients that open calls and send
nothing, or open reflection streams and stay silent, would hold every thread, and every other
call would wait until its deadline. So every call goes through `CallGuard`:

- A call counts against a budget while it runs. Health checks have a budget of their own, health
  Watch streams (which stay open) another, and the other services share the rest of the pool; a
  call over its budget ends at once with RESOURCE_EXHAUSTED, so callers learn to back off
  instead of hanging, and health checks still answer while the other services, or open Watch
  streams, take every thread they may.
- A call with a single request message is served as a stream: its handler starts at once,
  counts itself, and then waits for the message, so a held call is a counted call.
- Bytes that do not parse as the request message end as INVALID_ARGUMENT: grpcio would answer
  INTERNAL, which blames the server for the client's mistake.
- A part of a starter not written yet (NotImplementedError) ends as UNIMPLEMENTED.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf.message import DecodeError

Behavior = Callable[..., Any]


class Budget:
    """How many calls of one kind may run at once."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self._running = 0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        with self._lock:
            if self._running >= self.limit:
                return False
            self._running += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._running -= 1


class CallGuard(grpc.ServerInterceptor):
    """Run every call within its service's budget, and parse single requests ourselves."""

    def __init__(self, budgets: dict[str, Budget], default: Budget) -> None:
        self._budgets = budgets  # by method ("/grpc.health.v1.Health/Watch") or service ("grpc.health.v1.Health")
        self._default = default

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        service = handler_call_details.method.strip("/").split("/")[0]
        budget = self._budgets.get(handler_call_details.method) or self._budgets.get(service, self._default)
        if handler.request_streaming and handler.response_streaming:
            return _replace(handler, grpc.stream_stream_rpc_method_handler, _streaming(budget, handler.stream_stream))
        if handler.request_streaming:
            return _replace(handler, grpc.stream_unary_rpc_method_handler, _unary(budget, handler.stream_unary))
        parse = handler.request_deserializer or (lambda raw: raw)
        if handler.response_streaming:
            behavior = _streaming(budget, _first_request(parse, handler.unary_stream))
            return _replace(handler, grpc.stream_stream_rpc_method_handler, behavior, raw=True)
        behavior = _unary(budget, _first_request(parse, handler.unary_unary))
        return _replace(handler, grpc.stream_unary_rpc_method_handler, behavior, raw=True)


def _replace(handler: grpc.RpcMethodHandler, make: Callable[..., Any], behavior: Behavior, raw: bool = False):
    return make(
        behavior,
        request_deserializer=None if raw else handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _unary(budget: Budget, behavior: Behavior) -> Behavior:
    def call(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        _enter(budget, context)
        try:
            return behavior(requests, context)
        except NotImplementedError as exc:
            _not_written_yet(context, exc)
        finally:
            budget.release()

    return call


def _streaming(budget: Budget, behavior: Behavior) -> Behavior:
    def call(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        _enter(budget, context)
        try:
            yield from behavior(requests, context)
        except NotImplementedError as exc:
            _not_written_yet(context, exc)
        finally:
            budget.release()

    return call


def _not_written_yet(context: grpc.ServicerContext, exc: NotImplementedError) -> None:
    """A starter's TODO (see the lab's README, "Your job"): UNIMPLEMENTED, naming the part to write."""
    context.abort(grpc.StatusCode.UNIMPLEMENTED, str(exc) or "this part of the lab is not written yet")


def _enter(budget: Budget, context: grpc.ServicerContext) -> None:
    if not budget.try_acquire():
        context.abort(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"the server is busy: {budget.limit} {budget.name} calls are in progress; retry later",
        )


def _first_request(parse: Callable[[bytes], Any], behavior: Behavior) -> Behavior:
    """Adapt a single-request behavior to a request stream: read one message, parse it, call it."""

    def call(requests: Iterator[bytes], context: grpc.ServicerContext) -> Any:
        raw = next(requests, None)
        if raw is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the call carried no request message")
        try:
            request = parse(raw)
        except DecodeError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid message: {exc}")
        return behavior(request, context)

    return call

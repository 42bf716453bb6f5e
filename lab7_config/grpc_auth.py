"""The gRPC side of authentication: a server interceptor in front of every method but the public ones.

An interceptor sees each call before its handler: the method's full name and the metadata
(gRPC's headers). This one lets the public methods through untouched and, for every other one,
wraps the handler so that it first reads ``authorization: Bearer <token>``: without a valid
token the call ends UNAUTHENTICATED with a message saying why, before the handler runs;
with one, the caller's Identity is set in a context variable the handlers read (`caller()`).

The check runs inside the handler's own behaviour, on the thread that serves the call, so the
context variable belongs to that call alone, and the call guard around it (grpc_guard.py)
counts the call against its budget whether or not the token is good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import grpc
from grpc_health.v1 import health
from grpc_reflection.v1alpha import reflection

from .auth import Auth
from .domain import NotAuthenticated
from .grpc_errors import domain_errors_as_status
from .tokens import Identity

# Whole services, and single methods, that need no token: health checks and reflection (what
# probes and tools ask), registration and login (how a caller gets a token in the first place).
PUBLIC_SERVICES = frozenset({health.SERVICE_NAME, reflection.SERVICE_NAME, "grpc.reflection.v1.ServerReflection"})
PUBLIC_METHODS = frozenset({"/users.v1.UserService/CreateUser", "/users.v1.AuthService/Login"})

_CALLER: ContextVar[Identity | None] = ContextVar("caller", default=None)


def caller() -> Identity:
    """The identity of the call being served (set by AuthInterceptor before the handler runs)."""
    identity = _CALLER.get()
    if identity is None:  # a protected handler reached without the interceptor: a wiring mistake
        raise NotAuthenticated("this call needs an access token")
    return identity


def is_public(method: str) -> bool:
    return method in PUBLIC_METHODS or method.strip("/").split("/")[0] in PUBLIC_SERVICES


class AuthInterceptor(grpc.ServerInterceptor):
    """UNAUTHENTICATED for a protected call without a valid bearer token; the caller's identity for the others."""

    def __init__(self, auth: Auth) -> None:
        self._auth = auth

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or is_public(handler_call_details.method):
            return handler
        return _wrapped(handler, self._check)

    def _check(self, context: grpc.ServicerContext) -> Identity:
        # >>> lab 3 · AuthInterceptor._check: identify the caller by the `authorization` metadata, else UNAUTHENTICATED
        values = [value for key, value in context.invocation_metadata() if key == "authorization"]
        with domain_errors_as_status(context):
            if len(values) > 1:
                raise NotAuthenticated("send one authorization metadata entry, not several")
            return self._auth.identify(values[0] if values else None)
        # <<< lab 3


_KINDS = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


def _wrapped(handler: grpc.RpcMethodHandler, check: Callable[[grpc.ServicerContext], Identity]) -> Any:
    """The same handler, whose behaviour first identifies the caller and holds the identity while it runs."""
    attribute, make = _KINDS[(handler.request_streaming, handler.response_streaming)]
    behavior = getattr(handler, attribute)

    if handler.response_streaming:

        def streaming(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            token = _CALLER.set(check(context))
            try:
                yield from behavior(request, context)
            finally:
                _CALLER.reset(token)

        call: Callable[..., Any] = streaming
    else:

        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            token = _CALLER.set(check(context))
            try:
                return behavior(request, context)
            finally:
                _CALLER.reset(token)

        call = unary
    return make(
        call, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )

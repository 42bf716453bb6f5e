"""One id that follows a registration from the REST or gRPC call to the notification: the trace id.

The format is W3C Trace Context's ``traceparent``: ``00-<trace id: 32 hex>-<span id: 16 hex>-01``.
A caller that is already part of a trace sends its ``traceparent`` (an HTTP header, or gRPC
metadata) and the service joins that trace; otherwise the edge starts a new one. The trace id
lives in a context variable while the request is handled, so every log line written meanwhile
carries it (logs.py), and the registration's event carries it onward (the CloudEvents
distributed-tracing extension, events.py): the notifier logs its work under the same id.

Only the ids are made here, not timed spans: that is the job of a tracing system such as
OpenTelemetry, whose propagation format this is.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

HEADER = "traceparent"  # the HTTP header, the gRPC metadata key and the CloudEvents attribute
# Version 00, a trace id and a parent id that are not all zeros, and flags.
TRACEPARENT = re.compile(r"00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-[0-9a-f]{2}")

_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    """A traceparent for a new span: in the given trace, or in a new one."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def trace_id(traceparent: str | None) -> str | None:
    """The trace id a valid traceparent carries; None for anything else (which starts a new trace)."""
    match = TRACEPARENT.fullmatch(traceparent or "")
    return match[1] if match else None


def joined(incoming: str | None) -> str:
    """This service's traceparent for a request that arrived with `incoming` (a caller's, or none)."""
    return new_traceparent(trace_id(incoming))


def current() -> str | None:
    """The traceparent of the request (or event) being handled in this context, if any."""
    return _current.get()


def current_trace_id() -> str | None:
    return trace_id(_current.get())


def enter(traceparent: str | None) -> Token:
    """From now on in this context, what is logged carries `traceparent`'s trace id (until `leave`)."""
    return _current.set(traceparent)


def leave(token: Token) -> None:
    _current.reset(token)


@contextmanager
def traced(traceparent: str | None) -> Iterator[None]:
    """Handle one request or event under `traceparent`: what is logged meanwhile carries its trace id."""
    token = enter(traceparent)
    try:
        yield
    finally:
        leave(token)

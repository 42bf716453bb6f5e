"""The HTTP edge, observed: every request joins a trace and is logged once, with its outcome.

The request's ``traceparent`` header (W3C Trace Context) joins the caller's trace; without one the
request starts a trace of its own. The answer's ``traceparent`` header tells the caller which, so
that a registration's trace id is known to whoever made it: it is what to search the logs for.
The access line is written after the answer is made, with ECS's field names: method, path (never
the query string, which may carry a token), status, and the duration in nanoseconds.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from . import tracing

log = logging.getLogger(__name__)


def install(app: Flask) -> None:
    """Trace and log every request of `app`."""
    app.before_request(_begin)
    app.after_request(_log)
    app.teardown_request(_end)


def _begin() -> None:
    g.traceparent = tracing.joined(request.headers.get(tracing.HEADER))
    g.trace_token = tracing.enter(g.traceparent)
    g.started = time.perf_counter()


def _log(response: Response) -> Response:
    if "traceparent" not in g:  # a request that failed before it began (Flask's own 404 for a bad host, say)
        return response
    response.headers[tracing.HEADER] = g.traceparent
    if not log.isEnabledFor(logging.INFO):  # LOG_LEVEL=warning: no access lines, and nothing to build them
        return response
    duration = time.perf_counter() - g.started
    path = _path()
    log.info(
        "%s %s %d", request.method, path, response.status_code,
        extra={
            "http.request.method": request.method, "url.path": path,
            "http.response.status_code": response.status_code, "event.duration": int(duration * 1e9),
        },
    )  # fmt: skip
    return response


def _path() -> str:
    """The path as it arrived, still percent-encoded (a decoded %0A would start a forged line in a text
    log), without the query string (it may carry a token)."""
    return request.environ.get("RAW_URI", request.path).split("?", 1)[0]


def _end(exc: BaseException | None) -> None:
    if "trace_token" in g:
        tracing.leave(g.pop("trace_token"))

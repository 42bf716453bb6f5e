"""REST errors as RFC 9457 problem details: one JSON shape for every failure the API can return."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .domain import (
    DomainError,
    EmailTaken,
    FieldError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    TooManyAttempts,
    Unavailable,
    UserNotFound,
)

PROBLEM_JSON = "application/problem+json"

_STATUS_BY_ERROR: dict[type[DomainError], tuple[int, str]] = {
    InvalidInput: (422, "Unprocessable Content"),
    UserNotFound: (404, "Not Found"),
    EmailTaken: (409, "Conflict"),
    NotAuthenticated: (401, "Unauthorized"),
    Forbidden: (403, "Forbidden"),
    TooManyAttempts: (429, "Too Many Requests"),
    Unavailable: (503, "Service Unavailable"),  # lab 7: the database is out of reach
}
REALM = "users"


def problem(status: int, title: str, detail: str, errors: list[FieldError] | None = None) -> Response:
    """Build a problem+json response; `errors` (when given) names each bad field."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NotImplementedError, _not_written_yet)
    app.register_error_handler(Exception, _unexpected_error)


def domain_problem(exc: DomainError) -> Response:
    """The problem a domain error stands for: 422 invalid input, 404 no such user, 409 email taken; 401, 403, 429."""
    status, title = _STATUS_BY_ERROR[type(exc)]
    errors = exc.errors if isinstance(exc, InvalidInput) else None
    if isinstance(exc, EmailTaken):
        errors = [FieldError("email", "is already registered")]
    response = problem(status, title, str(exc), errors)
    if isinstance(exc, NotAuthenticated):
        response.headers["WWW-Authenticate"] = www_authenticate(str(exc))
    if isinstance(exc, TooManyAttempts | Unavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def www_authenticate(reason: str) -> str:
    """RFC 6750, 3: how to authenticate; `invalid_token` and why, when a token was sent and refused."""
    if "Authorization" not in request.headers or request.endpoint == "users.login":
        return f'Bearer realm="{REALM}"'
    description = reason.replace("\\", "").replace('"', "'")
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'


def _http_error(exc: HTTPException) -> Response:
    """Werkzeug's own errors (404 route, 405, 413, 415, ...) keep their status and headers."""
    response = problem(exc.code or 500, exc.name, exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _not_written_yet(exc: NotImplementedError) -> Response:
    """A starter's TODO (see the lab's README, "Your job"): 501, naming the part to write."""
    return problem(501, "Not Implemented", str(exc) or "this part of the lab is not written yet")


def _unexpected_error(exc: Exception) -> Response:
    current_app.logger.exception("unhandled error")
    return _http_error(InternalServerError("the server failed; the error is in its log"))

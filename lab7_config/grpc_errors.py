"""Domain errors as gRPC status codes: what rest_errors.py is to REST, this is to gRPC.

The code says what kind of failure it was, so a client can react without reading text:
INVALID_ARGUMENT (REST 422), NOT_FOUND (404), ALREADY_EXISTS (409), and from lab 3
UNAUTHENTICATED (401), PERMISSION_DENIED (403), RESOURCE_EXHAUSTED (429). The message names the
field for people. For programs, INVALID_ARGUMENT also carries a google.rpc.BadRequest in the
status details (the ``grpc-status-details-bin`` trailer) with one violation per bad field:
the counterpart of the problem's ``errors`` list.

Requests that are not even valid protobuf are answered INVALID_ARGUMENT before any servicer
runs (grpc_guard.py), and calls beyond the server's budget RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

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

# Messages travel in a trailer, and trailers are small (clients refuse more than 16 KiB by default):
# an error that quotes a 60 KiB id must not turn into a transport failure.
MAX_MESSAGE_CHARS = 1000

_CODE_BY_ERROR: dict[type[DomainError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    UserNotFound: grpc.StatusCode.NOT_FOUND,
    EmailTaken: grpc.StatusCode.ALREADY_EXISTS,
    # Lab 3: no valid token or wrong credentials; another user's record; too many failed logins.
    NotAuthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    TooManyAttempts: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,  # lab 7: the database is out of reach; clients may retry
}


@contextmanager
def domain_errors_as_status(context: grpc.ServicerContext) -> Iterator[None]:
    """End the call with the status that matches a DomainError raised inside the block."""
    try:
        yield
    except DomainError as exc:
        context.abort_with_status(status_for(exc))


def status_for(exc: DomainError) -> grpc.Status:
    code = _CODE_BY_ERROR[type(exc)]
    status = status_pb2.Status(code=code.value[0], message=_shorten(str(exc)))
    if isinstance(exc, InvalidInput):
        status.details.append(_packed(bad_request(exc.errors)))
    return rpc_status.to_status(status)


def bad_request(errors: list[FieldError]) -> error_details_pb2.BadRequest:
    violations = [
        error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.message) for error in errors
    ]
    return error_details_pb2.BadRequest(field_violations=violations)


def _packed(message: error_details_pb2.BadRequest) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


def _shorten(text: str) -> str:
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 1] + "…"

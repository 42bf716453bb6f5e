"""The gRPC UserService: translates protobuf messages to calls on the user store and back.

It is the gRPC twin of rest_api.py and holds no rules of its own: validation (parse_user_fields),
storage (UserStore) and errors (DomainError) are the ones the REST API uses, so both
transports accept the same input and, sharing one store, see the same users.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import grpc
from google.protobuf import empty_pb2, timestamp_pb2

from .domain import FieldError, InvalidInput, User, UserFields, parse_user_fields
from .grpc_errors import domain_errors_as_status
from .store import UserStore
from .users.v1 import users_pb2, users_pb2_grpc

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 1_000_000_000
_TOKEN_PREFIX = "offset:"


class UserService(users_pb2_grpc.UserServiceServicer):
    """One method per RPC; each runs on a thread of the server's pool, the store does the locking."""

    def __init__(self, store: UserStore) -> None:
        self._store = store

    def CreateUser(self, request: users_pb2.CreateUserRequest, context: grpc.ServicerContext) -> users_pb2.User:
        with domain_errors_as_status(context):
            return user_message(self._store.create(_fields(request)))

    def GetUser(self, request: users_pb2.GetUserRequest, context: grpc.ServicerContext) -> users_pb2.User:
        with domain_errors_as_status(context):
            return user_message(self._store.get(_required_id(request.id)))

    def ListUsers(
        self, request: users_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> users_pb2.ListUsersResponse:
        with domain_errors_as_status(context):
            page_size, offset = _page(request)
            # Ask for one more than the page holds: if it comes back, there is a next page.
            users = self._store.list(page_size + 1, offset)
            more = len(users) > page_size
            return users_pb2.ListUsersResponse(
                users=[user_message(user) for user in users[:page_size]],
                next_page_token=page_token(offset + page_size) if more else "",
            )

    def UpdateUser(self, request: users_pb2.UpdateUserRequest, context: grpc.ServicerContext) -> users_pb2.User:
        with domain_errors_as_status(context):
            user_id, fields = _id_and_fields(request)
            return user_message(self._store.update(user_id, fields))

    def DeleteUser(self, request: users_pb2.DeleteUserRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        with domain_errors_as_status(context):
            self._store.delete(_required_id(request.id))
            return empty_pb2.Empty()


def user_message(user: User) -> users_pb2.User:
    return users_pb2.User(
        id=user.id,
        name=user.name,
        email=user.email,
        create_time=_timestamp(user.created_at),
        update_time=_timestamp(user.updated_at),
    )


def page_token(offset: int) -> str:
    """Opaque to clients on purpose: the server may change what is inside without breaking them."""
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode()


def _timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _fields(request: users_pb2.CreateUserRequest | users_pb2.UpdateUserRequest) -> UserFields:
    # proto3 has no "missing": an unset string arrives as "", which the domain refuses as empty.
    return parse_user_fields({"name": request.name, "email": request.email})


def _required_id(user_id: str) -> str:
    if not user_id:
        raise InvalidInput([FieldError("id", "must not be empty")])
    return user_id


def _id_and_fields(request: users_pb2.UpdateUserRequest) -> tuple[str, UserFields]:
    """Check the id and both fields together, so one answer names every bad field."""
    errors = [] if request.id else [FieldError("id", "must not be empty")]
    try:
        fields = _fields(request)
    except InvalidInput as exc:
        errors += exc.errors
    if errors:
        raise InvalidInput(errors)
    return request.id, fields


def _page(request: users_pb2.ListUsersRequest) -> tuple[int, int]:
    """(page size, offset); AIP-158: 0 means the default and too large is lowered, not refused."""
    errors: list[FieldError] = []
    if request.page_size < 0:
        errors.append(FieldError("page_size", "must not be negative"))
    offset = _offset(request.page_token, errors)
    if errors:
        raise InvalidInput(errors)
    return min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), offset


def _offset(token: str, errors: list[FieldError]) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    digits = text.removeprefix(_TOKEN_PREFIX)
    if text.startswith(_TOKEN_PREFIX) and digits.isdigit() and len(digits) <= 10 and int(digits) <= MAX_OFFSET:
        return int(digits)
    errors.append(FieldError("page_token", "is not a token from a previous ListUsers answer"))
    return 0

"""The gRPC UserService: translates protobuf messages to calls on the user store and back.

It is the gRPC twin of rest_api.py and holds no rules of its own: validation (parse_user_fields),
storage (UserStore) and errors (DomainError) are the ones the REST API uses, so both
transports accept the same input and, sharing one store, see the same users.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import UTC, datetime

import grpc
from google.protobuf import empty_pb2, timestamp_pb2

from .auth import Auth
from .domain import FieldError, InvalidInput, User, UserFields, UserNotFound, parse_registration, parse_user_fields
from .grpc_auth import caller
from .grpc_errors import domain_errors_as_status
from .store import Store
from .users.v1 import users_pb2, users_pb2_grpc

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 1_000_000_000
_TOKEN_PREFIX = "offset:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)


class UserService(users_pb2_grpc.UserServiceServicer):
    """One method per RPC; each runs on a thread of the server's pool, the store does the locking."""

    def __init__(self, store: Store, auth: Auth) -> None:
        self._store = store
        self._auth = auth

    def CreateUser(self, request: users_pb2.CreateUserRequest, context: grpc.ServicerContext) -> users_pb2.User:
        with domain_errors_as_status(context):
            # >>> lab 2 · CreateUser: validate the request's fields, store the user, answer it as a User message
            return user_message(self._auth.register(_registration(request)))
            # <<< lab 2

    def GetUser(self, request: users_pb2.GetUserRequest, context: grpc.ServicerContext) -> users_pb2.User:
        with domain_errors_as_status(context):
            # >>> lab 2 · GetUser: answer the user with request.id (an empty id is INVALID_ARGUMENT)
            return user_message(self._store.get(_required_id(request.id)))
            # <<< lab 2

    def ListUsers(
        self, request: users_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> users_pb2.ListUsersResponse:
        with domain_errors_as_status(context):
            # >>> lab 2 · ListUsers: answer one page of users, oldest first, and the token of the next page
            page_size, offset = _page(request)
            # Ask for one more than the page holds: if it comes back, there is a next page.
            users = self._store.list(page_size + 1, offset)
            more = len(users) > page_size
            return list_response(users[:page_size], page_token(offset + page_size) if more else "")
            # <<< lab 2

    def UpdateUser(self, request: users_pb2.UpdateUserRequest, context: grpc.ServicerContext) -> users_pb2.User:
        with domain_errors_as_status(context):
            # >>> lab 2 · UpdateUser: replace the user's name and email; answer the updated User
            user_id, fields = _id_and_fields(request)
            self._may_change(user_id)
            return user_message(self._store.update(user_id, fields))
            # <<< lab 2

    def DeleteUser(self, request: users_pb2.DeleteUserRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        with domain_errors_as_status(context):
            # >>> lab 2 · DeleteUser: delete the user with request.id; answer the empty message
            self._may_change(_required_id(request.id))
            self._store.delete(request.id)
            return empty_pb2.Empty()
            # <<< lab 2

    def _may_change(self, user_id: str) -> None:
        """Lab 3: NOT_FOUND for no such user, then PERMISSION_DENIED unless it is the caller's (or an admin calls)."""
        if not self._store.exists(user_id):
            raise UserNotFound(user_id)
        self._auth.may_change(caller(), user_id)


class AuthService(users_pb2_grpc.AuthServiceServicer):
    """Lab 3: the public Login call, which exchanges an email and a password for an access token."""

    def __init__(self, auth: Auth) -> None:
        self._auth = auth

    def Login(self, request: users_pb2.LoginRequest, context: grpc.ServicerContext) -> users_pb2.LoginResponse:
        with domain_errors_as_status(context):
            # >>> lab 3 · Login: log in with request.email and request.password; answer the token and its lifetime
            token, expires_in = self._auth.login(request.email, request.password)
            return users_pb2.LoginResponse(access_token=token, expires_in=expires_in, token_type="Bearer")
            # <<< lab 3


def user_message(user: User) -> users_pb2.User:
    message = users_pb2.User(id=user.id, name=user.name, email=user.email)
    _set_time(message.create_time, user.created_at)
    _set_time(message.update_time, user.updated_at)
    return message


def list_response(users: Iterable[User], next_page_token: str = "") -> users_pb2.ListUsersResponse:
    """The users, built in place inside one response: `add()` appends a message the response owns.

    Building each user as a message of its own and passing the list in would copy every one of them again.
    """
    response = users_pb2.ListUsersResponse(next_page_token=next_page_token)
    add = response.users.add
    for user in users:
        message = add(id=user.id, name=user.name, email=user.email)
        _set_time(message.create_time, user.created_at)
        _set_time(message.update_time, user.updated_at)
    return response


def page_token(offset: int) -> str:
    """Opaque to clients on purpose: the server may change what is inside without breaking them."""
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode()


def _set_time(stamp: timestamp_pb2.Timestamp, moment: datetime) -> None:
    """What `stamp.FromDatetime(moment)` does (a naive moment is UTC), in integer arithmetic.

    FromDatetime goes through a time tuple and calendar.timegm, several times slower; this is the
    difference between protobuf encoding slower than JSON and faster.
    """
    since = moment - (_EPOCH if moment.tzinfo is not None else _NAIVE_EPOCH)
    stamp.seconds = since.days * 86_400 + since.seconds
    stamp.nanos = since.microseconds * 1_000


def _fields(request: users_pb2.CreateUserRequest | users_pb2.UpdateUserRequest) -> UserFields:
    # proto3 has no "missing": an unset string arrives as "", which the domain refuses as empty.
    return parse_user_fields({"name": request.name, "email": request.email})


def _registration(request: users_pb2.CreateUserRequest):
    """Lab 3: the fields and the password; proto3 sends no password as "", which means none."""
    data = {"name": request.name, "email": request.email}
    if request.password:
        data["password"] = request.password
    return parse_registration(data)


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

"""The UserService over a real channel: every method and error code, and the same text rules as REST."""

from __future__ import annotations

import grpc
import pytest
import requests
from google.protobuf import empty_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from common.grading import unique_email

from ..users.v1 import users_pb2
from .conftest import ADMIN

TIMEOUT = 5.0


def create(stub, name: str = "Ada Lovelace", email: str | None = None) -> users_pb2.User:
    request = users_pb2.CreateUserRequest(name=name, email=email or unique_email())
    return stub.CreateUser(request, timeout=TIMEOUT)


def rpc_error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(request, timeout=TIMEOUT)
    return caught.value


def assert_status(error: grpc.RpcError, code: grpc.StatusCode, *fields: str) -> None:
    """The call ended with `code`, and the message names each field."""
    assert error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}"
    for field in fields:
        assert field in error.details(), f"{field!r} not named in {error.details()!r}"


def violated_fields(error: grpc.RpcError) -> list[str]:
    """The fields of the google.rpc.BadRequest in the status details."""
    status = rpc_status.from_call(error)
    assert status is not None, "INVALID_ARGUMENT should carry status details"
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    return [violation.field for violation in bad_request.field_violations]


def test_create_returns_the_stored_user(stub):
    email = unique_email("ada")
    user = create(stub, "Ada Lovelace", email)
    assert user.id and user.name == "Ada Lovelace" and user.email == email
    assert user.create_time.seconds > 0 and user.update_time == user.create_time


def test_get_returns_the_user(stub):
    user = create(stub)
    assert stub.GetUser(users_pb2.GetUserRequest(id=user.id), timeout=TIMEOUT) == user


def test_update_replaces_name_and_email(stub):
    user = create(stub)
    new_email = unique_email("king")
    request = users_pb2.UpdateUserRequest(id=user.id, name="Ada King", email=new_email)
    updated = stub.UpdateUser(request, timeout=TIMEOUT)
    assert (updated.id, updated.name, updated.email) == (user.id, "Ada King", new_email)
    assert updated.create_time == user.create_time
    assert updated.update_time.ToDatetime() >= user.update_time.ToDatetime()


def test_update_may_keep_the_users_own_email_in_other_case(stub):
    user = create(stub)
    request = users_pb2.UpdateUserRequest(id=user.id, name="Ada", email=user.email.upper())
    assert stub.UpdateUser(request, timeout=TIMEOUT).email == user.email.upper()


def test_delete_returns_empty_and_removes_the_user(stub):
    user = create(stub)
    assert stub.DeleteUser(users_pb2.DeleteUserRequest(id=user.id), timeout=TIMEOUT) == empty_pb2.Empty()
    assert_status(rpc_error(stub.GetUser, users_pb2.GetUserRequest(id=user.id)), grpc.StatusCode.NOT_FOUND)


def test_list_pages_through_every_user_oldest_first(stub):
    created = [create(stub, f"Pager {n}") for n in range(5)]
    seen: list[users_pb2.User] = []
    token = ""
    while True:
        page = stub.ListUsers(users_pb2.ListUsersRequest(page_size=2, page_token=token), timeout=TIMEOUT)
        assert len(page.users) <= 2
        seen += page.users
        token = page.next_page_token
        if not token:
            break
    ids = [user.id for user in seen]
    assert len(ids) == len(set(ids)), "a user appeared on two pages"
    positions = [ids.index(user.id) for user in created]
    assert positions == sorted(positions), "users should come oldest first"


def test_list_without_page_size_uses_a_default_and_huge_page_size_is_lowered(stub):
    create(stub)
    assert stub.ListUsers(users_pb2.ListUsersRequest(), timeout=TIMEOUT).users
    huge = stub.ListUsers(users_pb2.ListUsersRequest(page_size=2**31 - 1), timeout=TIMEOUT)
    assert 0 < len(huge.users) <= 1000


@pytest.mark.parametrize(
    ("name", "email", "fields"),
    [
        ("", "ok@example.com", ["name"]),
        ("   ", "ok@example.com", ["name"]),
        ("x" * 101, "ok@example.com", ["name"]),
        ("Ada", "not-an-email", ["email"]),
        ("Ada", "", ["email"]),
        ("", "", ["name", "email"]),
    ],
    ids=["empty-name", "blank-name", "long-name", "bad-email", "empty-email", "both-empty"],
)
def test_invalid_create_is_invalid_argument_naming_the_fields(stub, name, email, fields):
    error = rpc_error(stub.CreateUser, users_pb2.CreateUserRequest(name=name, email=email))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, *fields)
    assert sorted(violated_fields(error)) == sorted(fields)


def test_empty_update_is_invalid_argument_naming_both_fields(stub):
    user = create(stub)
    error = rpc_error(stub.UpdateUser, users_pb2.UpdateUserRequest(id=user.id))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, "name", "email")
    assert sorted(violated_fields(error)) == ["email", "name"]


@pytest.mark.parametrize(
    "request_",
    [
        users_pb2.ListUsersRequest(page_size=-1),
        users_pb2.ListUsersRequest(page_token="not a token"),
        users_pb2.ListUsersRequest(page_token="b2Zmc2V0Oi0x"),  # "offset:-1", well-formed base64
    ],
    ids=["negative-size", "garbage-token", "forged-token"],
)
def test_bad_paging_is_invalid_argument_naming_the_field(stub, request_):
    field = "page_size" if request_.page_size else "page_token"
    assert_status(rpc_error(stub.ListUsers, request_), grpc.StatusCode.INVALID_ARGUMENT, field)


@pytest.mark.parametrize("user_id", ["999999", "not-a-number", "x" * 30_000])
def test_unknown_id_is_not_found_for_get_update_delete(stub, user_id):
    for call, request in [
        (stub.GetUser, users_pb2.GetUserRequest(id=user_id)),
        (stub.UpdateUser, users_pb2.UpdateUserRequest(id=user_id, name="Ada", email=unique_email())),
        (stub.DeleteUser, users_pb2.DeleteUserRequest(id=user_id)),
    ]:
        assert_status(rpc_error(call, request), grpc.StatusCode.NOT_FOUND)


def test_empty_id_is_invalid_argument_naming_id(stub):
    for call, request in [
        (stub.GetUser, users_pb2.GetUserRequest()),
        (stub.DeleteUser, users_pb2.DeleteUserRequest()),
        (stub.UpdateUser, users_pb2.UpdateUserRequest(name="Ada", email=unique_email())),
    ]:
        assert_status(rpc_error(call, request), grpc.StatusCode.INVALID_ARGUMENT, "id")


def test_taken_email_is_already_exists_case_insensitively(stub):
    email = unique_email("grace")
    create(stub, "Grace", email)
    error = rpc_error(stub.CreateUser, users_pb2.CreateUserRequest(name="Copy", email=email.upper()))
    assert_status(error, grpc.StatusCode.ALREADY_EXISTS, "email")


def test_update_to_another_users_email_is_already_exists(stub):
    taken = create(stub).email
    user = create(stub)
    request = users_pb2.UpdateUserRequest(id=user.id, name="Ada", email=taken.title())
    assert_status(rpc_error(stub.UpdateUser, request), grpc.StatusCode.ALREADY_EXISTS, "email")


def test_bytes_that_are_not_a_message_are_invalid_argument(channel):
    """Corrupt bytes fail before the servicer runs; they are still the caller's fault, not INTERNAL."""
    raw_get = channel.unary_unary("/users.v1.UserService/GetUser")  # no serializers: bytes in, bytes out
    for garbage in [b"\xff\xff\xff", b"\x0a\x02\xff\xfe"]:  # corrupt; a string field that is not UTF-8
        assert_status(rpc_error(raw_get, garbage), grpc.StatusCode.INVALID_ARGUMENT)


def test_a_message_past_64_kib_is_resource_exhausted(stub):
    request = users_pb2.CreateUserRequest(name="x" * (64 * 1024), email=unique_email())
    assert_status(rpc_error(stub.CreateUser, request), grpc.StatusCode.RESOURCE_EXHAUSTED)


def test_rest_and_grpc_share_one_store(stub, rest_url):
    over_grpc = create(stub, "Via gRPC")
    got = requests.get(f"{rest_url}/users/{over_grpc.id}", timeout=TIMEOUT, auth=ADMIN)
    assert got.status_code == 200 and got.json()["email"] == over_grpc.email

    over_rest = requests.post(
        f"{rest_url}/users", json={"name": "Via REST", "email": unique_email()}, timeout=TIMEOUT
    ).json()
    user = stub.GetUser(users_pb2.GetUserRequest(id=over_rest["id"]), timeout=TIMEOUT)
    assert (user.name, user.email) == ("Via REST", over_rest["email"])

    duplicate = users_pb2.CreateUserRequest(name="Copy", email=over_rest["email"].upper())
    assert_status(rpc_error(stub.CreateUser, duplicate), grpc.StatusCode.ALREADY_EXISTS)


@pytest.mark.parametrize("character", ["\u0085", "\u2028", "\u202e", "\u2067"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_name_with_a_forbidden_character_is_invalid_argument(stub, character):
    request = users_pb2.CreateUserRequest(name=f"Ada{character}Lovelace", email=unique_email())
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateUser(request, timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "name" in caught.value.details()


@pytest.mark.parametrize("blank", ["\u00a0\u00a0", "\u3000", "\u200b"], ids=["NBSP", "ideographic", "zero-width"])
def test_a_name_of_only_invisible_characters_is_invalid_argument(stub, blank):
    with pytest.raises(grpc.RpcError) as caught:
        stub.CreateUser(users_pb2.CreateUserRequest(name=blank, email=unique_email()), timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "name: must not be blank" in caught.value.details()

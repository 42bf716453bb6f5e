"""gRPC, core: a taken email is ALREADY_EXISTS, and bad input is INVALID_ARGUMENT that changes nothing.

INVALID_ARGUMENT is gRPC's one code for a caller's bad input, so unlike REST's 400-or-422 the code
itself is core; naming the field in the message and the BadRequest details are extras.
"""

from __future__ import annotations

import grpc

from ..context import Context
from ..evidence import expect
from ..grpc_client import GrpcReply
from ..registry import requirement
from .grpc_helpers import Code, create, expect_code, get, same_user, user_of

CRASH_CODES = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)


def expect_invalid_argument(reply: GrpcReply, what: str) -> None:
    if reply.code == Code.INVALID_ARGUMENT:
        return
    if reply.code in CRASH_CODES:
        raise reply.fail(f"{what} should end with INVALID_ARGUMENT; {reply.code.name} says the server broke")
    raise reply.fail(f"{what} should end with INVALID_ARGUMENT, got {reply.code.name}")


def invalid_creates(ctx: Context) -> list[tuple[str, str, list[str]]]:
    """(name, email, bad fields) that the assignment's own rules refuse."""
    return [
        ("", ctx.email(), ["name"]),
        (f"Bad Email {ctx.token()}", "not-an-email", ["email"]),
        (f"No Email {ctx.token()}", "", ["email"]),
        ("", "", ["name", "email"]),
    ]


@requirement(
    "GRPC-CREATE-ALREADY-EXISTS",
    protocol="grpc",
    core=True,
    weight=2,
    title="CreateUser with an email already registered ends with ALREADY_EXISTS",
    hint="Check the email and insert under one lock; abort with StatusCode.ALREADY_EXISTS when taken.",
    depends_on=["GRPC-CREATE"],
)
def create_taken_email(ctx: Context) -> None:
    email = ctx.email("taken")
    create(ctx, "First", email)
    reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Copy", email=email))
    expect_code(reply, Code.ALREADY_EXISTS, "for an email that is already registered")


@requirement(
    "GRPC-UPDATE-ALREADY-EXISTS",
    protocol="grpc",
    core=True,
    weight=1,
    title="UpdateUser to another user's email ends with ALREADY_EXISTS and changes neither user",
    hint="Check the new email against every other user before storing; abort with ALREADY_EXISTS.",
    depends_on=["GRPC-UPDATE"],
)
def update_to_taken_email(ctx: Context) -> None:
    first, second = create(ctx, "First"), create(ctx, "Second")
    request = ctx.grpc.pb.UpdateUserRequest(id=second.id, name="Thief", email=first.email)
    expect_code(ctx.grpc.call("UpdateUser", request), Code.ALREADY_EXISTS, "for another user's email")
    for user in (first, second):
        stored, got = get(ctx, user.id)
        expect(same_user(stored, user), "a refused update must leave both users as they were", got.exchange)


@requirement(
    "GRPC-EMAIL-REUSE",
    protocol="grpc",
    core=True,
    weight=1,
    title="A deleted user's email can register again",
    hint="Deleting a user must free its email too.",
    depends_on=["GRPC-DELETE", "GRPC-CREATE-ALREADY-EXISTS"],
)
def deleted_email_is_free(ctx: Context) -> None:
    user = create(ctx, "Leaving")
    deleted = ctx.grpc.call("DeleteUser", ctx.grpc.pb.DeleteUserRequest(id=user.id))
    expect(deleted.ok, f"DeleteUser should succeed, got {deleted.code.name}", deleted.exchange)
    user_of(ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Returning", email=user.email)))


@requirement(
    "GRPC-INVALID-ARGUMENT",
    protocol="grpc",
    core=True,
    weight=2,
    title="CreateUser with an empty name or a bad email ends with INVALID_ARGUMENT and stores nothing",
    hint="Validate before storing and abort with StatusCode.INVALID_ARGUMENT (never let it end UNKNOWN).",
    depends_on=["GRPC-CREATE"],
)
def invalid_create(ctx: Context) -> None:
    for name, email, fields in invalid_creates(ctx):
        reply = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name=name, email=email))
        expect_invalid_argument(reply, f"a CreateUser with a bad {' and '.join(fields)}")
    email = ctx.email("refused")
    refused = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="", email=email))
    expect_invalid_argument(refused, "a CreateUser with an empty name")
    again = ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name="Valid", email=email))
    expect(again.ok, "a refused CreateUser must not store its email", again.exchange)


@requirement(
    "GRPC-UPDATE-INVALID",
    protocol="grpc",
    core=True,
    weight=1,
    title="UpdateUser with an empty name or a bad email ends with INVALID_ARGUMENT and keeps the user",
    hint="Validate UpdateUser's fields as CreateUser's, before changing the stored user.",
    depends_on=["GRPC-UPDATE"],
)
def invalid_update(ctx: Context) -> None:
    user = create(ctx)
    for name, email in (("", ""), ("Ok", "broken"), ("", ctx.email())):
        reply = ctx.grpc.call("UpdateUser", ctx.grpc.pb.UpdateUserRequest(id=user.id, name=name, email=email))
        expect_invalid_argument(reply, "an UpdateUser with a bad field")
    stored, got = get(ctx, user.id)
    expect(same_user(stored, user), "a refused update must leave the user as it was", got.exchange)

"""Lab 2's exercises (lab2_grpc/README.md, "Exercises"), checked through the gRPC port.

The checks build their requests with the lab's own generated code (``ctx.grpc.pb``), so they see
the .proto as the student changed it; a field that is not there yet is a failure that says so,
and which file to change, before any call is made.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import field_mask_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from common.grader import CheckFailed, Context, Exchange, expect
from common.grader.checks.grpc_helpers import Code, create, expect_code, get, user_of
from common.grader.grpc_client import GrpcReply

from .registry import exercise

LAB = "lab2_grpc"
PROTO = "lab2_grpc/protos/users/v1/users.proto"
REGENERATE = "./run_all.sh generate lab2"
MAX_PAGES = 1000
# The numbers the contract gave the fields: a new field takes a new number, these never change.
CONTRACT_NUMBERS = {
    "User": {"id": 1, "name": 2, "email": 3, "create_time": 4, "update_time": 5},
    "CreateUserRequest": {"name": 1, "email": 2},
    "UpdateUserRequest": {"id": 1, "name": 2, "email": 3},
}
PHONE = "+442079460958"


def _fields(message: Descriptor) -> str:
    return ", ".join(f"{field.name} = {field.number}" for field in message.fields)


def _read_code(ctx: Context, message: str) -> Exchange:
    """The evidence when the generated code itself is wrong: which message holds which fields."""
    descriptor = getattr(ctx.grpc.pb, message).DESCRIPTOR
    return Exchange(f"no call: read {message} in the lab's generated users_pb2", f"{message} {{{_fields(descriptor)}}}")


def _field(ctx: Context, message: str, name: str) -> FieldDescriptor:
    """The field `name` of `message` in the generated code; a clear failure when it is missing."""
    found = getattr(ctx.grpc.pb, message).DESCRIPTOR.fields_by_name.get(name)
    if found is None:
        raise CheckFailed(
            f"{message} has no field {name!r} in the lab's generated code: add it to {PROTO}, then run {REGENERATE}",
            _read_code(ctx, message),
        )
    return found


def _expect_contract_numbers(ctx: Context, message: str) -> None:
    descriptor = getattr(ctx.grpc.pb, message).DESCRIPTOR
    for name, number in CONTRACT_NUMBERS[message].items():
        field = descriptor.fields_by_name.get(name)
        expect(
            field is not None and field.number == number,
            f"{message}.{name} should keep number {number}: old clients send and read it by that number",
            _read_code(ctx, message),
        )


@exercise(
    LAB,
    1,
    title="User and CreateUserRequest have a string phone (new numbers); CreateUser stores it, GetUser returns it",
    hint=f"In {PROTO} add `string phone = 6;` to User and `string phone = 3;` to CreateUserRequest, run "
    f"{REGENERATE}, keep the phone on the stored user (an update keeps it) and set it in every User message.",
)
def phone_field(ctx: Context) -> None:
    for message in ("User", "CreateUserRequest"):
        field = _field(ctx, message, "phone")
        is_string = field.type == FieldDescriptor.TYPE_STRING
        expect(is_string, f"{message}.phone should be a string", _read_code(ctx, message))
        _expect_contract_numbers(ctx, message)
    pb = ctx.grpc.pb
    created = ctx.grpc.call("CreateUser", pb.CreateUserRequest(name="Ada Lovelace", email=ctx.email(), phone=PHONE))
    user = user_of(created, "Ada Lovelace")
    expect(user.phone == PHONE, f"CreateUser should answer the phone it was sent, not {user.phone!r}", created.exchange)
    stored, reply = get(ctx, user.id)
    expect(stored.phone == PHONE, f"GetUser should answer the stored phone {PHONE!r}", reply.exchange)
    without = ctx.grpc.call("CreateUser", pb.CreateUserRequest(name="Alan Turing", email=ctx.email()))
    user_of(without, "Alan Turing")  # the phone is optional: an old client's request still works


def _list(ctx: Context, page_size: int, token: str) -> GrpcReply:
    reply = ctx.grpc.call("ListUsers", ctx.grpc.pb.ListUsersRequest(page_size=page_size, page_token=token))
    if not reply.ok:
        raise reply.fail(f"ListUsers should succeed, got {reply.code.name}")
    return reply


def _page_ending_at(ctx: Context, user_id: str) -> GrpcReply:
    """A page whose last user is `user_id`, reached with the service's own tokens however many users it has."""
    token = ""
    for _ in range(MAX_PAGES):
        reply = _list(ctx, 1000, token)
        ids = [user.id for user in reply.response.users]
        if user_id in ids:
            page = _list(ctx, ids.index(user_id) + 1, token)
            last = page.response.users[-1].id if page.response.users else None
            expect(last == user_id, f"this page should end with user {user_id}", page.exchange)
            return page
        token = reply.response.next_page_token
        expect(token, f"ListUsers ended without user {user_id}, created a moment ago", reply.exchange)
    raise CheckFailed(f"ListUsers still had a next page after {MAX_PAGES} pages")


def _names(users: Any) -> str:
    return ", ".join(user.name for user in users) or "no users"


@exercise(
    LAB,
    2,
    title="After deleting a user between two pages, the next page starts right after the last user returned",
    hint="Put the id of the page's last user in next_page_token (still opaque: encode it), and list the users "
    "created after that id. Ids come from a counter, so their order is the creation order even once the "
    "user is gone; an offset counts users, and a delete moves every later user one place forward.",
)
def tokens_survive_deletes(ctx: Context) -> None:
    word = ctx.token()
    a, b, c, d = (create(ctx, f"Pager {letter} {word}") for letter in "ABCD")
    first = _page_ending_at(ctx, b.id)
    token = first.response.next_page_token
    expect(token, "a page that ends before the last user should have a next_page_token", first.exchange)
    deleted = ctx.grpc.call("DeleteUser", ctx.grpc.pb.DeleteUserRequest(id=b.id))
    expect(deleted.ok, f"DeleteUser should succeed, got {deleted.code.name}", deleted.exchange)
    following = ctx.grpc.call("ListUsers", ctx.grpc.pb.ListUsersRequest(page_size=2, page_token=token))
    expect(
        following.ok,
        f"the token of the page before the delete should still work, got {following.code.name}",
        following.exchange,
    )
    users = list(following.response.users)
    skipped = " (one user was skipped)" if users and users[0].id == d.id else ""
    expect(
        [user.id for user in users] == [c.id, d.id],
        f"the previous page ended with {b.name!r}, then that user was deleted: the next page should hold "
        f"{c.name!r}, {d.name!r}; it holds {_names(users)}{skipped}",
        following.exchange,
    )
    expect(a.id not in {user.id for user in users}, "a user of the previous page came again", following.exchange)


def _update(ctx: Context, user_id: str, paths: list[str], **fields: str) -> GrpcReply:
    """UpdateUser with these mask paths; with none, the mask is left out, as an old client leaves it."""
    request = ctx.grpc.pb.UpdateUserRequest(id=user_id, **fields)
    if paths:
        request.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=paths))
    return ctx.grpc.call("UpdateUser", request)


@exercise(
    LAB,
    3,
    title='UpdateUser with update_mask ["email"] changes only the email; an unknown path is INVALID_ARGUMENT',
    hint=f"In {PROTO} import google/protobuf/field_mask.proto, add `google.protobuf.FieldMask update_mask = 4;` "
    f"to UpdateUserRequest and run {REGENERATE}; take the masked fields from the request and the others from "
    "the stored user (in one step under the store's lock), treat an empty mask as both fields, and refuse a "
    "path other than name or email with INVALID_ARGUMENT naming update_mask.",
)
def update_mask(ctx: Context) -> None:
    mask = _field(ctx, "UpdateUserRequest", "update_mask")
    expect(
        mask.message_type is not None and mask.message_type.full_name == "google.protobuf.FieldMask",
        "UpdateUserRequest.update_mask should be a google.protobuf.FieldMask",
        _read_code(ctx, "UpdateUserRequest"),
    )
    _expect_contract_numbers(ctx, "UpdateUserRequest")
    user = create(ctx, "Ada Lovelace")
    email = ctx.email()
    masked = _update(ctx, user.id, ["email"], email=email)
    user_of(masked, "Ada Lovelace", email)
    stored, reply = get(ctx, user.id)
    kept = (stored.name, stored.email) == ("Ada Lovelace", email)
    expect(kept, "GetUser should show the new email and the old name", reply.exchange)

    replaced_email = ctx.email()
    replaced = _update(ctx, user.id, [], name="Ada King", email=replaced_email)
    user_of(replaced, "Ada King", replaced_email)  # an empty mask replaces both, as before

    unknown = _update(ctx, user.id, ["nickname"], name="Nobody")
    expect_code(unknown, Code.INVALID_ARGUMENT, "for a mask path that is not a field of User")
    expect("update_mask" in unknown.message, "the message should name 'update_mask'", unknown.exchange)
    stored, reply = get(ctx, user.id)
    expect(stored.name == "Ada King", "a refused UpdateUser should change nothing", reply.exchange)

"""gRPC, core: the five UserService calls of the .proto, and NOT_FOUND for unknown ids."""

from __future__ import annotations

from google.protobuf import empty_pb2

from ..context import Context
from ..evidence import expect
from ..registry import requirement
from .grpc_helpers import Code, create, expect_code, get, list_all, same_user, user_of
from .ids import unknown_id_like


@requirement(
    "GRPC-CREATE",
    protocol="grpc",
    core=True,
    weight=3,
    title="CreateUser stores a user and answers it with its id",
    hint="Implement users.v1.UserService/CreateUser from the .proto unchanged; answer the stored User.",
)
def create_user(ctx: Context) -> None:
    create(ctx, "Ada Lovelace", ctx.email("ada"))


@requirement(
    "GRPC-GET",
    protocol="grpc",
    core=True,
    weight=2,
    title="GetUser answers the stored user",
    hint="Look the id up in the same map CreateUser writes to.",
    depends_on=["GRPC-CREATE"],
)
def get_user(ctx: Context) -> None:
    user = create(ctx, "Grace Hopper")
    got, reply = get(ctx, user.id)
    expect(same_user(got, user), "GetUser should answer the user that was created", reply.exchange)


@requirement(
    "GRPC-GET-NOT-FOUND",
    protocol="grpc",
    core=True,
    weight=1,
    title="GetUser of an unknown id ends with NOT_FOUND",
    hint="Abort the call with StatusCode.NOT_FOUND when the id is not in the map.",
    depends_on=["GRPC-CREATE"],
)
def get_unknown(ctx: Context) -> None:
    missing = unknown_id_like(create(ctx).id)
    expect_code(ctx.grpc.call("GetUser", ctx.grpc.pb.GetUserRequest(id=missing)), Code.NOT_FOUND, "for an unknown id")


@requirement(
    "GRPC-LIST",
    protocol="grpc",
    core=True,
    weight=2,
    title="ListUsers answers every user (following next_page_token if it pages)",
    hint="Answer the users of the map in ListUsersResponse.users; leave next_page_token empty on the last page.",
    depends_on=["GRPC-CREATE"],
)
def list_users(ctx: Context) -> None:
    made = [create(ctx, f"Lister {i} {ctx.token()}") for i in range(3)]
    users, reply = list_all(ctx)
    listed = {user.id: user for user in users}
    for user in made:
        expect(
            user.id in listed and same_user(listed[user.id], user),
            f"ListUsers should hold user {user.id}",
            reply.exchange,
        )


@requirement(
    "GRPC-LIST-ORDER",
    protocol="grpc",
    core=True,
    weight=1,
    title="ListUsers lists users oldest first",
    hint="Keep creation order (as the .proto says), not name order or a hash map's order.",
    depends_on=["GRPC-LIST"],
)
def list_oldest_first(ctx: Context) -> None:
    token = ctx.token()
    made = [create(ctx, f"{name} {token}") for name in ("Zed", "Amy", "Mo")]
    users, reply = list_all(ctx)
    ids = [user.id for user in users]
    positions = [ids.index(user.id) if user.id in ids else -1 for user in made]
    expect(-1 not in positions, "ListUsers should hold every user just created", reply.exchange)
    expect(
        positions == sorted(positions),
        f"users created as Zed, Amy, Mo should be listed in that order, they were at positions {positions}",
        reply.exchange,
    )


@requirement(
    "GRPC-UPDATE",
    protocol="grpc",
    core=True,
    weight=2,
    title="UpdateUser replaces name and email, keeps the id, and stores the change",
    hint="Replace both fields of the stored user and answer the updated User.",
    depends_on=["GRPC-GET"],
)
def update_user(ctx: Context) -> None:
    user = create(ctx)
    email = ctx.email("king")
    reply = ctx.grpc.call("UpdateUser", ctx.grpc.pb.UpdateUserRequest(id=user.id, name="Ada King", email=email))
    updated = user_of(reply, "Ada King", email)
    expect(updated.id == user.id, "an update must keep the user's id", reply.exchange)
    stored, got = get(ctx, user.id)
    expect(same_user(stored, updated), "GetUser after UpdateUser should answer the updated user", got.exchange)


@requirement(
    "GRPC-UPDATE-OWN-EMAIL",
    protocol="grpc",
    core=True,
    weight=1,
    title="UpdateUser may keep the user's own email",
    hint="When checking that the email is free, skip the user being updated.",
    depends_on=["GRPC-UPDATE"],
)
def update_keeps_own_email(ctx: Context) -> None:
    user = create(ctx)
    reply = ctx.grpc.call("UpdateUser", ctx.grpc.pb.UpdateUserRequest(id=user.id, name="Same", email=user.email))
    user_of(reply, "Same", user.email)


@requirement(
    "GRPC-UPDATE-NOT-FOUND",
    protocol="grpc",
    core=True,
    weight=1,
    title="UpdateUser of an unknown id ends with NOT_FOUND",
    hint="Abort with StatusCode.NOT_FOUND when the id is not in the map.",
    depends_on=["GRPC-CREATE"],
)
def update_unknown(ctx: Context) -> None:
    missing = unknown_id_like(create(ctx).id)
    request = ctx.grpc.pb.UpdateUserRequest(id=missing, name="Nobody", email=ctx.email())
    expect_code(ctx.grpc.call("UpdateUser", request), Code.NOT_FOUND, "for an unknown id")


@requirement(
    "GRPC-DELETE",
    protocol="grpc",
    core=True,
    weight=2,
    title="DeleteUser answers Empty and the user is gone",
    hint="Remove the user from the map and return google.protobuf.Empty.",
    depends_on=["GRPC-GET-NOT-FOUND", "GRPC-LIST"],
)
def delete_user(ctx: Context) -> None:
    user = create(ctx)
    reply = ctx.grpc.call("DeleteUser", ctx.grpc.pb.DeleteUserRequest(id=user.id))
    expect(reply.ok, f"DeleteUser should succeed, got {reply.code.name}", reply.exchange)
    expect(reply.response == empty_pb2.Empty(), "DeleteUser should answer google.protobuf.Empty", reply.exchange)
    expect_code(ctx.grpc.call("GetUser", ctx.grpc.pb.GetUserRequest(id=user.id)), Code.NOT_FOUND, "for a deleted user")
    users, listing = list_all(ctx)
    expect(user.id not in [u.id for u in users], "ListUsers should no longer hold a deleted user", listing.exchange)


@requirement(
    "GRPC-DELETE-NOT-FOUND",
    protocol="grpc",
    core=True,
    weight=1,
    title="DeleteUser of an unknown id ends with NOT_FOUND",
    hint="Abort with StatusCode.NOT_FOUND when the id is not in the map (a second delete too).",
    depends_on=["GRPC-CREATE"],
)
def delete_unknown(ctx: Context) -> None:
    missing = unknown_id_like(create(ctx).id)
    expect_code(
        ctx.grpc.call("DeleteUser", ctx.grpc.pb.DeleteUserRequest(id=missing)), Code.NOT_FOUND, "for an unknown id"
    )

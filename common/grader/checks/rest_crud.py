"""REST, core: the five calls the assignment asks for, with their success codes, and 404 for unknown ids."""

from __future__ import annotations

from ..context import Context
from ..evidence import expect
from ..registry import requirement
from .rest_helpers import create, expect_status, get, list_all, same_user, unknown_id_like, user_body, user_path


@requirement(
    "REST-CREATE",
    protocol="rest",
    core=True,
    weight=3,
    title="POST /users {name, email} creates a user and answers it with its id",
    hint="Answer a 2xx whose JSON body is the stored user: id, name and email as sent.",
)
def create_user(ctx: Context) -> None:
    create(ctx, "Ada Lovelace", ctx.email("ada"))


@requirement(
    "REST-CREATE-201",
    protocol="rest",
    core=True,
    weight=1,
    title="POST /users answers 201 Created",
    hint="A request that creates a resource answers 201 Created, not 200 OK.",
    depends_on=["REST-CREATE"],
)
def create_answers_201(ctx: Context) -> None:
    reply = ctx.rest.post("/users", {"name": "Ada Lovelace", "email": ctx.email("ada")})
    expect_status(reply, 201, why="for a created user")


@requirement(
    "REST-GET",
    protocol="rest",
    core=True,
    weight=2,
    title="GET /users/{id} answers 200 and the stored user",
    hint="Look the id up in your map and answer the user as JSON with 200.",
    depends_on=["REST-CREATE"],
)
def get_user(ctx: Context) -> None:
    user = create(ctx, "Grace Hopper", ctx.email("grace"))
    reply = ctx.rest.get(user_path(user["id"]))
    expect_status(reply, 200, why="for an existing user")
    expect(same_user(user_body(reply), user), "GET should answer the user that was created", reply.exchange)


@requirement(
    "REST-GET-404",
    protocol="rest",
    core=True,
    weight=1,
    title="GET /users/{id} of an unknown id answers 404",
    hint="When the id is not in the map, answer 404 Not Found (not 200 with null, not 500).",
    depends_on=["REST-CREATE"],
)
def get_unknown(ctx: Context) -> None:
    known = create(ctx)["id"]
    expect_status(ctx.rest.get(user_path(unknown_id_like(known))), 404, why="for an id no user has")


@requirement(
    "REST-LIST",
    protocol="rest",
    core=True,
    weight=2,
    title="GET /users answers 200 and a JSON array holding every user",
    hint="Answer all users of the map as a JSON array (not an object wrapping it).",
    depends_on=["REST-CREATE"],
)
def list_users(ctx: Context) -> None:
    made = [create(ctx, f"Lister {i} {ctx.token()}") for i in range(3)]
    users, reply = list_all(ctx)
    listed = {str(user.get("id")): user for user in users}
    for user in made:
        expect(
            str(user["id"]) in listed and same_user(listed[str(user["id"])], user),
            f"GET /users should hold the user just created ({user['id']}, {user['email']})",
            reply.exchange,
        )


@requirement(
    "REST-LIST-ORDER",
    protocol="rest",
    core=True,
    weight=1,
    title="GET /users lists users oldest first",
    hint="Keep creation order: e.g. a counter or the creation time, not name order or a hash map's order.",
    depends_on=["REST-LIST"],
)
def list_oldest_first(ctx: Context) -> None:
    token = ctx.token()
    made = [create(ctx, f"{name} {token}") for name in ("Zed", "Amy", "Mo")]  # not alphabetical on purpose
    users, reply = list_all(ctx)
    ids = [str(user.get("id")) for user in users]
    positions = [ids.index(str(user["id"])) if str(user["id"]) in ids else -1 for user in made]
    expect(-1 not in positions, "GET /users should hold every user just created", reply.exchange)
    expect(
        positions == sorted(positions),
        "users created as Zed, Amy, Mo should be listed in that order (oldest first), "
        f"they were at positions {positions}",
        reply.exchange,
    )


@requirement(
    "REST-UPDATE",
    protocol="rest",
    core=True,
    weight=2,
    title="PUT /users/{id} {name, email} answers 200 and the updated user, and stores it",
    hint="Replace both fields of the stored user, keep its id, and answer the new user with 200.",
    depends_on=["REST-GET"],
)
def update_user(ctx: Context) -> None:
    user = create(ctx)
    new = {"name": "Ada King", "email": ctx.email("king")}
    reply = ctx.rest.put(user_path(user["id"]), new)
    expect_status(reply, 200, why="for an update")
    updated = user_body(reply, new["name"], new["email"])
    expect(str(updated["id"]) == str(user["id"]), "an update must keep the user's id", reply.exchange)
    stored, got = get(ctx, user["id"])
    expect(same_user(stored, updated), "GET after PUT should answer the updated user", got.exchange)


@requirement(
    "REST-UPDATE-OWN-EMAIL",
    protocol="rest",
    core=True,
    weight=1,
    title="PUT may keep the user's own email",
    hint="When checking that the email is free, skip the user being updated: its own email is not taken.",
    depends_on=["REST-UPDATE"],
)
def update_keeps_own_email(ctx: Context) -> None:
    user = create(ctx)
    reply = ctx.rest.put(user_path(user["id"]), {"name": "Same Email", "email": user["email"]})
    expect_status(reply, 200, why="for an update that keeps the user's own email")


@requirement(
    "REST-UPDATE-404",
    protocol="rest",
    core=True,
    weight=1,
    title="PUT /users/{id} of an unknown id answers 404",
    hint="Check that the id exists before validating uniqueness or storing; answer 404 when it does not.",
    depends_on=["REST-CREATE"],
)
def update_unknown(ctx: Context) -> None:
    known = create(ctx)["id"]
    reply = ctx.rest.put(user_path(unknown_id_like(known)), {"name": "Nobody", "email": ctx.email()})
    expect_status(reply, 404, why="for an id no user has")


@requirement(
    "REST-DELETE",
    protocol="rest",
    core=True,
    weight=2,
    title="DELETE /users/{id} answers 204 with no body, and the user is gone",
    hint="Remove the user from the map and answer 204 No Content with an empty body.",
    depends_on=["REST-GET-404", "REST-LIST"],
)
def delete_user(ctx: Context) -> None:
    user = create(ctx)
    reply = ctx.rest.delete(user_path(user["id"]))
    expect_status(reply, 204, why="for a deleted user")
    expect(reply.body == b"", "a 204 answer has no body", reply.exchange)
    expect_status(ctx.rest.get(user_path(user["id"])), 404, why="for a deleted user")
    users, listing = list_all(ctx)
    expect(
        str(user["id"]) not in [str(u.get("id")) for u in users],
        "GET /users should no longer hold a deleted user",
        listing.exchange,
    )


@requirement(
    "REST-DELETE-404",
    protocol="rest",
    core=True,
    weight=1,
    title="DELETE /users/{id} of an unknown id answers 404",
    hint="Answer 404 when the id is not in the map (deleting twice is the second a 404).",
    depends_on=["REST-CREATE"],
)
def delete_unknown(ctx: Context) -> None:
    known = create(ctx)["id"]
    expect_status(ctx.rest.delete(user_path(unknown_id_like(known))), 404, why="for an id no user has")

"""REST, core: a taken email is 409, and bad input is refused with a 4xx that changes nothing.

Which 4xx (400 or 422) and the problem+json body are the course's quality bar and graded as
extras in rest_extras.py; refusing bad input instead of storing it or crashing is core.
"""

from __future__ import annotations

from ..context import Context
from ..evidence import expect
from ..registry import requirement
from .rest_helpers import count_email, create, expect_4xx, expect_status, get, list_all, same_user, user_path

MALFORMED_JSON = [b"{not json", b'{"name": "Ada", ', b"", b"\xff\xfe\xfa"]
NOT_AN_OBJECT = [b"[]", b'"Ada"', b"null", b"42"]


def invalid_bodies(ctx: Context) -> list[tuple[dict, str]]:
    """Bodies the assignment's own rules refuse, each with the field that is wrong."""
    return [
        ({"email": ctx.email()}, "name"),
        ({"name": f"No Email {ctx.token()}"}, "email"),
        ({"name": "", "email": ctx.email()}, "name"),
        ({"name": 42, "email": ctx.email()}, "name"),
        ({"name": f"Bad Email {ctx.token()}", "email": "not-an-email"}, "email"),
        ({"name": f"Bad Email {ctx.token()}", "email": ["x@example.com"]}, "email"),
    ]


def expect_nothing_stored(ctx: Context, before: int, what: str) -> None:
    users, reply = list_all(ctx)
    expect(
        len(users) == before, f"{what} was refused, yet GET /users now holds {len(users) - before} more", reply.exchange
    )


@requirement(
    "REST-CREATE-409",
    protocol="rest",
    core=True,
    weight=2,
    title="POST /users with an email already registered answers 409 and stores nothing",
    hint="Before inserting, look for a user with this email (under the same lock as the insert); answer 409.",
    depends_on=["REST-CREATE", "REST-LIST"],
)
def create_taken_email(ctx: Context) -> None:
    email = ctx.email("taken")
    create(ctx, "First", email)
    reply = ctx.rest.post("/users", {"name": "Copy", "email": email})
    expect_status(reply, 409, why="for an email that is already registered")
    users, listing = list_all(ctx)
    expect(count_email(users, email) == 1, "the refused copy must not be stored", listing.exchange)


@requirement(
    "REST-UPDATE-409",
    protocol="rest",
    core=True,
    weight=1,
    title="PUT /users/{id} to another user's email answers 409 and changes neither user",
    hint="On update, check the new email against every other user; answer 409 and store nothing.",
    depends_on=["REST-UPDATE"],
)
def update_to_taken_email(ctx: Context) -> None:
    first, second = create(ctx, "First"), create(ctx, "Second")
    reply = ctx.rest.put(user_path(second["id"]), {"name": "Thief", "email": first["email"]})
    expect_status(reply, 409, why="for another user's email")
    for user in (first, second):
        stored, got = get(ctx, user["id"])
        expect(same_user(stored, user), "a refused update must leave both users as they were", got.exchange)


@requirement(
    "REST-EMAIL-REUSE",
    protocol="rest",
    core=True,
    weight=1,
    title="A deleted user's email can register again",
    hint="Deleting a user must free its email too (remove it from any email index you keep).",
    depends_on=["REST-DELETE", "REST-CREATE-409"],
)
def deleted_email_is_free(ctx: Context) -> None:
    user = create(ctx, "Leaving")
    expect_status(ctx.rest.delete(user_path(user["id"])), 204, why="for a deleted user")
    reply = ctx.rest.post("/users", {"name": "Returning", "email": user["email"]})
    expect(200 <= reply.status < 300, f"the email of a deleted user should be free, got {reply.status}", reply.exchange)


@requirement(
    "REST-BAD-JSON-4XX",
    protocol="rest",
    core=True,
    weight=1,
    title="POST /users with a body that is not JSON is refused with a 4xx, never a 5xx",
    hint="Catch the JSON parse error and answer 400: it is the client's mistake, not a server failure.",
    depends_on=["REST-LIST"],
)
def malformed_json_is_refused(ctx: Context) -> None:
    for raw in MALFORMED_JSON:
        before = len(list_all(ctx)[0])
        expect_4xx(ctx.rest.post("/users", raw=raw), "a body that is not JSON")
        expect_nothing_stored(ctx, before, "a body that is not JSON")


@requirement(
    "REST-INVALID-4XX",
    protocol="rest",
    core=True,
    weight=2,
    title="POST /users with a missing or wrongly typed field, or not an object, is refused with a 4xx",
    hint="Check that name is a non-empty string and email a string with an '@' before storing anything.",
    depends_on=["REST-LIST"],
)
def invalid_fields_are_refused(ctx: Context) -> None:
    for body, field in invalid_bodies(ctx):
        before = len(list_all(ctx)[0])
        expect_4xx(ctx.rest.post("/users", body), f"a body whose {field} is missing or wrong")
        expect_nothing_stored(ctx, before, f"a body whose {field} is missing or wrong")
    for raw in NOT_AN_OBJECT:
        before = len(list_all(ctx)[0])
        expect_4xx(ctx.rest.post("/users", raw=raw), "JSON that is not an object")
        expect_nothing_stored(ctx, before, "JSON that is not an object")


@requirement(
    "REST-UPDATE-INVALID",
    protocol="rest",
    core=True,
    weight=1,
    title="PUT /users/{id} with bad input is refused with a 4xx and keeps the user",
    hint="Validate the PUT body as strictly as POST's, before changing the stored user.",
    depends_on=["REST-UPDATE"],
)
def invalid_update_is_refused(ctx: Context) -> None:
    user = create(ctx)
    path = user_path(user["id"])
    attempts = [
        ctx.rest.put(path, {"name": "", "email": ctx.email()}),
        ctx.rest.put(path, {"name": "Ok", "email": "broken"}),
        ctx.rest.put(path, {}),
    ]
    for reply in attempts:
        expect_4xx(reply, "an update with an invalid field")
    expect_4xx(ctx.rest.put(path, raw=b"{not json"), "an update whose body is not JSON")
    stored, got = get(ctx, user["id"])
    expect(same_user(stored, user), "a refused update must leave the user as it was", got.exchange)

"""Lab 1's exercises (lab1_rest/README.md, "Exercises"), checked through the HTTP port.

Each check makes users of its own with emails nobody used, so it holds on a service that
already has data, and it judges only what the exercise asks: any design that behaves so passes.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from common.grader import Context, expect
from common.grader.checks.rest_extras import named_fields, problem_issue
from common.grader.checks.rest_helpers import create, expect_status, get, unknown_id_like, user_body, user_path

from .registry import exercise
from .rest_calls import etag, patch, put_with, with_etag

LAB = "lab1_rest"
USER_PATH = re.compile(r"/users/\{[^/{}]+\}")  # /users/{user_id}, whatever the parameter is called


@exercise(
    LAB,
    1,
    title="PATCH /users/{id} changes only the fields it is given (200, 404, 422, 409) and is in the OpenAPI document",
    hint="Add a PATCH route on /users/<user_id> whose body model has name and email, both optional; "
    "merge the given fields into the stored user under the store's lock, validate as PUT does, and "
    "declare its responses (200 User, 404, 409, 422 problems) so /openapi.json lists the operation.",
)
def partial_update(ctx: Context) -> None:
    user = create(ctx, "Ada Lovelace")
    path = user_path(user["id"])

    renamed = patch(ctx, path, {"name": "Ada King"})
    expect_status(renamed, 200, why="to a PATCH of an existing user")
    user_body(renamed, "Ada King", user["email"])
    new_email = ctx.email("ada")
    moved = patch(ctx, path, {"email": new_email})
    expect_status(moved, 200, why="to a PATCH of the email alone")
    user_body(moved, "Ada King", new_email)

    missing = patch(ctx, user_path(unknown_id_like(user["id"])), {"name": "Nobody"})
    expect_status(missing, 404, why="for an id no user has")
    invalid = patch(ctx, path, {"email": "not-an-email"})
    expect_status(invalid, 422, why="for an invalid email")
    expect("email" in named_fields(invalid), "the 422's errors should name 'email'", invalid.exchange)
    other = create(ctx, "Alan Turing")
    taken = patch(ctx, path, {"email": other["email"]})
    expect_status(taken, 409, why="for another user's email")

    stored, reply = get(ctx, user["id"])
    expect(
        (stored.get("name"), stored.get("email")) == ("Ada King", new_email),
        "after the refused PATCHes the user should still be 'Ada King' with the email the last good PATCH gave",
        reply.exchange,
    )
    _expect_documented_patch(ctx)


def _expect_documented_patch(ctx: Context) -> None:
    """The document is what clients and the property-based test read: an undocumented route is invisible."""
    document = ctx.rest.get("/openapi.json")
    expect_status(document, 200, why="for the OpenAPI document")
    body = document.json()
    paths = body.get("paths", {}) if isinstance(body, dict) else {}
    documented = [name for name, item in paths.items() if USER_PATH.fullmatch(name) and "patch" in item]
    expect(documented, "the OpenAPI document should have a 'patch' operation under /users/{user_id}", document.exchange)


@exercise(
    LAB,
    2,
    title="GET /users?email=... answers [the user with that email], compared case-insensitively, or []",
    hint="Give the list route's query model an optional email; when it is given, look it up in the store's "
    "index of emails (case-folded, under the lock) and answer a list of that one user, or an empty list.",
)
def search_by_email(ctx: Context) -> None:
    ada = create(ctx, "Ada Lovelace", ctx.email("ada"))
    create(ctx, "Alan Turing")  # must not be in the answer
    shouted = ada["email"].upper()
    found = ctx.rest.get("/users", params=urlencode({"email": shouted}))
    expect_status(found, 200, why="to a search by email")
    users = found.json()
    expect(isinstance(users, list), "a search should answer a JSON array", found.exchange)
    ids = [str(user.get("id")) for user in users if isinstance(user, dict)]
    expect(
        ids == [str(ada["id"])],
        f"GET /users?email={shouted} should answer exactly the user with that email (id {ada['id']}), "
        f"compared case-insensitively; got {len(users)} user(s)",
        found.exchange,
    )
    nobody = ctx.rest.get("/users", params=urlencode({"email": ctx.email("nobody")}))
    expect_status(nobody, 200, why="to a search that finds nobody")
    expect(nobody.json() == [], "a search for an email nobody has should answer []", nobody.exchange)


@exercise(
    LAB,
    3,
    title="GET /users/{id} answers an ETag; a PUT whose If-Match is stale is 412 and changes nothing",
    hint="Answer GET (and PUT) with an ETag made from the user's version (its updated_at, in double quotes); in PUT, "
    "compare If-Match with the stored user's ETag under the store's lock and answer 412 problem+json when "
    "they differ. A PUT without If-Match stays unconditional.",
)
def optimistic_concurrency(ctx: Context) -> None:
    user = create(ctx, "Ada Lovelace")
    path = user_path(user["id"])
    first = ctx.rest.get(path)
    expect_status(first, 200, why="for an existing user")
    old = etag(first)
    expect(old, "GET /users/{id} should answer an ETag header", with_etag(first))

    unconditional = ctx.rest.put(path, {"name": "Ada King", "email": user["email"]})
    expect_status(unconditional, 200, why="to a PUT without If-Match (it stays unconditional)")
    second = ctx.rest.get(path)
    current = etag(second)
    expect(current and current != old, "after a change, GET should answer a new, different ETag", with_etag(second))

    stale = put_with(ctx, path, {"name": "Stale Writer", "email": user["email"]}, {"If-Match": old})
    expect_status(stale, 412, why="to a PUT whose If-Match names an older version")
    issue = problem_issue(stale)
    expect(issue is None, f"the 412 should be problem+json: {issue}", stale.exchange)
    stored, reply = get(ctx, user["id"])
    expect(stored.get("name") == "Ada King", "a PUT refused with 412 should change nothing", reply.exchange)

    matching = put_with(ctx, path, {"name": "Ada Byron", "email": user["email"]}, {"If-Match": current})
    expect_status(matching, 200, why="to a PUT whose If-Match names the current version")
    third = ctx.rest.get(path)
    expect(etag(third) not in ("", current), "after that PUT, GET should answer a new ETag", with_etag(third))

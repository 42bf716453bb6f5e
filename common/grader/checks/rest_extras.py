"""REST, extras: the course's quality bar beyond the assignment (problem+json, 422, Location, paging...)."""

from __future__ import annotations

from ..context import Context
from ..evidence import expect
from ..registry import requirement
from ..rest_client import Reply
from ..timestamps import parse_rfc3339
from .rest_errors import MALFORMED_JSON, expect_nothing_stored, invalid_bodies
from .rest_helpers import create, expect_4xx, expect_status, list_all, same_user, unknown_id_like, user_body, user_path

PROBLEM_JSON = "application/problem+json"
MAX_BODY = 64 * 1024


def rule_breaking_bodies(ctx: Context) -> list[tuple[dict, str]]:
    """Bodies that break the contract's finer rules on name and email, each with the field at fault."""
    return [
        ({"name": "   ", "email": ctx.email()}, "name"),
        ({"name": "x" * 101, "email": ctx.email()}, "name"),
        ({"name": "Ada\nLovelace", "email": ctx.email()}, "name"),
        ({"name": f"Short Domain {ctx.token()}", "email": "a@b"}, "email"),
        ({"name": f"Long Email {ctx.token()}", "email": "x" * 250 + "@example.com"}, "email"),
    ]


def problem_issue(reply: Reply) -> str | None:
    """What keeps `reply` from being an RFC 9457 problem document for its own status, if anything."""
    if not reply.content_type.startswith(PROBLEM_JSON):
        return f"the Content-Type should be {PROBLEM_JSON}, not {reply.content_type or 'missing'}"
    problem = reply.json()
    if not isinstance(problem, dict):
        return "the problem should be a JSON object"
    if problem.get("status") != reply.status:
        return f"the problem's status should be the number {reply.status}, not {problem.get('status')!r}"
    for member in ("title", "detail"):
        if not isinstance(problem.get(member), str) or not problem[member]:
            return f"the problem should have a non-empty {member!r}"
    return None


def named_fields(reply: Reply) -> list[str]:
    problem = reply.json()
    errors = problem.get("errors") if isinstance(problem, dict) else None
    if not isinstance(errors, list):
        raise reply.fail("a 422 answer should hold an 'errors' list naming each bad field")
    return [str(error.get("field")) for error in errors if isinstance(error, dict)]


@requirement(
    "REST-HEALTHZ",
    protocol="rest",
    core=False,
    weight=1,
    title="GET /healthz answers 200 once the service can serve",
    hint='Add a GET /healthz route that answers 200 (a body such as {"status": "ok"} is optional).',
)
def healthz(ctx: Context) -> None:
    expect_status(ctx.rest.get("/healthz"), 200, why="from /healthz")


@requirement(
    "REST-LOCATION",
    protocol="rest",
    core=False,
    weight=2,
    title="POST /users answers a Location header that leads to the new user",
    hint="Add the header Location: /users/{id} to the 201 answer (relative or absolute both work).",
    depends_on=["REST-GET"],
)
def location_header(ctx: Context) -> None:
    reply = ctx.rest.post("/users", {"name": "Located", "email": ctx.email("loc")})
    user = user_body(reply)
    location = reply.headers.get("Location")
    expect(location, "the answer has no Location header", reply.exchange)
    path = ctx.rest.path_of(location)
    expect(
        path.rstrip("/").endswith(user_path(user["id"])),
        f"the Location should end with {user_path(user['id'])}, not {location!r}",
        reply.exchange,
    )
    followed = ctx.rest.get(path)
    expect_status(followed, 200, why=f"when following the Location {location!r}")
    expect(same_user(user_body(followed), user), "the Location should lead to the new user", followed.exchange)


@requirement(
    "REST-USER-FIELDS",
    protocol="rest",
    core=False,
    weight=1,
    title="A user's id is a string and created_at / updated_at are RFC 3339 date-times",
    hint="Send the id as a JSON string and times such as 2025-01-31T12:00:00Z (with a zone).",
    depends_on=["REST-CREATE"],
)
def user_fields(ctx: Context) -> None:
    reply = ctx.rest.post("/users", {"name": "Fields", "email": ctx.email()})
    user = user_body(reply)
    expect(
        isinstance(user["id"], str), f"the id should be a JSON string, not {type(user['id']).__name__}", reply.exchange
    )
    created, updated = parse_rfc3339(user.get("created_at")), parse_rfc3339(user.get("updated_at"))
    expect(created, "created_at should be an RFC 3339 date-time with a zone", reply.exchange)
    expect(updated, "updated_at should be an RFC 3339 date-time with a zone", reply.exchange)
    expect(updated >= created, "updated_at should not be before created_at", reply.exchange)


@requirement(
    "REST-UPDATE-TIMESTAMPS",
    protocol="rest",
    core=False,
    weight=1,
    title="PUT keeps created_at and moves updated_at forward",
    hint="On update, copy created_at from the stored user and set updated_at to the current time.",
    depends_on=["REST-UPDATE", "REST-USER-FIELDS"],
)
def update_timestamps(ctx: Context) -> None:
    user = create(ctx)
    reply = ctx.rest.put(user_path(user["id"]), {"name": "Later", "email": ctx.email()})
    expect_status(reply, 200, why="for an update")
    updated = user_body(reply)
    expect(
        parse_rfc3339(updated.get("created_at")) == parse_rfc3339(user["created_at"]),
        "an update should keep created_at",
        reply.exchange,
    )
    after = parse_rfc3339(updated.get("updated_at"))
    expect(after, "updated_at should be an RFC 3339 date-time with a zone", reply.exchange)
    expect(after >= parse_rfc3339(user["updated_at"]), "updated_at should not go back in time", reply.exchange)


@requirement(
    "REST-PROBLEM-JSON",
    protocol="rest",
    core=False,
    weight=2,
    title="Errors are RFC 9457 application/problem+json with status, title and detail",
    hint="Answer every 4xx with Content-Type: application/problem+json and {status, title, detail}.",
    depends_on=["REST-GET-404", "REST-CREATE-409", "REST-BAD-JSON-4XX", "REST-INVALID-4XX"],
)
def problem_details(ctx: Context) -> None:
    user = create(ctx)
    errors = [
        ctx.rest.get(user_path(unknown_id_like(user["id"]))),
        ctx.rest.post("/users", {"name": "Copy", "email": user["email"]}),
        ctx.rest.post("/users", raw=b"{not json"),
        ctx.rest.post("/users", {"name": "", "email": "nope"}),
    ]
    for reply in errors:
        issue = problem_issue(reply)
        expect(issue is None, f"{issue}", reply.exchange)


@requirement(
    "REST-BAD-JSON-400",
    protocol="rest",
    core=False,
    weight=1,
    title="A body that is not JSON answers 400 exactly",
    hint="Malformed JSON is 400 Bad Request; 422 is for JSON whose fields break the rules.",
    depends_on=["REST-BAD-JSON-4XX"],
)
def malformed_json_is_400(ctx: Context) -> None:
    for raw in MALFORMED_JSON:
        expect_status(ctx.rest.post("/users", raw=raw), 400, why="for a body that is not JSON")


@requirement(
    "REST-INVALID-422",
    protocol="rest",
    core=False,
    weight=2,
    title="An invalid field answers 422 with an 'errors' list naming every bad field",
    hint='Answer 422 with "errors": [{"field": "email", "message": "..."}], one entry per bad field.',
    depends_on=["REST-INVALID-4XX"],
)
def invalid_is_422_naming_fields(ctx: Context) -> None:
    for body, field in [*invalid_bodies(ctx), *rule_breaking_bodies(ctx)]:
        reply = ctx.rest.post("/users", body)
        expect_status(reply, 422, why=f"for a bad {field}")
        expect(field in named_fields(reply), f"the errors should name {field!r}", reply.exchange)
    both = ctx.rest.post("/users", {"name": "", "email": "nope"})
    expect_status(both, 422, why="for a bad name and email")
    expect({"name", "email"} <= set(named_fields(both)), "the errors should name both fields at once", both.exchange)
    user = create(ctx)
    update = ctx.rest.put(user_path(user["id"]), {"name": "Ok", "email": "broken"})
    expect_status(update, 422, why="for an update with a bad email")
    expect("email" in named_fields(update), "the errors should name 'email'", update.exchange)


@requirement(
    "REST-VALIDATION-RULES",
    protocol="rest",
    core=False,
    weight=1,
    title="Names are 1-100 characters, not blank, without control characters; emails look like a@b.c, <= 254",
    hint="Refuse a blank or over-long name, a name with a newline, and an email without a dotted domain.",
    depends_on=["REST-LIST"],
)
def validation_rules(ctx: Context) -> None:
    for body, field in rule_breaking_bodies(ctx):
        before = len(list_all(ctx)[0])
        expect_4xx(ctx.rest.post("/users", body), f"a {field} that breaks the contract's rules")
        expect_nothing_stored(ctx, before, f"a {field} that breaks the contract's rules")


@requirement(
    "REST-CREATE-409-CASE",
    protocol="rest",
    core=False,
    weight=1,
    title="POST /users with a registered email in another case answers 409",
    hint="Compare emails case-insensitively (e.g. lower-case both, or keep an index by lower-cased email).",
    depends_on=["REST-CREATE-409"],
)
def create_taken_email_other_case(ctx: Context) -> None:
    email = ctx.email("case")
    create(ctx, "First", email)
    reply = ctx.rest.post("/users", {"name": "Copy", "email": email.upper()})
    expect_status(reply, 409, why="for an email already registered in another case")


@requirement(
    "REST-UPDATE-409-CASE",
    protocol="rest",
    core=False,
    weight=1,
    title="PUT to another user's email in another case answers 409",
    hint="Compare the new email with every other user's case-insensitively, as on create.",
    depends_on=["REST-UPDATE-409"],
)
def update_to_taken_email_other_case(ctx: Context) -> None:
    first, second = create(ctx, "First"), create(ctx, "Second")
    reply = ctx.rest.put(user_path(second["id"]), {"name": "Thief", "email": first["email"].upper()})
    expect_status(reply, 409, why="for another user's email in another case")


@requirement(
    "REST-BODY-413",
    protocol="rest",
    core=False,
    weight=1,
    title="A request body over 64 KiB answers 413",
    hint="Limit the body size (64 KiB) before reading it and answer 413 Content Too Large.",
)
def body_too_large(ctx: Context) -> None:
    body = {"name": "Big", "email": ctx.email(), "padding": "x" * (3 * MAX_BODY)}
    expect_status(ctx.rest.post("/users", body), 413, why="for a body over 64 KiB")


@requirement(
    "REST-PAGING",
    protocol="rest",
    core=False,
    weight=1,
    title="GET /users?limit=&offset= answers that slice of the list",
    hint="Skip `offset` users of the oldest-first list, then answer at most `limit` of them.",
    depends_on=["REST-LIST"],
)
def paging(ctx: Context) -> None:
    for i in range(3):
        create(ctx, f"Paged {i}")
    everyone, _ = list_all(ctx)
    page = ctx.rest.get("/users", params="limit=2&offset=1")
    expect_status(page, 200, why="for a page")
    got = page.json()
    expect(isinstance(got, list), "a page should be a JSON array", page.exchange)
    expect(
        [str(u.get("id")) for u in got if isinstance(u, dict)] == [str(u.get("id")) for u in everyone[1:3]],
        "limit=2&offset=1 should answer the 2nd and 3rd users of GET /users",
        page.exchange,
    )


@requirement(
    "REST-PAGING-422",
    protocol="rest",
    core=False,
    weight=1,
    title="A bad limit or offset answers 422 naming the parameter",
    hint="Accept only whole numbers >= 0 for limit and offset; name the bad one in 'errors'.",
)
def bad_paging(ctx: Context) -> None:
    for query in ("limit=-1", "limit=abc", "offset=1.5", "offset=-3"):
        reply = ctx.rest.get("/users", params=query)
        expect_status(reply, 422, why=f"for {query}")
        parameter = query.split("=")[0]
        expect(parameter in named_fields(reply), f"the errors should name {parameter!r}", reply.exchange)

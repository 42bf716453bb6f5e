"""Lab 3's exercises (lab3_jwt/README.md, "Exercises"), checked through the lab's ports.

Each check registers users of its own (fresh emails, a password) and logs them in over REST, so it
holds on a service that already has data and needs no admin; it then sends their tokens as a
client would. The checks judge only what a client can see: a token refused or accepted, who a list
holds, what login answers. Revocation is also tried over gRPC, the assignment's transport: a token
revoked at one door must be refused at the other.
"""

from __future__ import annotations

from typing import Any

from common.grader import CheckFailed, Context, expect
from common.grader.checks.grpc_helpers import Code, expect_code
from common.grader.checks.rest_helpers import expect_status
from common.grader.rest_client import Reply

from .registry import exercise

LAB = "lab3_jwt"
PASSWORD = "exercise password 1234"


def _register(ctx: Context, name: str) -> dict[str, Any]:
    email = ctx.email(name.split()[0].lower())
    reply = ctx.rest.post("/users", {"name": name, "email": email, "password": PASSWORD})
    expect_status(reply, 201, why="to registering a new user with a password")
    user = reply.json()
    expect(isinstance(user, dict) and user.get("id") is not None, "a new user should have an id", reply.exchange)
    return user


def _login(ctx: Context, email: str) -> dict[str, Any]:
    reply = ctx.rest.post("/auth/login", {"email": email, "password": PASSWORD})
    expect_status(reply, 200, why="to a login with the right password")
    body = reply.json()
    expect(isinstance(body, dict) and body.get("access_token"), "login should answer an access_token", reply.exchange)
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(ctx: Context, path: str, token: str) -> Reply:
    return ctx.rest.request("GET", path, headers=_bearer(token))


@exercise(
    LAB,
    1,
    title="POST /auth/logout revokes the caller's token: it is then 401 on REST and UNAUTHENTICATED on gRPC",
    hint="Add a protected POST /auth/logout answering 204 that puts the caller's jti in a deny list kept by "
    "auth.py (under a lock, each entry until the token's exp, expired ones dropped); make Auth.identify refuse "
    "a token whose jti is listed. identify serves both doors, so gRPC refuses the token too; other tokens of "
    "the same user (another login) keep working.",
)
def revocation(ctx: Context) -> None:
    user = _register(ctx, "Ada Lovelace")
    token = _login(ctx, user["email"])["access_token"]
    other = _login(ctx, user["email"])["access_token"]  # another session of the same user
    path = f"/users/{user['id']}"
    expect_status(_get(ctx, path, token), 200, why="for the user's own record with a fresh token")

    logout = ctx.rest.request("POST", "/auth/logout", headers=_bearer(token))
    expect_status(logout, 200, 204, why="to POST /auth/logout with a valid token")
    revoked = _get(ctx, path, token)
    expect_status(revoked, 401, why="for a token revoked by logout")
    expect(
        "bearer" in revoked.headers.get("WWW-Authenticate", "").lower(),
        "the 401 should say how to authenticate (WWW-Authenticate: Bearer ...)",
        revoked.exchange,
    )
    again = ctx.rest.request("POST", "/auth/logout", headers=_bearer(token))
    expect_status(again, 401, why="to a second logout with the revoked token")

    pb = ctx.grpc.pb
    over_grpc = ctx.grpc.call("GetUser", pb.GetUserRequest(id=str(user["id"])), (("authorization", f"Bearer {token}"),))
    expect_code(over_grpc, Code.UNAUTHENTICATED, "over gRPC for the token revoked on REST (one deny list, two doors)")

    expect_status(_get(ctx, path, other), 200, why="for another token of the same user: logout revokes only its own")


@exercise(
    LAB,
    2,
    title="GET /users by a user who is not an admin answers only that user; each user sees only themselves",
    hint="In list_users, ask for the caller (rest_auth.caller()): an admin gets the page of every user as "
    "before, anyone else a list holding only their own record (paged the same way). The role comes from the "
    "verified token, never from the request.",
)
def roles_on_reads(ctx: Context) -> None:
    ada = _register(ctx, "Ada Lovelace")
    alan = _register(ctx, "Alan Turing")
    for user, other in ((ada, alan), (alan, ada)):
        token = _login(ctx, user["email"])["access_token"]
        listed = _get(ctx, "/users", token)
        expect_status(listed, 200, why="to GET /users with a valid token")
        users = listed.json()
        expect(isinstance(users, list), "GET /users should answer a JSON array", listed.exchange)
        ids = [str(found.get("id")) for found in users if isinstance(found, dict)]
        leaked = " (it holds other users too)" if str(other["id"]) in ids else ""
        expect(
            ids == [str(user["id"])],
            f"GET /users by {user['name']!r}, who is not an admin, should answer only their own record "
            f"(id {user['id']}); it answered {len(users)} user(s){leaked}",
            listed.exchange,
        )


def _refresh(ctx: Context, refresh_token: str) -> Reply:
    return ctx.rest.post("/auth/refresh", {"refresh_token": refresh_token})


@exercise(
    LAB,
    3,
    title="Login answers a refresh_token; POST /auth/refresh exchanges it once for new tokens, twice is 401",
    hint="Let login also answer a refresh_token: a long random value (secrets.token_urlsafe), stored "
    "server-side with its user and expiry, not a JWT. Add a public POST /auth/refresh taking "
    '{"refresh_token": ...}: under a lock, remove the stored token (single use), check it has not expired and '
    "that its user still exists, and answer a new access_token and a new refresh_token as login does; an "
    "unknown or used one is 401 problem+json.",
)
def refresh_tokens(ctx: Context) -> None:
    user = _register(ctx, "Ada Lovelace")
    login = ctx.rest.post("/auth/login", {"email": user["email"], "password": PASSWORD})
    expect_status(login, 200, why="to a login with the right password")
    first = login.json()
    refresh_token = first.get("refresh_token") if isinstance(first, dict) else None
    expect(isinstance(refresh_token, str) and refresh_token, "login should answer a refresh_token", login.exchange)
    separate = refresh_token != first.get("access_token")
    expect(separate, "the refresh token should not be the access token", login.exchange)

    refreshed = _refresh(ctx, refresh_token)
    expect_status(refreshed, 200, why="to POST /auth/refresh with the refresh token login answered")
    body = refreshed.json()
    if not isinstance(body, dict):
        raise CheckFailed("POST /auth/refresh should answer a JSON object", refreshed.exchange)
    access = body.get("access_token")
    expect(isinstance(access, str) and access, "the refresh should answer a new access_token", refreshed.exchange)
    expect(body.get("token_type", "Bearer").lower() == "bearer", "token_type should be Bearer", refreshed.exchange)
    renewed = body.get("refresh_token")
    expect(
        isinstance(renewed, str) and renewed and renewed != refresh_token,
        "the refresh should answer a new refresh_token (the one used is spent)",
        refreshed.exchange,
    )
    expect_status(_get(ctx, f"/users/{user['id']}", access), 200, why="for the user's record with the new access token")

    reused = _refresh(ctx, refresh_token)
    expect_status(reused, 401, why="to a refresh token used a second time (it is single-use)")
    expect_status(_refresh(ctx, "not-a-refresh-token"), 401, why="to a refresh token the service never issued")
    expect_status(_refresh(ctx, renewed), 200, why="to the new refresh token, used once")

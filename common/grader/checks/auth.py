"""Lab 3's requirements: authentication on every call. Core: the assignment's task 3 on gRPC; extras: REST and attacks.

The grader knows no service's secret, so the attacks it makes are the ones anyone can make:
no token, garbage, a token signed with another key, `alg: none`, a real token with its payload
changed. Expired tokens and wrong `iss`/`aud` need the secret: the lab's own tests cover those.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import time
import uuid

import grpc

from ..context import Context
from ..evidence import CheckFailed, Exchange, expect
from ..grpc_client import GrpcReply, describe_message
from ..registry import requirement
from ..rest_client import Reply, RestClient
from .rest_helpers import expect_status

PASSWORD = "auth check password 1"
Code = grpc.StatusCode


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(claims: dict, alg: str = "HS256", key: bytes | None = None) -> str:
    """A token anyone can make: signed with a key of our own (HS256), or `alg: none` with no signature."""
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    if alg == "none":
        return f"{head}.{body}."
    signature = hmac.new(key or uuid.uuid4().bytes * 2, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def claims_for(user_id: str) -> dict:
    now = int(time.time())
    return {"sub": str(user_id), "role": "admin", "iat": now, "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex}


def tampered(token: str) -> str:
    """A real token whose payload now says role admin: the signature no longer matches."""
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "admin"
    return f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"


# --- gRPC ---------------------------------------------------------------------------------------


def _stubs(ctx: Context):
    return importlib.import_module(ctx.grpc.pb.__name__.replace("users_pb2", "users_pb2_grpc"))


def grpc_call(ctx: Context, service: str, method: str, request, token: str | None = None) -> GrpcReply:
    """One call with exactly the metadata given (no token added by the grader)."""
    stub = getattr(_stubs(ctx), f"{service}Stub")(ctx.grpc.channel)
    metadata = (("authorization", token if token.startswith("Bearer") else f"Bearer {token}"),) if token else None
    sent = f"{method}({describe_message(request)})" + (" with authorization metadata" if token else " without a token")
    try:
        response = getattr(stub, method)(request, timeout=ctx.timeout, metadata=metadata)
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""
        if code == Code.DEADLINE_EXCEEDED:
            raise CheckFailed(f"no answer within {ctx.timeout:g} s", Exchange(sent, "DEADLINE_EXCEEDED")) from None
        return GrpcReply(code, None, details, error, Exchange(sent, f"{code.name}: {details[:200]}"))
    return GrpcReply(Code.OK, response, "", None, Exchange(sent, f"OK {describe_message(response)}"))


def grpc_user(ctx: Context, prefix: str = "auth") -> tuple[str, str, str]:
    """(id, email, token) of a new user registered and logged in over gRPC."""
    email = ctx.email(prefix)
    pb = ctx.grpc.pb
    created = grpc_call(
        ctx, "UserService", "CreateUser", pb.CreateUserRequest(name="Auth", email=email, password=PASSWORD)
    )
    if not created.ok:
        raise created.fail(f"CreateUser with a password should succeed without a token, got {created.code.name}")
    login = grpc_call(ctx, "AuthService", "Login", pb.LoginRequest(email=email, password=PASSWORD))
    if not login.ok:
        raise login.fail(f"Login with the right password should succeed, got {login.code.name}")
    expect(
        login.response.access_token.count(".") == 2, "the access_token should be a JWT (three parts)", login.exchange
    )
    expect(login.response.expires_in > 0, "expires_in should be a positive number of seconds", login.exchange)
    return created.response.id, email, login.response.access_token


def expect_code(reply: GrpcReply, code: grpc.StatusCode, why: str) -> None:
    if reply.code != code:
        raise reply.fail(f"{why}: expected {code.name}, got {reply.code.name}")


GET = "GetUser"


@requirement(
    "AUTH-GRPC-LOGIN",
    protocol="grpc",
    core=True,
    weight=2,
    feature="auth",
    title="Login over gRPC (users.v1.AuthService/Login) issues an access token for the right password",
    hint="CreateUser takes a password (field 3); Login answers access_token (a JWT) and expires_in",
)
def grpc_login(ctx: Context) -> None:
    grpc_user(ctx)


@requirement(
    "AUTH-GRPC-NO-TOKEN",
    protocol="grpc",
    core=True,
    weight=2,
    feature="auth",
    title="A protected gRPC call without a token, or with a malformed one, is UNAUTHENTICATED",
    hint="a server interceptor reads the `authorization: Bearer <token>` metadata of every non-public method",
)
def grpc_no_token(ctx: Context) -> None:
    user_id, _, _ = grpc_user(ctx)
    pb = ctx.grpc.pb
    expect_code(grpc_call(ctx, "UserService", GET, pb.GetUserRequest(id=user_id)), Code.UNAUTHENTICATED, "no token")
    expect_code(grpc_call(ctx, "UserService", "ListUsers", pb.ListUsersRequest()), Code.UNAUTHENTICATED, "no token")
    for bad in ("not-a-jwt", "Basic dXNlcjpwYXNz", "a.b.c"):
        reply = grpc_call(ctx, "UserService", GET, pb.GetUserRequest(id=user_id), bad)
        expect_code(reply, Code.UNAUTHENTICATED, f"a malformed token ({bad!r})")


@requirement(
    "AUTH-GRPC-FORGED",
    protocol="grpc",
    core=True,
    weight=2,
    feature="auth",
    title="A token signed with another key, with alg none, or with a changed payload is UNAUTHENTICATED",
    hint="decode with the algorithm pinned (algorithms=['HS256']) and your JWT_SECRET; never trust the header's alg",
)
def grpc_forged(ctx: Context) -> None:
    user_id, _, token = grpc_user(ctx)
    request = ctx.grpc.pb.GetUserRequest(id=user_id)
    for name, bad in [
        ("signed with another key", forged(claims_for(user_id))),
        ("alg none", forged(claims_for(user_id), "none")),
        ("a changed payload", tampered(token)),
    ]:
        expect_code(grpc_call(ctx, "UserService", GET, request, bad), Code.UNAUTHENTICATED, f"a token {name}")


@requirement(
    "AUTH-GRPC-VALID-TOKEN",
    protocol="grpc",
    core=True,
    weight=2,
    feature="auth",
    title="With a valid token, protected gRPC calls succeed: get, list, update and delete one's own record",
    hint="after the interceptor accepts the token, the call goes on to the handler",
)
def grpc_valid_token(ctx: Context) -> None:
    user_id, email, token = grpc_user(ctx)
    pb = ctx.grpc.pb
    for method, request in [
        (GET, pb.GetUserRequest(id=user_id)),
        ("ListUsers", pb.ListUsersRequest(page_size=1)),
        ("UpdateUser", pb.UpdateUserRequest(id=user_id, name="Renamed", email=email)),
        ("DeleteUser", pb.DeleteUserRequest(id=user_id)),
    ]:
        reply = grpc_call(ctx, "UserService", method, request, token)
        if not reply.ok:
            raise reply.fail(f"{method} with a valid token should succeed, got {reply.code.name}")


@requirement(
    "AUTH-GRPC-WRONG-CREDENTIALS",
    protocol="grpc",
    core=True,
    weight=1,
    feature="auth",
    title="Login with a wrong password or an unknown email is UNAUTHENTICATED",
    hint="verify the password hash; for an unknown email answer exactly the same way",
)
def grpc_wrong_credentials(ctx: Context) -> None:
    _, email, _ = grpc_user(ctx)
    pb = ctx.grpc.pb
    wrong = grpc_call(ctx, "AuthService", "Login", pb.LoginRequest(email=email, password="wrong password"))
    expect_code(wrong, Code.UNAUTHENTICATED, "a wrong password")
    unknown = grpc_call(ctx, "AuthService", "Login", pb.LoginRequest(email=ctx.email("nobody"), password=PASSWORD))
    expect_code(unknown, Code.UNAUTHENTICATED, "an unknown email")


@requirement(
    "AUTH-GRPC-OTHERS-RECORD",
    protocol="grpc",
    core=True,
    weight=2,
    feature="auth",
    title="Updating or deleting another user's record is PERMISSION_DENIED (without the admin role)",
    hint="compare the token's sub with the record's id; only an admin may change others",
)
def grpc_others_record(ctx: Context) -> None:
    victim, email, _ = grpc_user(ctx, "victim")
    _, _, token = grpc_user(ctx, "intruder")
    pb = ctx.grpc.pb
    update = pb.UpdateUserRequest(id=victim, name="Hijacked", email=email)
    expect_code(grpc_call(ctx, "UserService", "UpdateUser", update, token), Code.PERMISSION_DENIED, "another's record")
    delete = pb.DeleteUserRequest(id=victim)
    expect_code(grpc_call(ctx, "UserService", "DeleteUser", delete, token), Code.PERMISSION_DENIED, "another's record")


@requirement(
    "AUTH-GRPC-PUBLIC",
    protocol="grpc",
    core=False,
    weight=1,
    feature="auth",
    title="Health checks need no token",
    hint="leave grpc.health.v1.Health (and reflection, CreateUser, Login) out of the interceptor's check",
)
def grpc_public(ctx: Context) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        health_pb2_grpc.HealthStub(ctx.grpc.channel).Check(health_pb2.HealthCheckRequest(), timeout=ctx.timeout)
    except grpc.RpcError as error:
        raise CheckFailed(
            f"a health check without a token should answer, got {error.code().name}",
            Exchange("Health/Check() without a token", f"{error.code().name}: {error.details()}"),
        ) from None


# --- REST ---------------------------------------------------------------------------------------


def plain(ctx: Context) -> RestClient:
    """A client that sends only what a check gives it (no token added)."""
    return RestClient(ctx.rest.base_url, ctx.timeout)


def rest_user(ctx: Context, prefix: str = "auth", name: str = "Auth") -> tuple[str, str, str]:
    """(id, email, token) of a new user registered and logged in over REST (lab 4's chat logs in this way too)."""
    email, http = ctx.email(prefix), plain(ctx)
    created = http.post("/users", {"name": name, "email": email, "password": PASSWORD})
    expect_status(created, 201, why="for a registration with a password, without a token")
    login = http.post("/auth/login", {"email": email, "password": PASSWORD})
    expect_status(login, 200, why="for POST /auth/login with the right password")
    body = login.json()
    expect(
        isinstance(body, dict) and str(body.get("access_token", "")).count(".") == 2,
        "no JWT access_token",
        login.exchange,
    )
    expect(body.get("token_type") == "Bearer", 'token_type should be "Bearer"', login.exchange)
    expect(
        isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, "expires_in should be > 0", login.exchange
    )
    return str(created.json()["id"]), email, body["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expect_401(reply: Reply, why: str, invalid_token: bool) -> None:
    expect_status(reply, 401, why=why)
    challenge = reply.headers.get("WWW-Authenticate", "")
    expect(challenge.startswith("Bearer"), "a 401 should carry WWW-Authenticate: Bearer ... (RFC 6750)", reply.exchange)
    expect(
        not invalid_token or 'error="invalid_token"' in challenge,
        'a refused token should be answered WWW-Authenticate: Bearer error="invalid_token"',
        reply.exchange,
    )
    expect(reply.content_type.startswith("application/problem+json"), "a 401 should be problem+json", reply.exchange)


@requirement(
    "AUTH-REST-LOGIN",
    protocol="rest",
    core=False,
    weight=1,
    feature="auth",
    title="POST /auth/login answers access_token, token_type Bearer and expires_in; wrong credentials 401",
    hint="the same login as gRPC's, as JSON",
)
def rest_login(ctx: Context) -> None:
    _, email, _ = rest_user(ctx)
    http = plain(ctx)
    expect_status(http.post("/auth/login", {"email": email, "password": "wrong password"}), 401, why="a wrong password")
    expect_status(
        http.post("/auth/login", {"email": ctx.email("nobody"), "password": PASSWORD}), 401, why="unknown email"
    )


@requirement(
    "AUTH-REST-TOKENS",
    protocol="rest",
    core=False,
    weight=2,
    feature="auth",
    title="REST calls without a valid token are 401 problem+json with WWW-Authenticate (RFC 6750); valid ones pass",
    hint='answer 401 with WWW-Authenticate: Bearer error="invalid_token" for a refused token',
)
def rest_tokens(ctx: Context) -> None:
    user_id, _, token = rest_user(ctx)
    http = plain(ctx)
    expect_401(http.get("/users"), "without a token", invalid_token=False)
    for name, bad in [
        ("a malformed token", "not-a-jwt"),
        ("a token signed with another key", forged(claims_for(user_id))),
        ("an alg none token", forged(claims_for(user_id), "none")),
        ("a token with a changed payload", tampered(token)),
    ]:
        expect_401(http.request("GET", f"/users/{user_id}", headers=bearer(bad)), name, invalid_token=True)
    expect_status(http.request("GET", f"/users/{user_id}", headers=bearer(token)), 200, why="with a valid token")


@requirement(
    "AUTH-REST-OTHERS-RECORD",
    protocol="rest",
    core=False,
    weight=1,
    feature="auth",
    title="PUT or DELETE of another user's record is 403",
    hint="compare the token's sub with the record's id; only an admin may change others",
)
def rest_others_record(ctx: Context) -> None:
    victim, email, _ = rest_user(ctx, "victim")
    _, _, token = rest_user(ctx, "intruder")
    http = plain(ctx)
    put = http.request("PUT", f"/users/{victim}", json_body={"name": "Hijacked", "email": email}, headers=bearer(token))
    expect_status(put, 403, why="for another user's record")
    expect_status(http.request("DELETE", f"/users/{victim}", headers=bearer(token)), 403, why="for another's record")


@requirement(
    "AUTH-PASSWORD-HIDDEN",
    protocol="rest",
    core=False,
    weight=1,
    feature="auth",
    title="A password (or its hash) is never returned",
    hint="the user in every answer has id, name, email and times only",
)
def password_hidden(ctx: Context) -> None:
    user_id, _, token = rest_user(ctx)
    http = plain(ctx)
    for reply in (
        http.request("GET", f"/users/{user_id}", headers=bearer(token)),
        http.request("GET", "/users", headers=bearer(token)),
    ):
        expect(
            PASSWORD not in reply.text and "password" not in reply.text.lower(),
            "the answer shows a password",
            reply.exchange,
        )


@requirement(
    "AUTH-LOGIN-THROTTLE",
    protocol="rest",
    core=False,
    weight=1,
    feature="auth",
    title="After repeated failed logins for one email, even the right password is refused for a while",
    hint="count failures per email; after a few, refuse (429 or 401) until a lock expires",
)
def login_throttle(ctx: Context) -> None:
    _, email, _ = rest_user(ctx)
    http = plain(ctx)
    for _ in range(10):
        http.post("/auth/login", {"email": email, "password": "wrong password"})
    reply = http.post("/auth/login", {"email": email, "password": PASSWORD})
    expect(
        reply.status in (401, 429), "after 10 failures the right password should be refused for a while", reply.exchange
    )

"""Every attack on access tokens is refused on REST and on gRPC, through the real ports.

No attack gets in, none gets a 500 / UNKNOWN / INTERNAL, the public calls stay public, the role
rules hold, and no token or password ever appears in the lab's log.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import grpc
import jwt
import pytest
import requests

from common import harness
from common.grading import unique_email

from ..tokens import AUDIENCE, ISSUER, Tokens
from ..users.v1 import users_pb2, users_pb2_grpc
from .conftest import ADMIN_PASSWORD, LAB, register_and_login

PASSWORD = "a test password"
GET = "GetUser"


@pytest.fixture(scope="module")
def secret(shared_lab: harness.LabProcess) -> str:
    return shared_lab.env["JWT_SECRET"]


@pytest.fixture(scope="module")
def account(shared_lab: harness.LabProcess) -> tuple[str, str, str]:
    """(id, email, token) of a user of the shared lab."""
    email = unique_email("attacked")
    token = register_and_login(shared_lab.http_url, email, PASSWORD)
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    return user_id, email, token


def claims(user_id: str, **changes: object) -> dict:
    now = int(time.time())
    base = {"sub": user_id, "role": "user", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 600}
    base["jti"] = "test"
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def attacks(user_id: str, secret: str, good: str) -> dict[str, str]:
    """Every bad token of the issue, by name."""
    head, body, signature = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["role"] = "admin"
    none_head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    rs_head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    import hashlib
    import hmac

    rs_body = b64(json.dumps(claims(user_id)).encode())
    rs_signature = b64(hmac.new(secret.encode(), f"{rs_head}.{rs_body}".encode(), hashlib.sha256).digest())
    return {
        "malformed": "not.a.jwt",
        "expired": jwt.encode(claims(user_id, exp=int(time.time()) - 60, iat=int(time.time()) - 120), secret),
        "not yet valid": jwt.encode(claims(user_id, nbf=int(time.time()) + 600), secret),
        "wrongly signed": jwt.encode(claims(user_id), "another key of at least thirty-two bytes!"),
        "alg none": f"{none_head}.{b64(json.dumps(claims(user_id)).encode())}.",
        # The right key, another algorithm: only the pinned algorithm list refuses it.
        "HS512": jwt.encode(claims(user_id), secret, algorithm="HS512"),
        "RS256 with the secret as public key": f"{rs_head}.{rs_body}.{rs_signature}",
        "wrong iss": jwt.encode(claims(user_id, iss="someone-else"), secret),
        "wrong aud": jwt.encode(claims(user_id, aud="another-api"), secret),
        "tampered payload": f"{head}.{b64(json.dumps(payload).encode())}.{signature}",
        "missing jti": jwt.encode(claims(user_id, jti=None), secret),
        "missing exp": jwt.encode(claims(user_id, exp=None), secret),
    }


NAMES = list(attacks("1", "s" * 32, jwt.encode({"a": 1}, "k" * 32)))


@pytest.mark.parametrize("name", NAMES)
def test_rest_refuses_the_attack_with_401_and_a_bearer_challenge(name, rest_url, account, secret):
    user_id, _, token = account
    bad = attacks(user_id, secret, token)[name]
    reply = requests.get(f"{rest_url}/users/{user_id}", headers={"Authorization": f"Bearer {bad}"}, timeout=10)
    assert reply.status_code == 401, reply.text
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.headers["WWW-Authenticate"].startswith('Bearer realm="users", error="invalid_token"')


@pytest.mark.parametrize("name", NAMES)
def test_grpc_refuses_the_attack_with_unauthenticated(name, plain_channel, account, secret):
    user_id, _, token = account
    bad = attacks(user_id, secret, token)[name]
    stub = users_pb2_grpc.UserServiceStub(plain_channel)
    with pytest.raises(grpc.RpcError) as refused:
        stub.GetUser(users_pb2.GetUserRequest(id=user_id), metadata=[("authorization", f"Bearer {bad}")], timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, refused.value.details()


def test_no_token_is_401_on_rest_and_unauthenticated_on_grpc(rest_url, plain_channel, account):
    reply = requests.get(f"{rest_url}/users", timeout=10)
    assert reply.status_code == 401 and reply.headers["WWW-Authenticate"] == 'Bearer realm="users"'
    with pytest.raises(grpc.RpcError) as refused:
        users_pb2_grpc.UserServiceStub(plain_channel).ListUsers(users_pb2.ListUsersRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "access token" in refused.value.details()


def test_a_valid_token_works_on_both(rest_url, plain_channel, account):
    user_id, _, token = account
    reply = requests.get(f"{rest_url}/users/{user_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert reply.status_code == 200 and "password" not in reply.text
    stub = users_pb2_grpc.UserServiceStub(plain_channel)
    user = stub.GetUser(
        users_pb2.GetUserRequest(id=user_id), metadata=[("authorization", f"Bearer {token}")], timeout=5
    )
    assert user.id == user_id


def test_the_public_calls_stay_public(rest_url, plain_channel):
    assert requests.get(f"{rest_url}/healthz", timeout=10).status_code == 200
    assert requests.get(f"{rest_url}/openapi.json", timeout=10).status_code == 200
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    assert health_pb2_grpc.HealthStub(plain_channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status == 1
    stub = users_pb2_grpc.UserServiceStub(plain_channel)
    assert stub.CreateUser(users_pb2.CreateUserRequest(name="Pub", email=unique_email()), timeout=5).id


@pytest.mark.parametrize("wrong", ["wrong password", "unknown email"])
def test_wrong_credentials_are_401_and_unauthenticated_alike(wrong, rest_url, plain_channel, account):
    _, email, _ = account
    email, password = (email, "not the password") if wrong == "wrong password" else (unique_email(), PASSWORD)
    reply = requests.post(f"{rest_url}/auth/login", json={"email": email, "password": password}, timeout=10)
    assert reply.status_code == 401 and reply.json()["detail"] == "wrong email or password"
    with pytest.raises(grpc.RpcError) as refused:
        users_pb2_grpc.AuthServiceStub(plain_channel).Login(
            users_pb2.LoginRequest(email=email, password=password), timeout=5
        )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert refused.value.details() == "wrong email or password"


def test_an_unknown_email_costs_about_as_long_as_a_wrong_password(rest_url, account):
    _, email, _ = account

    def timed(address: str) -> float:
        started = time.perf_counter()
        requests.post(f"{rest_url}/auth/login", json={"email": address, "password": "nope nope"}, timeout=10)
        return time.perf_counter() - started

    known = min(timed(email) for _ in range(2))
    unknown = min(timed(unique_email()) for _ in range(2))
    assert unknown > known / 3, (known, unknown)  # both verify one Argon2 hash


def test_repeated_failures_lock_the_email_for_a_while(rest_url, plain_channel):
    email = unique_email("locked")
    register_and_login(rest_url, email, PASSWORD)
    for _ in range(5):
        requests.post(f"{rest_url}/auth/login", json={"email": email, "password": "guess guess"}, timeout=10)
    locked = requests.post(f"{rest_url}/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    with pytest.raises(grpc.RpcError) as refused:
        users_pb2_grpc.AuthServiceStub(plain_channel).Login(
            users_pb2.LoginRequest(email=email, password=PASSWORD), timeout=5
        )
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_deleted_users_token_opens_nothing(rest_url, plain_channel):
    email = unique_email("deleted")
    token = register_and_login(rest_url, email, PASSWORD)
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.delete(f"{rest_url}/users/{user_id}", headers=auth, timeout=10).status_code == 204
    assert requests.get(f"{rest_url}/users", headers=auth, timeout=10).status_code == 401
    with pytest.raises(grpc.RpcError) as refused:
        users_pb2_grpc.UserServiceStub(plain_channel).ListUsers(
            users_pb2.ListUsersRequest(), metadata=[("authorization", f"Bearer {token}")], timeout=5
        )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_only_the_owner_or_an_admin_changes_a_record(rest_url, plain_channel, admin_token):
    victim_email = unique_email("victim")
    register_and_login(rest_url, victim_email, PASSWORD)
    victim = requests.get(f"{rest_url}/users", headers={"Authorization": f"Bearer {admin_token}"}, timeout=10).json()
    victim_id = next(user["id"] for user in victim if user["email"] == victim_email)
    intruder = {"Authorization": f"Bearer {register_and_login(rest_url, unique_email('intruder'), PASSWORD)}"}
    body = {"name": "Hijacked", "email": victim_email}
    assert requests.put(f"{rest_url}/users/{victim_id}", json=body, headers=intruder, timeout=10).status_code == 403
    assert requests.delete(f"{rest_url}/users/{victim_id}", headers=intruder, timeout=10).status_code == 403
    stub = users_pb2_grpc.UserServiceStub(plain_channel)
    metadata = [("authorization", intruder["Authorization"])]
    with pytest.raises(grpc.RpcError) as refused:
        stub.DeleteUser(users_pb2.DeleteUserRequest(id=victim_id), metadata=metadata, timeout=5)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    admin = {"Authorization": f"Bearer {admin_token}"}
    assert requests.put(f"{rest_url}/users/{victim_id}", json=body, headers=admin, timeout=10).status_code == 200


def test_a_token_lasts_the_configured_lifetime_with_every_claim(rest_url, account, secret):
    _, _, token = account
    claims_ = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    assert {"sub", "exp", "iat", "nbf", "iss", "aud", "jti", "role"} <= set(claims_)
    assert claims_["exp"] - claims_["iat"] == 900
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_the_teaching_tool_issues_and_inspects(secret):
    env = {"PATH": "/usr/bin:/bin", "JWT_SECRET": secret}
    run = [sys.executable, "-m", f"{LAB}.tokens"]
    issued = subprocess.run([*run, "issue", "--sub", "7"], cwd=harness.ROOT, env=env, capture_output=True, text=True)
    token = issued.stdout.strip()
    assert Tokens(secret).verify(token).user_id == "7"
    shown = subprocess.run([*run, "inspect", token], cwd=harness.ROOT, env=env, capture_output=True, text=True)
    assert '"alg": "HS256"' in shown.stdout and "signature: valid; user 7, role user" in shown.stdout


@pytest.mark.parametrize("value", [None, "", "short-secret"])
def test_a_missing_or_short_jwt_secret_stops_the_start_in_one_line(value):
    env = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "HTTP_PORT": str(harness.free_port())}
    if value is not None:
        env["JWT_SECRET"] = value
    result = subprocess.run(
        [sys.executable, "-m", LAB], cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"{LAB}: JWT_SECRET ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if value:
        assert value not in result.stderr


def test_no_token_or_password_appears_in_the_log_of_a_whole_run(lab_name, lab_env):
    """A lab that served logins, attacks and errors: its log names neither a password nor a token."""
    with harness.running(lab_name, lab_env) as lab:
        url, secret = lab.http_url, lab.env["JWT_SECRET"]
        token = register_and_login(url, unique_email("logged"), PASSWORD)
        admin = register_and_login(url, "admin@example.com", ADMIN_PASSWORD, "Admin")
        requests.post(f"{url}/auth/login", json={"email": "x@example.com", "password": "the wrong one"}, timeout=10)
        requests.get(f"{url}/users", headers={"Authorization": f"Bearer {token}x"}, timeout=10)
        user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
        forged = attacks(user_id, secret, token)
        for bad in forged.values():
            requests.get(f"{url}/users", headers={"Authorization": f"Bearer {bad}"}, timeout=10)
        with grpc.insecure_channel(lab.grpc_target) as channel:
            users_pb2_grpc.AuthServiceStub(channel).Login(
                users_pb2.LoginRequest(email="admin@example.com", password=ADMIN_PASSWORD), timeout=5
            )
        lab.stop()
        log = lab.log()
    assert "logged in" in log  # the run did log in, and says so
    for secret_text in [PASSWORD, ADMIN_PASSWORD, "the wrong one", token, admin, secret, *forged.values()]:
        assert secret_text not in log
    for part in [token.split(".")[2], admin.split(".")[2]]:
        assert part not in log

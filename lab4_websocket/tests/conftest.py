"""This lab's name and environment for the shared fixtures in common/pytest_plugin.py, gRPC's, and lab 3's tokens.

Lab 3 puts a token in front of almost every call, so the fixtures the copied tests of labs 1-2
use (`http`, `stub`) call as the lab's admin: the tests about users keep testing users. The
tests about authentication itself (test_auth_*.py) use `anonymous`, `login` and `forge` instead.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest
import requests

from common import harness

from ..users.v1 import users_pb2_grpc

LAB = Path(__file__).resolve().parents[1].name
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin password for tests"


@pytest.fixture(scope="session")
def lab_name() -> str:
    return LAB


@pytest.fixture(scope="module", autouse=True)
def compose_secret(request: pytest.FixtureRequest) -> Iterator[None]:
    """compose.yaml refuses to resolve without JWT_SECRET: the container tests get a random one when it is missing.

    Only those modules: every lab process the other tests start keeps a fresh secret of its own.
    """
    if "container" not in request.module.__name__ or os.environ.get("JWT_SECRET"):
        yield
        return
    os.environ["JWT_SECRET"] = secrets.token_hex(32)
    try:
        yield
    finally:
        os.environ.pop("JWT_SECRET", None)


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    """Every test process of the lab has a first admin (the harness gives each a JWT_SECRET)."""
    return {"ADMIN_EMAIL": ADMIN_EMAIL}


def register_and_login(base_url: str, email: str, password: str, name: str = "Test User") -> str:
    """Register (if not yet) and log in over REST; the access token."""
    requests.post(f"{base_url}/users", json={"name": name, "email": email, "password": password}, timeout=10)
    reply = requests.post(f"{base_url}/auth/login", json={"email": email, "password": password}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


class AdminAuth(requests.auth.AuthBase):
    """Adds the admin's token of whichever lab process a request goes to (registered and logged in once each)."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def token(self, base_url: str) -> str:
        with self._lock:
            if base_url not in self._tokens:
                self._tokens[base_url] = register_and_login(base_url, ADMIN_EMAIL, ADMIN_PASSWORD, "Admin")
            return self._tokens[base_url]

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url)
        if "Authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.token(f'{parts.scheme}://{parts.netloc}')}"
        return request


ADMIN = AdminAuth()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that calls as the admin of the lab it talks to."""
    with requests.Session() as session:
        session.auth = ADMIN
        yield session


@pytest.fixture
def anonymous() -> Iterator[requests.Session]:
    """A session that sends no token of its own."""
    with requests.Session() as session:
        yield session


class _Metadata(grpc.UnaryUnaryClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call (call credentials need a secure channel)."""

    def __init__(self, token: str) -> None:
        self._metadata = (("authorization", f"Bearer {token}"),)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = tuple(client_call_details.metadata or ()) + self._metadata
        return continuation(client_call_details._replace(metadata=metadata), request)


def with_token(channel: grpc.Channel, token: str) -> grpc.Channel:
    return grpc.intercept_channel(channel, _Metadata(token))


@pytest.fixture(scope="session")
def grpc_target(shared_lab: harness.LabProcess) -> str:
    return shared_lab.grpc_target


@pytest.fixture(scope="session")
def admin_token(shared_lab: harness.LabProcess) -> str:
    return ADMIN.token(shared_lab.http_url)


@pytest.fixture(scope="session")
def plain_channel(grpc_target: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(grpc_target) as open_channel:
        yield open_channel


@pytest.fixture(scope="session")
def channel(plain_channel: grpc.Channel, admin_token: str) -> grpc.Channel:
    """The shared lab's channel, every call carrying the admin's token."""
    return with_token(plain_channel, admin_token)


@pytest.fixture
def stub(channel: grpc.Channel) -> users_pb2_grpc.UserServiceStub:
    return users_pb2_grpc.UserServiceStub(channel)

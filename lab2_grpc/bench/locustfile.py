"""The REST user and the gRPC user, running the same mix of operations on the same data.

Watch it live: start the lab (``python -m lab2_grpc``), then ``locust -f lab2_grpc/bench/locustfile.py`` and open
http://127.0.0.1:8089. The targets come from the lab's own variables (HOST, HTTP_PORT, GRPC_PORT), because
the two users need two different addresses and Locust's --host holds only one. The study
(``python -m lab2_grpc.bench``) runs one operation at a time from these same classes, headless.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from collections import defaultdict, deque
from typing import Any

from locust import FastHttpUser, events
from locust.env import Environment

from lab2_grpc.bench import hello_grpc, hello_rest
from lab2_grpc.bench.grpc_user import GrpcUser as GrpcBaseUser
from lab2_grpc.bench.scenario import SEED_USERS, seed_user
from lab2_grpc.users.v1 import users_pb2, users_pb2_grpc

_HOST = os.environ.get("HOST", "127.0.0.1")
REST_URL = f"http://{_HOST}:{os.environ.get('HTTP_PORT', '8000')}"
GRPC_TARGET = f"{_HOST}:{os.environ.get('GRPC_PORT', '50051')}"

# Users created by `create`, per target, waiting for `delete`: so delete never measures a miss.
CREATED: defaultdict[str, deque[str]] = defaultdict(deque)
_names = itertools.count(1)
# How often each operation runs in the mix, the same for both users; reads dominate, as in most services.
MIX = {"create": 3, "get": 10, "list_1": 2, "list_100": 2, "list_1000": 1, "update": 2, "delete": 2}


def seed_ids() -> list[tuple[str, str]]:
    """(id, email) of the seeded users; ids count from 1 in a fresh store, as the study's servers have."""
    return [(str(index), seed_user(index)["email"]) for index in range(1, SEED_USERS + 1)]


def new_email() -> str:
    return f"bench-{uuid.uuid4().hex}@example.com"


class RestCalls(FastHttpUser):
    """JSON over HTTP/1.1, one keep-alive connection per user: the operations, without a mix."""

    abstract = True
    host = REST_URL

    def on_start(self) -> None:
        self.seeds = seed_ids()

    def create(self) -> None:
        body = {"name": f"Bench User {next(_names)}", "email": new_email()}
        response = self.client.post("/users", json=body, name="create")
        if response.status_code == 201:
            CREATED[self.host].append(response.json()["id"])

    def get(self) -> None:
        user_id, _ = random.choice(self.seeds)
        self.client.get(f"/users/{user_id}", name="get")

    def list_1(self) -> None:
        self.client.get("/users?limit=1", name="list_1")

    def list_100(self) -> None:
        self.client.get("/users?limit=100", name="list_100")

    def list_1000(self) -> None:
        self.client.get("/users?limit=1000", name="list_1000")

    def update(self) -> None:
        user_id, email = random.choice(self.seeds)
        body = {"name": f"Updated {next(_names)}", "email": email}
        self.client.put(f"/users/{user_id}", json=body, name="update")

    def delete(self) -> None:
        pool = CREATED[self.host]
        if not pool:
            self.on_empty_pool()
            return
        self.client.delete(f"/users/{pool.popleft()}", name="delete")

    def hello(self) -> None:
        """The floor; only the study calls it (the lab itself has no such route)."""
        self.client.get(hello_rest.HELLO_PATH, name="hello")

    def on_empty_pool(self) -> None:
        """In the mix, create a user to delete next time; the study overrides this to end the measurement."""
        self.create()


class GrpcCalls(GrpcBaseUser):
    """Protobuf over HTTP/2, one channel (connection) per user: the operations, without a mix."""

    abstract = True
    host = GRPC_TARGET

    def on_start(self) -> None:
        self.seeds = seed_ids()
        self.stub = users_pb2_grpc.UserServiceStub(self.channel)
        self.say = self.channel.unary_unary(hello_grpc.METHOD)

    def _call(self, name: str, method: Any, request: Any) -> Any:
        self.interceptor.name = name
        try:
            return method(request)
        except Exception:  # the interceptor has recorded the failure already
            return None

    def create(self) -> None:
        request = users_pb2.CreateUserRequest(name=f"Bench User {next(_names)}", email=new_email())
        user = self._call("create", self.stub.CreateUser, request)
        if user is not None:
            CREATED[self.host].append(user.id)

    def get(self) -> None:
        user_id, _ = random.choice(self.seeds)
        self._call("get", self.stub.GetUser, users_pb2.GetUserRequest(id=user_id))

    def list_1(self) -> None:
        self._call("list_1", self.stub.ListUsers, users_pb2.ListUsersRequest(page_size=1))

    def list_100(self) -> None:
        self._call("list_100", self.stub.ListUsers, users_pb2.ListUsersRequest(page_size=100))

    def list_1000(self) -> None:
        self._call("list_1000", self.stub.ListUsers, users_pb2.ListUsersRequest(page_size=1000))

    def update(self) -> None:
        user_id, email = random.choice(self.seeds)
        request = users_pb2.UpdateUserRequest(id=user_id, name=f"Updated {next(_names)}", email=email)
        self._call("update", self.stub.UpdateUser, request)

    def delete(self) -> None:
        pool = CREATED[self.host]
        if not pool:
            self.on_empty_pool()
            return
        self._call("delete", self.stub.DeleteUser, users_pb2.DeleteUserRequest(id=pool.popleft()))

    def hello(self) -> None:
        """The floor; only the study calls it, against the bare grpcio server."""
        self._call("hello", self.say, b"")

    def on_empty_pool(self) -> None:
        self.create()


def _mix(calls: type) -> dict[Any, int]:
    return {getattr(calls, operation): weight for operation, weight in MIX.items()}


class RestUser(RestCalls):
    """The REST side of the mix (the study subclasses RestCalls instead, one operation at a time)."""

    tasks = _mix(RestCalls)


class GrpcUser(GrpcCalls):
    """The gRPC side of the same mix."""

    tasks = _mix(GrpcCalls)


@events.test_start.add_listener
def seed_the_lab(environment: Environment, **_: Any) -> None:
    """Under ``locust -f`` against ``python -m lab2_grpc``, create the seeded users first (409s are fine)."""
    if environment.parsed_options is None:  # the study's servers are seeded already
        return
    import requests

    with requests.Session() as session:
        for index in range(1, SEED_USERS + 1):
            session.post(f"{REST_URL}/users", json=seed_user(index), timeout=10)

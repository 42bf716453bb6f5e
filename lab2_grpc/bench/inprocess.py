"""Each operation's cost without any server: the Flask app called as WSGI, the servicer called as a method.

One thread, no sockets, no pool: what remains is the framework's and the service's own Python per call. Set
against the server CPU per request, it splits a call's cost into "the app" and "the server around it", and
against the floor's own line, it shows what each operation adds to a bare hello.
"""

from __future__ import annotations

import io
import itertools
import json
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..api import create_app
from ..servicer import UserServicer
from ..users.v1 import users_pb2
from . import hello_grpc, hello_rest
from .scenario import FLOOR, OPERATIONS, list_size
from .servers import seeded_store


@dataclass
class InProcessRow:
    transport: str
    op: str
    us_per_call: float


def _environ(method: str, path: str, query: str = "", body: bytes = b"") -> dict[str, Any]:
    """A minimal WSGI environ, like the one Waitress builds for a request on a kept-alive connection."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json" if body else "",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def _rest_calls(app: Flask, hello: Flask) -> dict[str, Callable[[int], Any]]:
    created: list[str] = []

    def call(target: Flask, environ: dict[str, Any]) -> bytes:
        return b"".join(target(environ, lambda *_: None))

    def create(index: int) -> None:
        body = json.dumps({"name": f"Bench User {index}", "email": f"inproc{index}@example.com"}).encode()
        created.append(json.loads(call(app, _environ("POST", "/users", body=body)))["id"])

    def update(index: int) -> None:
        body = json.dumps({"name": f"Updated {index}", "email": "seed2@example.com"}).encode()
        call(app, _environ("PUT", "/users/2", body=body))

    calls: dict[str, Callable[[int], Any]] = {
        FLOOR: lambda _: call(hello, _environ("GET", hello_rest.HELLO_PATH)),
        "create": create,
        "get": lambda _: call(app, _environ("GET", "/users/1")),
        "update": update,
        "delete": lambda _: call(app, _environ("DELETE", f"/users/{created.pop()}")),
    }
    for op in OPERATIONS:
        size = list_size(op)
        if size:
            calls[op] = lambda _, query=f"limit={size}": call(app, _environ("GET", "/users", query))
    return calls


def _grpc_calls(servicer: UserServicer) -> dict[str, Callable[[int], Any]]:
    """Each call parses its request bytes and serialises its answer, as the server does around the servicer."""
    created: list[str] = []

    def rpc(method: Callable[[Any, Any], Any], message_type: Any, request: Any) -> bytes:
        return method(message_type.FromString(request.SerializeToString()), None).SerializeToString()

    def create(index: int) -> None:
        request = users_pb2.CreateUserRequest(name=f"Bench User {index}", email=f"inproc{index}@example.com")
        created.append(users_pb2.User.FromString(rpc(servicer.CreateUser, users_pb2.CreateUserRequest, request)).id)

    def update(index: int) -> None:
        request = users_pb2.UpdateUserRequest(id="2", name=f"Updated {index}", email="seed2@example.com")
        rpc(servicer.UpdateUser, users_pb2.UpdateUserRequest, request)

    calls: dict[str, Callable[[int], Any]] = {
        FLOOR: lambda _: hello_grpc._say(b"", None),  # type: ignore[arg-type]
        "create": create,
        "get": lambda _: rpc(servicer.GetUser, users_pb2.GetUserRequest, users_pb2.GetUserRequest(id="1")),
        "update": update,
        "delete": lambda _: rpc(
            servicer.DeleteUser, users_pb2.DeleteUserRequest, users_pb2.DeleteUserRequest(id=created.pop())
        ),
    }
    for op in OPERATIONS:
        size = list_size(op)
        if size:
            request = users_pb2.ListUsersRequest(page_size=size)
            calls[op] = lambda _, r=request: rpc(servicer.ListUsers, users_pb2.ListUsersRequest, r)
    return calls


def _time(calls: dict[str, Callable[[int], Any]], op: str, number: int, counter: itertools.count[int]) -> float:
    """Best of 7 repeats (the least disturbed); delete runs right after create, on the users create made."""
    call = calls[op]
    repeats = [timeit.timeit(lambda: call(next(counter)), number=number) / number for _ in range(7)]
    return min(repeats) * 1e6


def measure(number: int = 300) -> list[InProcessRow]:
    rows: list[InProcessRow] = []
    counter = itertools.count(1)
    order = [FLOOR, *(op for op in OPERATIONS if op != "delete"), "delete"]  # create fills what delete empties
    for transport, calls in (
        ("rest", _rest_calls(create_app(seeded_store()), hello_rest.create_app())),
        ("grpc", _grpc_calls(UserServicer(seeded_store()))),
    ):
        for op in order:
            count = max(20, number * 3 // (list_size(op) or 1))  # larger lists: fewer calls, never too few
            rows.append(InProcessRow(transport, op, _time(calls, op, count, counter)))
    return rows

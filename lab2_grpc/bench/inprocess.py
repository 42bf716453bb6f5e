"""Each operation's cost without any server: the Flask app called as WSGI, the gRPC service called as a method.

One thread, no sockets, no pool: what remains is the framework's and the service's own Python per call. Set
against the server CPU per request, it splits a call's cost into "the app" and "the server around it", and
against the floor's own line, it shows what each operation adds to a bare hello.
"""

from __future__ import annotations

import cProfile
import io
import itertools
import json
import pstats
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..domain import parse_user_fields
from ..grpc_service import UserService
from ..rest_api import create_app
from ..store import UserStore
from ..users.v1 import users_pb2
from . import hello_grpc, hello_rest
from .scenario import FLOOR, OPERATIONS, list_size, seed_users


@dataclass
class InProcessRow:
    transport: str
    op: str
    us_per_call: float


def seeded_store() -> UserStore:
    """The 1,000 seeded users, as the lab holds them during the study."""
    store = UserStore()
    for fields in seed_users():
        store.create(parse_user_fields(fields))
    return store


def _environ(method: str, path: str, query: str = "", body: bytes = b"") -> dict[str, Any]:
    """A minimal WSGI environ, like the one the server builds for a request on a kept-alive connection."""
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


def _grpc_calls(service: UserService) -> dict[str, Callable[[int], Any]]:
    """Each call parses its request bytes and serialises its answer, as the server does around the service."""
    created: list[str] = []

    def rpc(method: Callable[[Any, Any], Any], message_type: Any, request: Any) -> bytes:
        return method(message_type.FromString(request.SerializeToString()), None).SerializeToString()

    def create(index: int) -> None:
        request = users_pb2.CreateUserRequest(name=f"Bench User {index}", email=f"inproc{index}@example.com")
        created.append(users_pb2.User.FromString(rpc(service.CreateUser, users_pb2.CreateUserRequest, request)).id)

    def update(index: int) -> None:
        request = users_pb2.UpdateUserRequest(id="2", name=f"Updated {index}", email="seed2@example.com")
        rpc(service.UpdateUser, users_pb2.UpdateUserRequest, request)

    calls: dict[str, Callable[[int], Any]] = {
        FLOOR: lambda _: hello_grpc._say(b"", None),  # type: ignore[arg-type]
        "create": create,
        "get": lambda _: rpc(service.GetUser, users_pb2.GetUserRequest, users_pb2.GetUserRequest(id="1")),
        "update": update,
        "delete": lambda _: rpc(
            service.DeleteUser, users_pb2.DeleteUserRequest, users_pb2.DeleteUserRequest(id=created.pop())
        ),
    }
    for op in OPERATIONS:
        size = list_size(op)
        if size:
            request = users_pb2.ListUsersRequest(page_size=size)
            calls[op] = lambda _, r=request: rpc(service.ListUsers, users_pb2.ListUsersRequest, r)
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
        ("grpc", _grpc_calls(UserService(seeded_store()))),
    ):
        for op in order:
            count = max(20, number * 3 // (list_size(op) or 1))  # larger lists: fewer calls, never too few
            rows.append(InProcessRow(transport, op, _time(calls, op, count, counter)))
    return rows


def hot_path(transport: str, op: str, calls: int = 200) -> tuple[str, str, float] | None:
    """Where an in-process call's time concentrates, by cProfile over `calls` calls.

    Follow the call tree from the app's entry down the heaviest callee while it holds at least half of its
    caller's time; return the library the path ends in, with its first function there and the function of
    another library that called it, and that first function's share of the whole call.
    """
    app_calls = (
        _rest_calls(create_app(seeded_store()), hello_rest.create_app())
        if transport == "rest"
        else _grpc_calls(UserService(seeded_store()))
    )
    call = app_calls[op]
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(calls):
        call(index)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values()) or 1.0
    callees: dict[tuple, list[tuple]] = {}
    for function, (_, _, _, _, callers) in stats.items():
        for caller in callers:
            callees.setdefault(caller, []).append(function)

    def package(function: tuple) -> str:
        path = function[0]
        return path.split("site-packages/")[1].split("/")[0].removesuffix(".py") if "site-packages/" in path else ""

    libraries = [function for function in stats if package(function)]
    if not libraries:
        return None
    current = max(libraries, key=lambda function: stats[function][3])
    path = [current]
    while True:
        below = [callee for callee in callees.get(current, []) if package(callee)]
        if not below:
            break
        heaviest = max(below, key=lambda function: stats[function][3])
        if stats[heaviest][3] < 0.5 * stats[current][3] or heaviest in path:
            break
        path.append(heaviest)
        current = heaviest
    last = package(path[-1])
    first_index = next(index for index, function in enumerate(path) if package(function) == last)
    entry, caller = path[first_index], path[first_index - 1] if first_index else path[0]
    return (f"{package(caller)}: {caller[2]}", f"{last}: {entry[2]}", stats[entry][3] / total)

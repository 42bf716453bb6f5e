"""A busy server's refusals are asked again: the race requirements judge the race, not the load.

A server may refuse, at once, the calls over what it runs together and ask the client to retry:
gRPC RESOURCE_EXHAUSTED (lab 2 runs 10 service calls at a time), HTTP 503 or 429. The race
requirements send such a call again after a short pause, so a server that serves every call in
the end passes, a racy one still fails, and one that never serves them fails saying so, within
the requirement's time limit. The servers here are the minimal service behind a `Guard`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import grpc
import pytest

from common.grader.context import Context
from common.grader.grpc_client import GrpcClient
from common.grader.registry import builtin
from common.grader.rest_client import RestClient
from common.grader.runner import run_check
from common.tests.minimal_service import Flaws, Handler, Server, Store, _servicer

TIMEOUT = 5.0  # seconds, every call
HOLD = 5.0  # seconds an admitted call waits at most for the refusal that the guard makes certain
SHORT = 2.0  # seconds: the time limit of a requirement that meets a server that is never free
REQUIREMENTS = {req.id: req for req in builtin(("rest", "grpc"))}
BUSY_MESSAGE = "the server is busy: too many calls are in progress; retry later"


class Guard:
    """Serves at most `limit` calls at once and refuses the others at once, as lab 2's gRPC server does.

    The calls of kind `held` that it lets in wait (HOLD s at most) until it has refused one, so that
    a refusal is certain however the calls sent together happen to arrive; other calls (a check's
    setup, its reads afterwards) never wait. A limit of 0 refuses every call: a server never free.
    """

    def __init__(self, limit: int, held: str = "") -> None:
        self.limit = limit
        self.held = held
        self.running = 0
        self.refusals = 0
        self._lock = threading.Lock()
        self._refused = threading.Event()

    def enter(self, kind: str) -> bool:
        with self._lock:
            if self.running >= self.limit:
                self.refusals += 1
                self._refused.set()
                return False
            self.running += 1
        if kind == self.held:
            self._refused.wait(HOLD)
        return True

    def leave(self) -> None:
        with self._lock:
            self.running -= 1


class GuardedCalls(grpc.ServerInterceptor):
    """Every unary call through the guard: RESOURCE_EXHAUSTED when it has no room (kind: the method's name)."""

    def __init__(self, guard: Guard, store: Store) -> None:
        self.guard = guard
        self.store = store

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        kind = handler_call_details.method.rsplit("/", 1)[-1]
        serve = handler.unary_unary

        def guarded(request, context):
            if not self.guard.enter(kind):
                context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, BUSY_MESSAGE)
            self.store.arrived(+1)  # the racy variants widen their window while others run
            try:
                return serve(request, context)
            finally:
                self.store.arrived(-1)
                self.guard.leave()

        return grpc.unary_unary_rpc_method_handler(
            guarded, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )


@contextmanager
def guarded_grpc(guard: Guard, flaws: Flaws | None = None) -> Iterator[str]:
    """The minimal gRPC service behind `guard`; yields HOST:PORT."""
    store = Store(flaws or Flaws())
    servicer, stubs = _servicer(store)
    server = grpc.server(ThreadPoolExecutor(max_workers=32), interceptors=[GuardedCalls(guard, store)])
    stubs.add_UserServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


class GuardedHandler(Handler):
    """Every request through the guard: 503 with Retry-After when it has no room (kind: the method)."""

    guard: Guard  # set on the subclass each server makes

    def _serve(self, method: str) -> None:
        if not self.guard.enter(method.upper()):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))  # read it all: an unread body resets
            self._send(503, {"error": BUSY_MESSAGE}, {"Retry-After": "0"})
            return
        try:
            super()._serve(method)
        finally:
            self.guard.leave()


@contextmanager
def guarded_rest(guard: Guard) -> Iterator[str]:
    """The minimal REST service behind `guard`; yields its base URL."""
    handler = type("BoundGuardedHandler", (GuardedHandler,), {"store": Store(Flaws()), "guard": guard})
    server = Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run(requirement_id: str, *, rest_url: str = "", grpc_target: str = "", limit: float = 0.0) -> tuple[str, str]:
    """Run one requirement as the runner does, with `limit` seconds (its own time limit when 0)."""
    req = REQUIREMENTS[requirement_id]
    limit = limit or req.time_limit or 6 * TIMEOUT
    rest = RestClient(rest_url, TIMEOUT) if rest_url else None
    stub = GrpcClient(grpc_target, TIMEOUT, "lab2_grpc") if grpc_target else None
    try:
        status, message = run_check(req, Context(TIMEOUT, rest, stub, deadline=time.monotonic() + limit), limit)
    finally:
        for client in (rest, stub):
            if client is not None:
                client.close()
    return status, message or ""


@pytest.mark.parametrize(
    ("requirement_id", "raced"), [("GRPC-RACE-CREATE-ONE-EMAIL", "CreateUser"), ("GRPC-RACE-UPDATE-MANY", "UpdateUser")]
)
def test_a_grpc_race_passes_when_the_calls_a_busy_server_refused_are_served_when_sent_again(requirement_id, raced):
    guard = Guard(limit=4, held=raced)
    with guarded_grpc(guard) as target:
        status, message = run(requirement_id, grpc_target=target)
    assert status == "pass", message
    assert guard.refusals > 0


def test_a_racy_grpc_create_still_fails_behind_a_busy_server():
    guard = Guard(limit=4, held="CreateUser")
    with guarded_grpc(guard, Flaws(create_race=True)) as target:
        status, message = run("GRPC-RACE-CREATE-ONE-EMAIL", grpc_target=target)
    assert status == "fail", message
    assert message.startswith("exactly one should succeed and every other end with ALREADY_EXISTS"), message
    assert guard.refusals > 0 and "were sent again" in message, message


@pytest.mark.parametrize(
    ("requirement_id", "raced"),
    [
        ("REST-RACE-CREATE-ONE-EMAIL", "POST"),
        ("REST-RACE-CREATE-MANY", "POST"),
        ("REST-RACE-UPDATE-MANY", "PUT"),
        ("REST-RACE-UPDATE-ONE", "PUT"),
        ("REST-RACE-DELETE", "DELETE"),
    ],
)
def test_a_rest_race_passes_when_the_requests_a_busy_server_refused_are_served_when_sent_again(requirement_id, raced):
    guard = Guard(limit=4, held=raced)
    with guarded_rest(guard) as url:
        status, message = run(requirement_id, rest_url=url)
    assert status == "pass", message
    assert guard.refusals > 0


def test_a_grpc_server_that_is_never_free_fails_the_race_saying_so_within_the_time_limit():
    guard = Guard(limit=0)
    with guarded_grpc(guard) as target:
        began = time.monotonic()
        status, message = run("GRPC-RACE-CREATE-ONE-EMAIL", grpc_target=target, limit=SHORT)
        took = time.monotonic() - began
    assert status == "fail", message
    lines = message.splitlines()
    assert lines[0].startswith("16 of 16 calls were still refused as busy (RESOURCE_EXHAUSTED) after being sent again")
    assert "should serve them once the calls before them have ended" in lines[0]
    assert lines[1].startswith("sent: CreateUser(CreateUserRequest {")
    assert lines[2] == f"got:  RESOURCE_EXHAUSTED: {BUSY_MESSAGE}"
    assert guard.refusals > 16  # every call was sent again, some more than once
    assert took < SHORT


def test_a_rest_server_that_is_never_free_fails_the_race_saying_so_within_the_time_limit():
    guard = Guard(limit=0)
    with guarded_rest(guard) as url:
        began = time.monotonic()
        status, message = run("REST-RACE-CREATE-ONE-EMAIL", rest_url=url, limit=SHORT)
        took = time.monotonic() - began
    assert status == "fail", message
    lines = message.splitlines()
    assert lines[0].startswith("16 of 16 calls were still refused as busy (503 or 429) after being sent again")
    assert lines[1].startswith("sent: POST /users {")
    assert lines[2].startswith("got:  503; Content-Type: application/json;")
    assert guard.refusals > 16
    assert took < SHORT

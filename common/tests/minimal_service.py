"""An independent, minimal user service, written as a student in another style might: the grader's foil.

Only the standard library (http.server, json) for REST, and lab 2's generated stubs for gRPC. It does
what the assignment's tasks ask and nothing more: UUID ids, an absolute Location on another host
alias (localhost), RFC 3339 times with "Z" and trimmed fractions (as Go prints them), plain
{"error": ...} bodies with 400 for every bad input, no /healthz, no paging, no problem+json, no
health or reflection. `Flaws` turns it into the broken variants the grader must catch; the racy
ones widen their race window while another request is in flight, so sequential calls stay fast.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import grpc
from google.protobuf import empty_pb2

RACE_WINDOW = 0.1  # seconds a racy variant waits inside its window while other requests run
FIRST_WAIT = 0.005  # seconds it always waits, so that requests sent together are all in flight


@dataclass(frozen=True)
class Flaws:
    """The broken variants: each flag breaks one thing, as a student's bug would."""

    create_status: int = 201
    location: bool = True
    create_case_sensitive: bool = False
    update_case_sensitive: bool = False
    malformed_json_500: bool = False
    order: str = "oldest"  # "newest" or "name" break the oldest-first listing
    create_race: bool = False  # checks the email, then inserts, without a lock
    lost_update: bool = False  # copies the map, changes the copy, writes it back, without a lock
    unlocked_ids: bool = False  # numbers users from a counter read and written without a lock
    hang_get_by_id: float = 0.0  # seconds GET /users/{id} sleeps before answering


class Taken(Exception):
    pass


class Missing(Exception):
    pass


def go_time(moment: datetime) -> str:
    """RFC 3339 as Go's time.RFC3339Nano prints it: trailing zeros of the fraction trimmed, "Z"."""
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


class Store:
    """Users in a dict (insertion order is creation order), guarded by one lock unless a flaw says not."""

    def __init__(self, flaws: Flaws) -> None:
        self.flaws = flaws
        self.users: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self._counting = threading.Lock()
        self.counter = 0

    def arrived(self, change: int) -> None:
        with self._counting:
            self.in_flight += change

    def widen(self) -> None:
        """Wait inside a race window: briefly, then long if other requests are running too."""
        time.sleep(FIRST_WAIT)
        if self.in_flight > 1:
            time.sleep(RACE_WINDOW)

    def _taken(self, email: str, case_sensitive: bool, other_than: str | None = None) -> bool:
        def same(a: str, b: str) -> bool:
            return a == b if case_sensitive else a.lower() == b.lower()

        users = list(self.users.items())  # a snapshot: an unlocked variant may insert meanwhile
        return any(same(u["email"], email) and uid != other_than for uid, u in users)

    def _new_id(self) -> str:
        if not self.flaws.unlocked_ids:
            return str(uuid.uuid4())
        seen = self.counter
        self.widen()
        self.counter = seen + 1
        return str(self.counter)

    def create(self, name: str, email: str) -> dict:
        now = datetime.now(UTC)
        user = {"id": self._new_id(), "name": name, "email": email, "created": now, "updated": now}
        if self.flaws.create_race:
            if self._taken(email, self.flaws.create_case_sensitive):
                raise Taken
            self.widen()
            self.users[user["id"]] = user
            return user
        with self.lock:
            if self._taken(email, self.flaws.create_case_sensitive):
                raise Taken
            self.users[user["id"]] = user
        return user

    def get(self, user_id: str) -> dict:
        user = self.users.get(user_id)
        if user is None:
            raise Missing
        return user

    def listed(self) -> list[dict]:
        users = list(self.users.values())
        if self.flaws.order == "newest":
            return users[::-1]
        if self.flaws.order == "name":
            return sorted(users, key=lambda u: u["name"])
        return users

    def update(self, user_id: str, name: str, email: str) -> dict:
        if self.flaws.lost_update:
            copy = dict(self.users)
            self._check_update(copy, user_id, email)
            copy[user_id] = {**copy[user_id], "name": name, "email": email, "updated": datetime.now(UTC)}
            self.widen()
            self.users = copy
            return copy[user_id]
        with self.lock:
            self._check_update(self.users, user_id, email)
            self.users[user_id] = {**self.users[user_id], "name": name, "email": email, "updated": datetime.now(UTC)}
            return self.users[user_id]

    def _check_update(self, users: dict[str, dict], user_id: str, email: str) -> None:
        if user_id not in users:
            raise Missing
        if self._taken(email, self.flaws.update_case_sensitive, other_than=user_id):
            raise Taken

    def delete(self, user_id: str) -> None:
        with self.lock:
            if self.users.pop(user_id, None) is None:
                raise Missing


def problems(body: object) -> str | None:
    """Why a body is not a valid {name, email}, in the assignment's plain terms (None if it is)."""
    if not isinstance(body, dict):
        return "send a JSON object"
    if not isinstance(body.get("name"), str) or not body["name"]:
        return "name is required"
    if not isinstance(body.get("email"), str) or "@" not in body["email"]:
        return "email is required and needs an @"
    return None


def as_json(user: dict) -> dict:
    return {
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "created_at": go_time(user["created"]),
        "updated_at": go_time(user["updated"]),
    }


class Handler(BaseHTTPRequestHandler):
    store: Store  # set on the subclass each server makes

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is None:
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> tuple[object, str | None]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return json.loads(raw), None
        except ValueError:
            return None, "malformed JSON"

    def _route(self) -> tuple[str, str | None]:
        parts = urlsplit(self.path).path.rstrip("/").split("/")
        if len(parts) == 2 and parts[1] == "users":
            return "users", None
        if len(parts) == 3 and parts[1] == "users":
            return "user", parts[2]
        return "other", None

    def _serve(self, method: str) -> None:
        self.store.arrived(+1)
        try:
            getattr(self, f"_{method}")()
        finally:
            self.store.arrived(-1)

    def do_GET(self) -> None:
        self._serve("get")

    def do_POST(self) -> None:
        self._serve("post")

    def do_PUT(self) -> None:
        self._serve("put")

    def do_DELETE(self) -> None:
        self._serve("delete")

    def _valid_body(self) -> dict | None:
        body, error = self._body()
        if error:
            self._send(500 if self.store.flaws.malformed_json_500 else 400, {"error": error})
            return None
        error = problems(body)
        if error:
            self._send(400, {"error": error})
            return None
        return body

    def _get(self) -> None:
        kind, user_id = self._route()
        if kind == "users":
            self._send(200, [as_json(u) for u in self.store.listed()])
        elif kind == "user":
            time.sleep(self.store.flaws.hang_get_by_id)
            try:
                self._send(200, as_json(self.store.get(user_id)))
            except Missing:
                self._send(404, {"error": "not found"})
        else:
            self._send(404, {"error": "no such page"})

    def _post(self) -> None:
        if self._route()[0] != "users":
            self._send(404, {"error": "no such page"})
            return
        body = self._valid_body()
        if body is None:
            return
        try:
            user = self.store.create(body["name"], body["email"])
        except Taken:
            self._send(409, {"error": "email taken"})
            return
        port = self.server.server_address[1]
        location = {"Location": f"http://localhost:{port}/users/{user['id']}"} if self.store.flaws.location else {}
        self._send(self.store.flaws.create_status, as_json(user), location)

    def _put(self) -> None:
        kind, user_id = self._route()
        if kind != "user":
            self._send(404, {"error": "no such page"})
            return
        body = self._valid_body()
        if body is None:
            return
        try:
            self._send(200, as_json(self.store.update(user_id, body["name"], body["email"])))
        except Missing:
            self._send(404, {"error": "not found"})
        except Taken:
            self._send(409, {"error": "email taken"})

    def _delete(self) -> None:
        kind, user_id = self._route()
        try:
            if kind != "user":
                raise Missing
            self.store.delete(user_id)
            self._send(204)
        except Missing:
            self._send(404, {"error": "not found"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hung handler must not hold the test's teardown
    request_queue_size = 128


@contextmanager
def rest_service(store: Store) -> Iterator[str]:
    """Serve `store` over HTTP on a free port of 127.0.0.1; yield the base URL."""
    handler = type("BoundHandler", (Handler,), {"store": store})
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _servicer(store: Store):
    pb = importlib.import_module("lab2_grpc.users.v1.users_pb2")
    stubs = importlib.import_module("lab2_grpc.users.v1.users_pb2_grpc")

    def message(user: dict):
        created, updated = pb.User().create_time, pb.User().update_time
        created.FromDatetime(user["created"])
        updated.FromDatetime(user["updated"])
        return pb.User(id=user["id"], name=user["name"], email=user["email"], create_time=created, update_time=updated)

    def check(context, name: str, email: str) -> None:
        bad = [field for field, ok in (("name", bool(name)), ("email", "@" in email)) if not ok]
        if bad:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid {' and '.join(bad)}")

    class Servicer(stubs.UserServiceServicer):
        def CreateUser(self, request, context):
            check(context, request.name, request.email)
            try:
                return message(store.create(request.name, request.email))
            except Taken:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "email already registered")

        def GetUser(self, request, context):
            try:
                return message(store.get(request.id))
            except Missing:
                context.abort(grpc.StatusCode.NOT_FOUND, f"no user with id {request.id}")

        def ListUsers(self, request, context):
            return pb.ListUsersResponse(users=[message(u) for u in store.listed()])

        def UpdateUser(self, request, context):
            check(context, request.name, request.email)
            try:
                return message(store.update(request.id, request.name, request.email))
            except Missing:
                context.abort(grpc.StatusCode.NOT_FOUND, f"no user with id {request.id}")
            except Taken:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "email already registered")

        def DeleteUser(self, request, context):
            try:
                store.delete(request.id)
            except Missing:
                context.abort(grpc.StatusCode.NOT_FOUND, f"no user with id {request.id}")
            return empty_pb2.Empty()

    return Servicer(), stubs


@contextmanager
def grpc_service(store: Store) -> Iterator[str]:
    """Serve `store` over gRPC (UserService only: no health, no reflection); yield HOST:PORT."""
    servicer, stubs = _servicer(store)
    server = grpc.server(ThreadPoolExecutor(max_workers=32))
    stubs.add_UserServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


@contextmanager
def minimal_lab1(flaws: Flaws = Flaws()) -> Iterator[str]:
    with rest_service(Store(flaws)) as url:
        yield url


@contextmanager
def minimal_lab2(flaws: Flaws = Flaws()) -> Iterator[tuple[str, str]]:
    """REST and gRPC on one store, as lab 2 asks."""
    store = Store(flaws)
    with rest_service(store) as url, grpc_service(store) as target:
        yield url, target

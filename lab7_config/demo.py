"""A guided tour of both APIs: ``python -m lab7_config.demo [BASE_URL]`` prints each call and its answer.

Lab 6 ends it with a registration's trace id and what the metrics say.

It runs against a service that is already up (``python -m lab7_config`` in another terminal);
``./run_all.sh`` starts the lab, runs this tour and stops it again.
"""

from __future__ import annotations

import json
import sys
import time

import grpc
import requests
from google.protobuf import json_format
from websockets.sync.client import connect

from .settings import Settings, load
from .tokens import inspect
from .users.v1 import users_pb2, users_pb2_grpc

# Lab 6: the samples the tour shows of each service's metrics.
WATCHED_USERS = (
    'flask_http_request_duration_seconds_count{method="POST",route="/users"',
    "grpc_server_handled_total",
    "microlabs_",
)
WATCHED_NOTIFIER = ("microlabs_events_consumed_total", "microlabs_notification_delay_seconds_count", "process_resident")


class Tour:
    """Sends requests and prints them with their answers, the way a student would read them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.token = ""

    def call(self, method: str, path: str, body: object = None, expect: int = 200) -> requests.Response:
        shown = {k: ("*" * 8 if k == "password" else v) for k, v in body.items()} if isinstance(body, dict) else body
        print(f"\n> {method} {path}" + (f" {json.dumps(shown)}" if body is not None else ""))
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.request(method, self.base_url + path, json=body, headers=headers, timeout=10)
        print(f"< {response.status_code} {response.reason}")
        if response.content:
            shown = response.json()
            if isinstance(shown, dict) and "access_token" in shown:  # a token is a password for 15 minutes
                shown = shown | {"access_token": shown["access_token"][:16] + "..."}
            print("  " + json.dumps(shown, indent=2).replace("\n", "\n  "))
        if response.status_code != expect:
            sys.exit(f"expected {expect}, got {response.status_code}")
        return response


def grpc_tour(target: str, tour: Tour) -> None:
    """The same service over gRPC: one store behind both transports, a token in metadata, status codes for errors."""
    with grpc.insecure_channel(target) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        print(f"\nNow over gRPC, at {target}:")
        request = users_pb2.CreateUserRequest(name="Grace Hopper", email="grace@example.com", password=GRACE)
        grace = _grpc_call("CreateUser", stub.CreateUser, request)
        try:
            _grpc_call("ListUsers", stub.ListUsers, users_pb2.ListUsersRequest(page_size=2))
            sys.exit("expected UNAUTHENTICATED")
        except grpc.RpcError as error:
            print(f"< {error.code().name}: {error.details()}  (no token)")
        login = users_pb2_grpc.AuthServiceStub(channel).Login(
            users_pb2.LoginRequest(email="grace@example.com", password=GRACE), timeout=5
        )
        print("\n> Login {grace@example.com, ********}")
        print(f"< access_token {login.access_token[:16]}..., expires_in {login.expires_in}")
        metadata = (("authorization", f"Bearer {login.access_token}"),)
        tour.token = login.access_token
        print(f"\n> GET /users/{grace.id}  (REST sees the user that gRPC created; the same token works)")
        bearer = {"Authorization": f"Bearer {tour.token}"}
        print(f"< {tour.http.get(f'{tour.base_url}/users/{grace.id}', headers=bearer, timeout=10).json()}")
        _grpc_call("ListUsers", stub.ListUsers, users_pb2.ListUsersRequest(page_size=2), metadata)
        try:
            _grpc_call("GetUser", stub.GetUser, users_pb2.GetUserRequest(id="404"), metadata)
            sys.exit("expected NOT_FOUND")
        except grpc.RpcError as error:
            print(f"< {error.code().name}: {error.details()}")


def chat_tour(tour: Tour, grace_token: str) -> None:
    """Lab 4: two users in a room of the WebSocket server: a text arrives in its envelope, bytes as they were."""
    ws_base = tour.base_url.replace("http://", "ws://", 1) + "/ws?room=demo"
    tour.call("POST", "/users", {"name": "Alan Turing", "email": "alan2@example.com", "password": ALAN}, 201)
    alan_token = tour.call("POST", "/auth/login", {"email": "alan2@example.com", "password": ALAN}).json()
    print(f"\nNow over WebSocket, at {ws_base} (the token in the Authorization header of the handshake):")
    grace_login = {"Authorization": f"Bearer {grace_token}"}
    alan_login = {"Authorization": f"Bearer {alan_token['access_token']}"}
    with (
        connect(ws_base, additional_headers=grace_login) as grace,
        connect(ws_base, additional_headers=alan_login) as alan,
    ):
        print(f"< Grace receives: {grace.recv(timeout=5)}")
        alan.send("Hello, Grace")
        print("\n> Alan sends the text 'Hello, Grace'")
        print(f"< Grace receives: {grace.recv(timeout=5)}")
        grace.send(bytes(range(8)))
        print("\n> Grace sends 8 bytes: 00 01 02 03 04 05 06 07")
        print(f"< Alan receives a binary message: {alan.recv(timeout=5).hex(' ')}")
    try:
        connect(ws_base, open_timeout=5)
    except Exception as refused:
        print(f"\n> a handshake without a token\n< {refused}")


def _grpc_call(name: str, method, request, metadata=()):
    shown = json_format.MessageToDict(request)
    if "password" in shown:
        shown["password"] = "*" * 8
    print(f"\n> {name} {json.dumps(shown)}")
    answer = method(request, timeout=5, metadata=metadata or None)
    print("  " + json_format.MessageToJson(answer, preserving_proto_field_name=True).replace("\n", "\n  "))
    return answer


ADA = "correct horse battery staple"
GRACE = "a ship in port is safe"
ALAN = "we can only see a short distance ahead"


def show_token(token: str) -> None:
    """What anyone holding the token can read: signed, not encrypted."""
    header, payload = inspect(token)
    print(f"\nThe token decoded (python -m {__package__}.tokens inspect): anyone can read it, nobody can change it:")
    print(f"  header:  {json.dumps(header, sort_keys=True)}\n  payload: {json.dumps(payload, sort_keys=True)}")


def notifications_tour(settings: Settings, expected: int) -> None:
    """Lab 5: every registration of the tour became a user.registered event, and the notifier consumed it."""
    url = f"http://{settings.address(settings.notifier_http_port)}/notifications"
    print(f"\nEach registration was also an event on {settings.broker}; the notifier consumed it. At {url}:")
    deadline = time.monotonic() + 15
    while len(found := requests.get(url, timeout=10).json()) < expected and time.monotonic() < deadline:
        time.sleep(0.2)  # the event is on its way: published by the outbox relay, consumed by the notifier
    for notification in sorted(found, key=lambda n: int(n["user_id"])):  # in the order they registered
        print(f"< user {notification['user_id']}: {notification['message']} (event {notification['event_id'][:8]}...)")
    if len(found) < expected:
        health = requests.get(url.replace("/notifications", "/healthz"), timeout=10).json()
        sys.exit(f"expected {expected} notifications, found {len(found)}: the notifier says {health['status']!r}")


def observability_tour(settings: Settings, base_url: str) -> None:
    """Lab 6: a registration's trace id, from the answer to the notification, and what the metrics say of it all."""
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    print(f"\n> POST /users with the header traceparent: {traceparent}")
    reply = requests.post(
        f"{base_url}/users", json={"name": "Edsger Dijkstra", "email": "edsger@example.com"},
        headers={"traceparent": traceparent}, timeout=10,
    )  # fmt: skip
    print(f"< {reply.status_code} {reply.reason}, traceparent: {reply.headers['traceparent']} (the same trace)")
    notifier = f"http://{settings.address(settings.notifier_http_port)}"
    deadline = time.monotonic() + 15
    user = reply.json()["id"]
    while not (found := requests.get(f"{notifier}/notifications", params={"user_id": user}, timeout=10).json()):
        if time.monotonic() > deadline:
            sys.exit(f"user {user} was not notified within 15 s")
        time.sleep(0.2)
    print(f"< the notification of user {user} has trace_id {found[0]['trace_id']}: search the logs for it")
    for url, wanted in ((base_url, WATCHED_USERS), (notifier, WATCHED_NOTIFIER)):
        print(f"\nSome of what GET {url}/metrics says (Prometheus scrapes it):")
        for line in requests.get(f"{url}/metrics", timeout=10).text.splitlines():
            if line.startswith(wanted):
                print(f"  {line}")


def main() -> None:
    settings = load()
    tour = Tour(sys.argv[1] if len(sys.argv) > 1 else f"http://{settings.address(settings.http_port)}")
    ada = tour.call("POST", "/users", {"name": "Ada Lovelace", "email": "ada@example.com", "password": ADA}, 201).json()
    tour.call("POST", "/users", {"name": "Alan Turing", "email": "alan@example.com"}, 201)
    print("\nEverything but registration and login needs a token:")
    tour.call("GET", "/users", expect=401)
    tour.call("POST", "/auth/login", {"email": "ada@example.com", "password": "wrong password"}, 401)
    login = tour.call("POST", "/auth/login", {"email": "ada@example.com", "password": ADA}).json()
    tour.token = login["access_token"]
    show_token(tour.token)
    tour.call("GET", "/users")
    tour.call("GET", f"/users/{ada['id']}")
    tour.call("PUT", f"/users/{ada['id']}", {"name": "Ada King", "email": "ada@example.com"})
    print("\nMistakes get a problem+json answer that names the field:")
    tour.call("POST", "/users", {"name": "Copy", "email": "ADA@example.com"}, 409)
    tour.call("POST", "/users", {"name": "", "email": "not-an-email"}, 422)
    tour.call("DELETE", f"/users/{ada['id']}", expect=204)
    print("\nAda's record is gone, and so is what her token opens:")
    tour.call("GET", f"/users/{ada['id']}", expect=401)
    tour.token = ""
    grpc_tour(settings.address(settings.grpc_port), tour)
    chat_tour(tour, tour.token)
    notifications_tour(settings, 4)  # Ada, Alan, Grace (over gRPC) and the chat's second Alan
    observability_tour(settings, tour.base_url)
    print("\nTour complete.")


if __name__ == "__main__":
    main()

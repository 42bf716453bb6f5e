"""Bytes on the wire per call, counted by a relay between client and server (headers and framing included).

Body sizes alone hide what each protocol adds around them: HTTP/1.1 repeats its text headers on every
request and response, HTTP/2 sends binary frames and HPACK-compressed headers that shrink once a connection
has seen them. The relay counts every byte in each direction over many calls on one warm connection.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from ..users.v1 import users_pb2, users_pb2_grpc
from .scenario import OPERATIONS, list_size

CALLS, WARM_UP = 20, 3


@dataclass
class WireRow:
    transport: str
    op: str
    request_bytes: float
    response_bytes: float
    closes_connection: bool = False  # the server answered "Connection: close": the next call reconnects


class CountingRelay:
    """Listens on a free port and relays each connection to the target, counting bytes both ways."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = 0
        self.down = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            for source, sink, upward in ((client, server, True), (server, client, False)):
                threading.Thread(target=self._pump, args=(source, sink, upward), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upward: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if upward:
                    self.up += len(chunk)
                else:
                    self.down += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            sink.close()

    def close(self) -> None:
        self._listener.close()


def _per_call(relay: CountingRelay, call: Callable[[int], None]) -> tuple[float, float]:
    """Average bytes up and down of CALLS calls, after WARM_UP calls that fill connection state (HPACK)."""
    for index in range(WARM_UP):
        call(index)
    up, down = relay.up, relay.down
    for index in range(WARM_UP, WARM_UP + CALLS):
        call(index)
    return (relay.up - up) / CALLS, (relay.down - down) / CALLS


def _rest_call(
    connection: http.client.HTTPConnection, op: str, created: list[str], closes: set[str]
) -> Callable[[int], None]:
    def send(method: str, path: str, body: dict[str, str] | None = None) -> bytes:
        data = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": "application/json"}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        if (response.getheader("Connection") or "").lower() == "close":
            closes.add(op)
        return response.read()

    def call(index: int) -> None:
        if op == "create":
            body = {"name": "Wire", "email": f"wire-rest-{index}@example.com"}
            created.append(json.loads(send("POST", "/users", body))["id"])
        elif op == "get":
            send("GET", "/users/1")
        elif op == "update":
            send("PUT", "/users/2", {"name": f"Wire {index}", "email": "seed2@example.com"})
        elif op == "delete":
            send("DELETE", f"/users/{created.pop()}")
        else:
            send("GET", f"/users?limit={list_size(op)}")

    return call


def _grpc_call(stub: users_pb2_grpc.UserServiceStub, op: str, created: list[str]) -> Callable[[int], None]:
    def call(index: int) -> None:
        if op == "create":
            request = users_pb2.CreateUserRequest(name="Wire", email=f"wire-grpc-{index}@example.com")
            created.append(stub.CreateUser(request).id)
        elif op == "get":
            stub.GetUser(users_pb2.GetUserRequest(id="1"))
        elif op == "update":
            stub.UpdateUser(users_pb2.UpdateUserRequest(id="2", name=f"Wire {index}", email="seed2@example.com"))
        elif op == "delete":
            stub.DeleteUser(users_pb2.DeleteUserRequest(id=created.pop()))
        else:
            stub.ListUsers(users_pb2.ListUsersRequest(page_size=list_size(op) or 0))

    return call


def measure(rest_port: int, grpc_port: int) -> list[WireRow]:
    """Per operation and transport: mean bytes client->server and server->client of one call."""
    rows: list[WireRow] = []
    rest_relay, grpc_relay = CountingRelay(rest_port), CountingRelay(grpc_port)
    connection = http.client.HTTPConnection("127.0.0.1", rest_relay.port, timeout=30)
    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_relay.port}")
    stub = users_pb2_grpc.UserServiceStub(channel)
    try:
        rest_created: list[str] = []
        grpc_created: list[str] = []
        closes: set[str] = set()
        for op in OPERATIONS:
            up, down = _per_call(rest_relay, _rest_call(connection, op, rest_created, closes))
            rows.append(WireRow("rest", op, up, down, op in closes))
            rows.append(WireRow("grpc", op, *_per_call(grpc_relay, _grpc_call(stub, op, grpc_created))))
    finally:
        connection.close()
        channel.close()
        rest_relay.close()
        grpc_relay.close()
    return rows

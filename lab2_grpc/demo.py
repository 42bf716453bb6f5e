"""A guided tour of both APIs: ``python -m lab2_grpc.demo [BASE_URL]`` prints each call and its answer.

It runs against a service that is already up (``python -m lab2_grpc`` in another terminal);
``./run_all.sh`` starts the lab, runs this tour and stops it again.
"""

from __future__ import annotations

import json
import sys

import grpc
import requests
from google.protobuf import json_format

from .settings import load
from .users.v1 import users_pb2, users_pb2_grpc


class Tour:
    """Sends requests and prints them with their answers, the way a student would read them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, body: object = None, expect: int = 200) -> requests.Response:
        print(f"\n> {method} {path}" + (f" {json.dumps(body)}" if body is not None else ""))
        response = self.http.request(method, self.base_url + path, json=body, timeout=10)
        print(f"< {response.status_code} {response.reason}")
        if response.content:
            print("  " + json.dumps(response.json(), indent=2).replace("\n", "\n  "))
        if response.status_code != expect:
            sys.exit(f"expected {expect}, got {response.status_code}")
        return response


def grpc_tour(target: str, base_url: str) -> None:
    """The same service over gRPC: one store behind both transports, and status codes for errors."""
    with grpc.insecure_channel(target) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        print(f"\nNow over gRPC, at {target}:")
        request = users_pb2.CreateUserRequest(name="Grace Hopper", email="grace@example.com")
        grace = _grpc_call("CreateUser", stub.CreateUser, request)
        print(f"\n> GET /users/{grace.id}  (REST sees the user that gRPC created)")
        print(f"< {requests.get(f'{base_url}/users/{grace.id}', timeout=10).json()}")
        _grpc_call("ListUsers", stub.ListUsers, users_pb2.ListUsersRequest(page_size=2))
        try:
            _grpc_call("GetUser", stub.GetUser, users_pb2.GetUserRequest(id="404"))
            sys.exit("expected NOT_FOUND")
        except grpc.RpcError as error:
            print(f"< {error.code().name}: {error.details()}")


def _grpc_call(name: str, method, request):
    print(f"\n> {name} {json_format.MessageToJson(request, indent=None)}")
    answer = method(request, timeout=5)
    print("  " + json_format.MessageToJson(answer, preserving_proto_field_name=True).replace("\n", "\n  "))
    return answer


def main() -> None:
    settings = load()
    tour = Tour(sys.argv[1] if len(sys.argv) > 1 else f"http://{settings.address(settings.http_port)}")
    ada = tour.call("POST", "/users", {"name": "Ada Lovelace", "email": "ada@example.com"}, 201).json()
    tour.call("POST", "/users", {"name": "Alan Turing", "email": "alan@example.com"}, 201)
    tour.call("GET", "/users")
    tour.call("GET", f"/users/{ada['id']}")
    tour.call("PUT", f"/users/{ada['id']}", {"name": "Ada King", "email": "ada@example.com"})
    print("\nMistakes get a problem+json answer that names the field:")
    tour.call("POST", "/users", {"name": "Copy", "email": "ADA@example.com"}, 409)
    tour.call("POST", "/users", {"name": "", "email": "not-an-email"}, 422)
    tour.call("DELETE", f"/users/{ada['id']}", expect=204)
    tour.call("GET", f"/users/{ada['id']}", expect=404)
    grpc_tour(settings.address(settings.grpc_port), tour.base_url)
    print("\nTour complete.")


if __name__ == "__main__":
    main()

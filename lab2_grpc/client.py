"""A command-line client for the UserService: ``python -m lab2_grpc.client COMMAND ...``.

    python -m lab2_grpc.client create --name "Ada Lovelace" --email ada@example.com
    python -m lab2_grpc.client get 1
    python -m lab2_grpc.client list --page-size 10
    python -m lab2_grpc.client update 1 --name "Ada King" --email ada@example.com
    python -m lab2_grpc.client delete 1

It talks to HOST:GRPC_PORT from the environment (or --target) through the generated stub.
Every call carries a deadline (--timeout): a gRPC call without one may wait forever. Users are
printed as JSON; a failed call prints one line naming its status code on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import sys

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from .settings import load
from .users.v1 import users_pb2, users_pb2_grpc

# What each code means to the person at the terminal; the server's message follows it.
HINTS: dict[grpc.StatusCode, str] = {
    grpc.StatusCode.INVALID_ARGUMENT: "the request was refused",
    grpc.StatusCode.NOT_FOUND: "no such user",
    grpc.StatusCode.ALREADY_EXISTS: "already taken",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "refused",
    grpc.StatusCode.DEADLINE_EXCEEDED: "no answer before the deadline (see --timeout)",
    grpc.StatusCode.UNAVAILABLE: "cannot reach the server (is it running? see --target)",
    grpc.StatusCode.UNAUTHENTICATED: "not logged in",
    grpc.StatusCode.PERMISSION_DENIED: "not allowed",
    grpc.StatusCode.UNIMPLEMENTED: "the server does not offer this call",
}


def default_target() -> str:
    settings = load()
    return settings.address(settings.grpc_port)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog=f"python -m {__package__}.client", description="Call the users.v1.UserService.")
    root.add_argument("--target", default=default_target(), help="host:port (default: HOST:GRPC_PORT, %(default)s)")
    root.add_argument("--timeout", type=float, default=5.0, help="deadline of each call in seconds (default 5)")
    commands = root.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", help="register a user")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)

    commands.add_parser("get", help="show one user").add_argument("id")

    listing = commands.add_parser("list", help="list users, oldest first, one page")
    listing.add_argument("--page-size", type=int, default=0, help="users per page (default: the server's)")
    listing.add_argument("--page-token", default="", help="next_page_token of the previous page")

    update = commands.add_parser("update", help="replace a user's name and email")
    update.add_argument("id")
    update.add_argument("--name", required=True)
    update.add_argument("--email", required=True)

    commands.add_parser("delete", help="delete a user").add_argument("id")
    return root


def call(stub: users_pb2_grpc.UserServiceStub, args: argparse.Namespace) -> Message:
    """Send the one request the command names, with the deadline, and return the answer."""
    timeout = args.timeout
    match args.command:
        case "create":
            return stub.CreateUser(users_pb2.CreateUserRequest(name=args.name, email=args.email), timeout=timeout)
        case "get":
            return stub.GetUser(users_pb2.GetUserRequest(id=args.id), timeout=timeout)
        case "list":
            request = users_pb2.ListUsersRequest(page_size=args.page_size, page_token=args.page_token)
            return stub.ListUsers(request, timeout=timeout)
        case "update":
            request = users_pb2.UpdateUserRequest(id=args.id, name=args.name, email=args.email)
            return stub.UpdateUser(request, timeout=timeout)
        case "delete":
            return stub.DeleteUser(users_pb2.DeleteUserRequest(id=args.id), timeout=timeout)
    raise ValueError(f"unknown command {args.command!r}")


def error_line(error: grpc.RpcError) -> str:
    code = error.code()
    hint = HINTS.get(code, "the call failed")
    return f"error: {code.name}: {hint}: {error.details()}"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with grpc.insecure_channel(args.target) as channel:
        try:
            answer = call(users_pb2_grpc.UserServiceStub(channel), args)
        except grpc.RpcError as error:
            print(error_line(error), file=sys.stderr)
            return 1
    if args.command == "delete":
        print(f"deleted user {args.id}")
    else:
        print(json_format.MessageToJson(answer, preserving_proto_field_name=True, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

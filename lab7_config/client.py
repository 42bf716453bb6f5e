"""A command-line client for the UserService: ``python -m lab7_config.client COMMAND ...``.

    python -m lab7_config.client create --name "Ada Lovelace" --email ada@example.com --password "a long password"
    python -m lab7_config.client login --email ada@example.com --password "a long password"   # prints a token
    python -m lab7_config.client --email ada@example.com --password "a long password" get 1
    python -m lab7_config.client --token "$TOKEN" list --page-size 10
    python -m lab7_config.client --token "$TOKEN" update 1 --name "Ada King" --email ada@example.com
    python -m lab7_config.client --token "$TOKEN" delete 1
    python -m lab7_config.client --email ada@example.com --password "a long password" chat --room lobby

It talks to HOST:GRPC_PORT from the environment (or --target) through the generated stub.
Lab 3: every call but create and login needs a token. With --email and --password the client
logs in first (users.v1.AuthService/Login); with --token it uses that one. Either way it sends
the token as `authorization: Bearer <token>` metadata on each call: gRPC's call credentials
would be dropped on this insecure (plain-text) channel.
Every call carries a deadline (--timeout): a gRPC call without one may wait forever. Users are
printed as JSON; a failed call prints one line naming its status code on stderr and exits 1.
Lab 4: ``chat`` logs in the same way, then joins a room over WebSocket (chat_client.py).
"""

from __future__ import annotations

import argparse
import sys

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from . import chat_client
from .settings import grpc_address
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
    return grpc_address()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog=f"python -m {__package__}.client", description="Call the users.v1.UserService, or chat in a room (chat)."
    )
    root.add_argument("--target", default=default_target(), help="host:port (default: HOST:GRPC_PORT, %(default)s)")
    root.add_argument("--timeout", type=float, default=5.0, help="deadline of each call in seconds (default 5)")
    root.add_argument("--email", dest="login_email", help="log in as this user first (with --password)")
    root.add_argument("--password", dest="login_password", help="the password to log in with")
    root.add_argument("--token", help="an access token to send (instead of logging in)")
    commands = root.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", help="register a user")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--password", default="", help="8 to 128 characters, to be able to log in")

    login = commands.add_parser("login", help="log in and print the access token")
    login.add_argument("--email", required=True)
    login.add_argument("--password", required=True)

    commands.add_parser("get", help="show one user").add_argument("id")

    listing = commands.add_parser("list", help="list users, oldest first, one page")
    listing.add_argument("--page-size", type=int, default=0, help="users per page (default: the server's)")
    listing.add_argument("--page-token", default="", help="next_page_token of the previous page")

    update = commands.add_parser("update", help="replace a user's name and email")
    update.add_argument("id")
    update.add_argument("--name", required=True)
    update.add_argument("--email", required=True)

    commands.add_parser("delete", help="delete a user").add_argument("id")
    chat_client.add_command(commands)
    return root


def login(channel: grpc.Channel, email: str, password: str, timeout: float) -> users_pb2.LoginResponse:
    """users.v1.AuthService/Login: the access token for these credentials."""
    request = users_pb2.LoginRequest(email=email, password=password)
    return users_pb2_grpc.AuthServiceStub(channel).Login(request, timeout=timeout)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """The metadata that carries a token: gRPC's version of an HTTP Authorization header."""
    return (("authorization", f"Bearer {token}"),)


def call(channel: grpc.Channel, args: argparse.Namespace) -> Message:
    """Send the one request the command names, with the deadline (and the token), and return the answer."""
    timeout, stub = args.timeout, users_pb2_grpc.UserServiceStub(channel)
    if args.command == "login":
        return login(channel, args.email, args.password, timeout)
    if args.command == "create":
        request = users_pb2.CreateUserRequest(name=args.name, email=args.email, password=args.password)
        return stub.CreateUser(request, timeout=timeout)
    token = token_for(channel, args)
    metadata = bearer(token) if token else ()
    match args.command:
        case "get":
            return stub.GetUser(users_pb2.GetUserRequest(id=args.id), timeout=timeout, metadata=metadata)
        case "list":
            request = users_pb2.ListUsersRequest(page_size=args.page_size, page_token=args.page_token)
            return stub.ListUsers(request, timeout=timeout, metadata=metadata)
        case "update":
            request = users_pb2.UpdateUserRequest(id=args.id, name=args.name, email=args.email)
            return stub.UpdateUser(request, timeout=timeout, metadata=metadata)
        case "delete":
            return stub.DeleteUser(users_pb2.DeleteUserRequest(id=args.id), timeout=timeout, metadata=metadata)
    raise ValueError(f"unknown command {args.command!r}")


def token_for(channel: grpc.Channel, args: argparse.Namespace) -> str | None:
    """--token, or the token of logging in with --email and --password first; None when neither is given."""
    if args.token is None and args.login_email is not None:
        return login(channel, args.login_email, args.login_password or "", args.timeout).access_token
    return args.token


def chat(args: argparse.Namespace) -> int:
    """The chat command: get the token over gRPC (logging in if asked to), then talk to the room over WebSocket."""
    with grpc.insecure_channel(args.target) as channel:
        try:
            token = token_for(channel, args)
        except grpc.RpcError as error:
            print(error_line(error), file=sys.stderr)
            return 1
    return chat_client.run(args.url, args.room, token, args.timeout, listen=args.listen)


def error_line(error: grpc.RpcError) -> str:
    code = error.code()
    hint = HINTS.get(code, "the call failed")
    return f"error: {code.name}: {hint}: {error.details()}"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "chat":
        return chat(args)
    with grpc.insecure_channel(args.target) as channel:
        try:
            answer = call(channel, args)
        except grpc.RpcError as error:
            print(error_line(error), file=sys.stderr)
            return 1
    if args.command == "delete":
        print(f"deleted user {args.id}")
    elif args.command == "login":
        print(answer.access_token)
    else:
        print(json_format.MessageToJson(answer, preserving_proto_field_name=True, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

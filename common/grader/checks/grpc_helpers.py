"""Small gRPC steps the requirements share: create a user, read one, walk every page of the list."""

from __future__ import annotations

from typing import Any

import grpc

from ..context import Context
from ..evidence import CheckFailed, expect
from ..grpc_client import GrpcReply

MAX_PAGES = 1000
Code = grpc.StatusCode


def user_of(reply: GrpcReply, name: str | None = None, email: str | None = None) -> Any:
    """The User in an OK reply, checked to hold an id and, when given, this name and email."""
    if not reply.ok:
        raise reply.fail(f"the call should succeed, got {reply.code.name}")
    user = reply.response
    expect(user.id, "the user has no id", reply.exchange)
    expect(name is None or user.name == name, f"the user's name should be {name!r}, not {user.name!r}", reply.exchange)
    expect(email is None or user.email == email, f"the email should be {email!r}, not {user.email!r}", reply.exchange)
    return user


def create(ctx: Context, name: str = "Ada Lovelace", email: str | None = None) -> Any:
    email = email or ctx.email()
    return user_of(ctx.grpc.call("CreateUser", ctx.grpc.pb.CreateUserRequest(name=name, email=email)), name, email)


def get(ctx: Context, user_id: str) -> tuple[Any, GrpcReply]:
    reply = ctx.grpc.call("GetUser", ctx.grpc.pb.GetUserRequest(id=user_id))
    return user_of(reply), reply


def same_user(left: Any, right: Any) -> bool:
    return (left.id, left.name, left.email) == (right.id, right.name, right.email)


def list_all(ctx: Context, page_size: int = 1000) -> tuple[list[Any], GrpcReply]:
    """Every user, following next_page_token to the last page; the last reply, to quote in a failure."""
    users: list[Any] = []
    token, seen_tokens = "", set()
    for _ in range(MAX_PAGES):
        reply = ctx.grpc.call("ListUsers", ctx.grpc.pb.ListUsersRequest(page_size=page_size, page_token=token))
        if not reply.ok:
            raise reply.fail(f"ListUsers should succeed, got {reply.code.name}")
        users.extend(reply.response.users)
        token = reply.response.next_page_token
        if not token:
            return users, reply
        expect(token not in seen_tokens, "next_page_token repeats: the pages never end", reply.exchange)
        seen_tokens.add(token)
    raise CheckFailed(f"ListUsers still had a next page after {MAX_PAGES} pages", reply.exchange)


def expect_code(reply: GrpcReply, code: grpc.StatusCode, why: str = "") -> None:
    if reply.code != code:
        raise reply.fail(f"expected {code.name}{' ' + why if why else ''}, got {reply.code.name}")

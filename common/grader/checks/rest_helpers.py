"""Small REST steps the requirements share: create a user, read one, list them all.

They are lenient where the step is not the point (any 2xx creates), so that one broken detail
fails the one requirement about it, not every requirement that needs a user first.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..evidence import CheckFailed
from ..rest_client import Reply
from .ids import unknown_id_like

__all__ = ["unknown_id_like"]


def user_path(user_id: Any) -> str:
    return f"/users/{user_id}"


def user_body(reply: Reply, name: str | None = None, email: str | None = None) -> dict:
    """The JSON user in `reply`, checked to hold an id and, when given, this name and email."""
    user = reply.json()
    if not isinstance(user, dict):
        raise reply.fail("the body should be a JSON object (the user)")
    if user.get("id") in (None, ""):
        raise reply.fail("the user has no id")
    if name is not None and user.get("name") != name:
        raise reply.fail(f"the user's name should be {name!r}, not {user.get('name')!r}")
    if email is not None and user.get("email") != email:
        raise reply.fail(f"the user's email should be {email!r}, not {user.get('email')!r}")
    return user


def create(ctx: Context, name: str = "Ada Lovelace", email: str | None = None) -> dict:
    """POST a new user; any 2xx with the user in the body will do (REST-CREATE-201 checks the 201)."""
    email = email or ctx.email()
    reply = ctx.rest.post("/users", {"name": name, "email": email})
    if not 200 <= reply.status < 300:
        raise reply.fail(f"creating a user should succeed, got {reply.status}")
    return user_body(reply, name, email)


def get(ctx: Context, user_id: Any) -> tuple[dict, Reply]:
    """The stored user (and the reply, to quote in a failure)."""
    reply = ctx.rest.get(user_path(user_id))
    if reply.status != 200:
        raise reply.fail(f"GET of an existing user should answer 200, got {reply.status}")
    return user_body(reply), reply


def list_all(ctx: Context) -> tuple[list[dict], Reply]:
    """Every user, as GET /users returns them (a JSON array of objects), and the reply."""
    reply = ctx.rest.get("/users")
    if reply.status != 200:
        raise reply.fail(f"GET /users should answer 200, got {reply.status}")
    users = reply.json()
    if not isinstance(users, list) or not all(isinstance(user, dict) for user in users):
        raise reply.fail("GET /users should answer a JSON array of users")
    return users, reply


def same_user(left: dict, right: dict) -> bool:
    """Same id, name and email (ids compared as text: a number and its string are one id)."""
    return (str(left.get("id")), left.get("name"), left.get("email")) == (
        str(right.get("id")),
        right.get("name"),
        right.get("email"),
    )


def count_email(users: list[dict], email: str) -> int:
    return sum(1 for user in users if str(user.get("email", "")).lower() == email.lower())


def expect_status(reply: Reply, *statuses: int, why: str = "") -> None:
    if reply.status not in statuses:
        wanted = " or ".join(str(s) for s in statuses)
        raise CheckFailed(f"expected {wanted}{' ' + why if why else ''}, got {reply.status}", reply.exchange)


def expect_4xx(reply: Reply, why: str) -> None:
    if not 400 <= reply.status < 500:
        raise CheckFailed(f"{why} should be refused with a 4xx status, got {reply.status}", reply.exchange)

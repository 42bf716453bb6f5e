"""gRPC, core: the map stays right when calls arrive together (the same store rules as over REST).

A server may refuse the calls over what it runs at once with RESOURCE_EXHAUSTED (lab 2's runs 10
service calls at a time): those are sent again after a short pause, and the race is judged on
the answers of the calls the server served (see parallel.WhileBusy).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..context import Context
from ..evidence import Exchange, expect
from ..grpc_client import GrpcReply
from ..parallel import WhileBusy, all_at_once, settled
from ..registry import requirement
from .grpc_helpers import Code, create, list_all

THREADS = 16
TIME_LIMIT = 60.0


def tally(codes: list[Any]) -> str:
    return ", ".join(f"{code.name} x{n}" for code, n in sorted(Counter(codes).items(), key=lambda item: item[0].name))


def while_busy(ctx: Context) -> WhileBusy[GrpcReply]:
    """Sends a call again while the server refuses it as busy (RESOURCE_EXHAUSTED), within the check's time."""
    return WhileBusy(
        lambda reply: reply.code == Code.RESOURCE_EXHAUSTED, ctx.retry_until(TIME_LIMIT), Code.RESOURCE_EXHAUSTED.name
    )


@requirement(
    "GRPC-RACE-CREATE-ONE-EMAIL",
    protocol="grpc",
    core=True,
    weight=2,
    title=f"{THREADS} simultaneous CreateUser with one email: exactly one OK, the others ALREADY_EXISTS",
    hint="Check that the email is free and insert under one lock (the server runs calls on many threads).",
    depends_on=["GRPC-CREATE-ALREADY-EXISTS"],
    time_limit=TIME_LIMIT,
)
def racing_one_email(ctx: Context) -> None:
    email = ctx.email("race")
    request = ctx.grpc.pb.CreateUserRequest
    busy = while_busy(ctx)
    replies = settled(
        all_at_once(
            lambda i: busy.call(lambda: ctx.grpc.call("CreateUser", request(name=f"Racer {i}", email=email))), THREADS
        )
    )
    busy.expect_served(replies, lambda reply: reply.exchange)
    codes = [reply.code for reply in replies]
    expect(
        codes.count(Code.OK) == 1 and codes.count(Code.ALREADY_EXISTS) == THREADS - 1,
        "exactly one should succeed and every other end with ALREADY_EXISTS",
        Exchange(f"{THREADS} simultaneous CreateUser, each with the email {email}", tally(codes) + busy.note()),
    )


@requirement(
    "GRPC-RACE-UPDATE-MANY",
    protocol="grpc",
    core=True,
    weight=2,
    title=f"{THREADS} simultaneous UpdateUser calls, one per user: every update is kept",
    hint="Change the one stored user under the lock; never copy the whole map, edit it and write it back.",
    depends_on=["GRPC-UPDATE", "GRPC-LIST"],
    time_limit=TIME_LIMIT,
)
def racing_updates_all_kept(ctx: Context) -> None:
    token = ctx.token()
    users = [create(ctx, f"Before {i} {token}") for i in range(THREADS)]
    wanted = [(f"After {i} {token}", f"after-{token}-{i}@example.com") for i in range(THREADS)]
    request = ctx.grpc.pb.UpdateUserRequest
    busy = while_busy(ctx)
    replies = settled(
        all_at_once(
            lambda i: busy.call(
                lambda: ctx.grpc.call("UpdateUser", request(id=users[i].id, name=wanted[i][0], email=wanted[i][1]))
            ),
            THREADS,
        )
    )
    busy.expect_served(replies, lambda reply: reply.exchange)
    codes = [reply.code for reply in replies]
    sent = f"{THREADS} simultaneous UpdateUser, each to a different user"
    answered = tally(codes) + busy.note()
    expect(all(code == Code.OK for code in codes), "every update should succeed", Exchange(sent, answered))
    listed, listing = list_all(ctx)
    by_id = {user.id: (user.name, user.email) for user in listed}
    lost = [user.id for user, new in zip(users, wanted, strict=True) if by_id.get(user.id) != new]
    expect(not lost, f"{len(lost)} of {THREADS} updates were lost (users {', '.join(lost[:5])})", listing.exchange)

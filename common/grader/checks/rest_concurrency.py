"""REST, core: the map stays right under concurrent requests (the assignment's thread-safe store).

Each requirement releases its calls together from many threads, so a check-then-insert without a
lock, or an update that copies the map and writes it back, shows up as two winners or a lost write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from ..context import Context
from ..evidence import Exchange, expect
from ..parallel import all_at_once, settled
from ..registry import requirement
from ..rest_client import Reply, RestClient
from .rest_helpers import count_email, create, get, list_all, user_path

THREADS = 16
CREATES_PER_THREAD = 5
TIME_LIMIT = 60.0
T = TypeVar("T")


def tally(statuses: list[int]) -> str:
    return ", ".join(f"{status} x{n}" for status, n in sorted(Counter(statuses).items()))


def parallel(ctx: Context, count: int, call: Callable[[RestClient, int], T]) -> list[T]:
    """call(client, i) for i in range(count), all released together, each thread with its own client."""

    def task(i: int) -> T:
        client = ctx.rest.fork()
        try:
            return call(client, i)
        finally:
            client.close()

    return settled(all_at_once(task, count))


@requirement(
    "REST-RACE-CREATE-ONE-EMAIL",
    protocol="rest",
    core=True,
    weight=2,
    title="16 simultaneous POST /users with one email: exactly one succeeds, the others get 409",
    hint="Check that the email is free and insert under one lock; a check outside the lock lets two win.",
    depends_on=["REST-CREATE-409"],
    time_limit=TIME_LIMIT,
)
def racing_one_email(ctx: Context) -> None:
    email = ctx.email("race")
    answers = parallel(ctx, THREADS, lambda http, i: http.post("/users", {"name": f"Racer {i}", "email": email}))
    statuses = [reply.status for reply in answers]
    won = [s for s in statuses if 200 <= s < 300]
    sent = f"{THREADS} simultaneous POST /users, each with the email {email}"
    expect(
        len(won) == 1 and statuses.count(409) == THREADS - 1,
        "exactly one should succeed and every other get 409",
        Exchange(sent, f"statuses: {tally(statuses)}"),
    )
    users, listing = list_all(ctx)
    expect(count_email(users, email) == 1, "GET /users should hold the email once", listing.exchange)


@requirement(
    "REST-RACE-CREATE-MANY",
    protocol="rest",
    core=True,
    weight=2,
    title=f"{THREADS} clients creating {CREATES_PER_THREAD} users each at once: every user is kept, ids distinct",
    hint="Give ids and insert under the lock (or use UUIDs): an unlocked counter hands one id to two users.",
    depends_on=["REST-CREATE", "REST-LIST"],
    time_limit=TIME_LIMIT,
)
def racing_creates_all_kept(ctx: Context) -> None:
    token = ctx.token()

    def make(http: RestClient, i: int) -> list[Reply]:
        return [
            http.post("/users", {"name": f"Bulk {i}-{j} {token}", "email": f"bulk-{token}-{i}-{j}@example.com"})
            for j in range(CREATES_PER_THREAD)
        ]

    batches = parallel(ctx, THREADS, make)
    answers = [reply for batch in batches for reply in batch]
    sent = f"{THREADS} clients at once, each POST /users {CREATES_PER_THREAD} times with distinct emails"
    statuses = [reply.status for reply in answers]
    expect(all(200 <= s < 300 for s in statuses), "every create should succeed", Exchange(sent, tally(statuses)))
    ids = [str(reply.json().get("id")) if isinstance(reply.json(), dict) else "" for reply in answers]
    expect(
        len(set(ids)) == len(ids),
        "every created user should get an id of its own",
        Exchange(sent, f"{len(set(ids))} distinct ids for {len(ids)} users"),
    )
    users, listing = list_all(ctx)
    kept = {str(user.get("id")) for user in users if f"bulk-{token}-" in str(user.get("email", ""))}
    expect(
        kept == set(ids),
        f"GET /users should hold all {len(ids)} users created at once; it holds {len(kept)}",
        listing.exchange,
    )


@requirement(
    "REST-RACE-UPDATE-MANY",
    protocol="rest",
    core=True,
    weight=2,
    title=f"{THREADS} simultaneous PUTs, one per user: every update is kept (no lost update)",
    hint="Change the one stored user under the lock; never copy the whole map, edit it and write it back.",
    depends_on=["REST-UPDATE", "REST-LIST"],
    time_limit=TIME_LIMIT,
)
def racing_updates_all_kept(ctx: Context) -> None:
    token = ctx.token()
    users = [create(ctx, f"Before {i} {token}") for i in range(THREADS)]
    wanted = [{"name": f"After {i} {token}", "email": f"after-{token}-{i}@example.com"} for i in range(THREADS)]
    answers = parallel(ctx, THREADS, lambda http, i: http.put(user_path(users[i]["id"]), wanted[i]))
    statuses = [reply.status for reply in answers]
    sent = f"{THREADS} simultaneous PUT /users/{{id}}, each to a different user"
    expect(all(s == 200 for s in statuses), "every update should answer 200", Exchange(sent, tally(statuses)))
    listed, listing = list_all(ctx)
    by_id = {str(user.get("id")): user for user in listed}
    lost = [
        str(user["id"])
        for user, new in zip(users, wanted, strict=True)
        if (by_id.get(str(user["id"]), {}).get("name"), by_id.get(str(user["id"]), {}).get("email"))
        != (new["name"], new["email"])
    ]
    expect(not lost, f"{len(lost)} of {THREADS} updates were lost (users {', '.join(lost[:5])})", listing.exchange)


@requirement(
    "REST-RACE-UPDATE-ONE",
    protocol="rest",
    core=True,
    weight=1,
    title=f"{THREADS} simultaneous PUTs to one user: one whole update wins, the other emails stay free",
    hint="Replace name and email together under the lock, and free the old email in the same step.",
    depends_on=["REST-UPDATE", "REST-CREATE-409"],
    time_limit=TIME_LIMIT,
)
def racing_updates_one_winner(ctx: Context) -> None:
    token = ctx.token()
    user = create(ctx, f"Target {token}")
    names = [f"N{i} {token}" for i in range(THREADS)]
    emails = [f"upd-{token}-{i}@example.com" for i in range(THREADS)]
    answers = parallel(
        ctx, THREADS, lambda http, i: http.put(user_path(user["id"]), {"name": names[i], "email": emails[i]})
    )
    statuses = [reply.status for reply in answers]
    sent = f"{THREADS} simultaneous PUT /users/{user['id']} with distinct names and emails"
    expect(all(s == 200 for s in statuses), "every update should answer 200", Exchange(sent, tally(statuses)))
    final, got = get(ctx, user["id"])
    expect(final.get("email") in emails, "the user should hold one of the emails sent", got.exchange)
    winner = emails.index(final["email"])
    expect(final.get("name") == names[winner], "name and email come from different updates: a torn write", got.exchange)
    for email in [e for e in emails if e != final["email"]][:3]:
        reply = ctx.rest.post("/users", {"name": "Reuse", "email": email})
        expect(200 <= reply.status < 300, "an email the user no longer holds should be free", reply.exchange)
    taken = ctx.rest.post("/users", {"name": "Reuse", "email": final["email"]})
    expect(taken.status == 409, "the email the user holds in the end should still be taken", taken.exchange)


@requirement(
    "REST-RACE-DELETE",
    protocol="rest",
    core=True,
    weight=1,
    title=f"{THREADS} simultaneous DELETEs of one user: exactly one 204, the others 404",
    hint="Look up and remove the user in one step under the lock (e.g. pop), not check, then delete.",
    depends_on=["REST-DELETE"],
    time_limit=TIME_LIMIT,
)
def racing_deletes(ctx: Context) -> None:
    user = create(ctx, "Doomed")
    answers = parallel(ctx, THREADS, lambda http, i: http.delete(user_path(user["id"])))
    statuses = [reply.status for reply in answers]
    expect(
        # With authentication (lab 3) each delete carries the owner's token, which opens nothing once
        # the owner is gone: a loser may then be 401 instead of 404.
        statuses.count(204) == 1 and statuses.count(404) + (statuses.count(401) if ctx.auth else 0) == THREADS - 1,
        "exactly one delete should answer 204 and every other 404",
        Exchange(f"{THREADS} simultaneous DELETE /users/{user['id']}", f"statuses: {tally(statuses)}"),
    )

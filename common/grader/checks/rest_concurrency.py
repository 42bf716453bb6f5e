"""REST, core: the map stays right under concurrent requests (the assignment's thread-safe store).

Each requirement releases its calls together from many threads, so a check-then-insert without a
lock, or an update that copies the map and writes it back, shows up as two winners or a lost write.
A server may refuse the requests over what it serves at once with 503 or 429 (and Retry-After):
those are sent again after a short pause, and the race is judged on the answers of the requests
the server served (see parallel.WhileBusy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from ..context import Context
from ..evidence import Exchange, expect
from ..parallel import WhileBusy, all_at_once, settled
from ..registry import requirement
from ..rest_client import Reply, RestClient
from .rest_helpers import count_email, create, get, list_all, user_path

THREADS = 16
CREATES_PER_THREAD = 5
TIME_LIMIT = 60.0
BUSY = (503, 429)  # Service Unavailable, Too Many Requests: the server refuses load and asks to retry
T = TypeVar("T")


def tally(statuses: list[int]) -> str:
    return ", ".join(f"{status} x{n}" for status, n in sorted(Counter(statuses).items()))


def retry_after(reply: Reply) -> float | None:
    """The seconds a refusal's Retry-After asks the client to wait, when it gives a number of seconds."""
    try:
        return float(reply.headers.get("Retry-After", ""))
    except ValueError:
        return None


def while_busy(ctx: Context) -> WhileBusy[Reply]:
    """Sends a request again while the server refuses it as busy (503 or 429), within the check's time."""
    return WhileBusy(lambda reply: reply.status in BUSY, ctx.retry_until(TIME_LIMIT), "503 or 429", retry_after)


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
    busy = while_busy(ctx)
    answers = parallel(
        ctx, THREADS, lambda http, i: busy.call(lambda: http.post("/users", {"name": f"Racer {i}", "email": email}))
    )
    busy.expect_served(answers, lambda reply: reply.exchange)
    statuses = [reply.status for reply in answers]
    won = [s for s in statuses if 200 <= s < 300]
    sent = f"{THREADS} simultaneous POST /users, each with the email {email}"
    expect(
        len(won) == 1 and statuses.count(409) == THREADS - 1,
        "exactly one should succeed and every other get 409",
        Exchange(sent, f"statuses: {tally(statuses)}{busy.note()}"),
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
    busy = while_busy(ctx)

    def make(http: RestClient, i: int) -> list[Reply]:
        def create_one(j: int) -> Reply:
            body = {"name": f"Bulk {i}-{j} {token}", "email": f"bulk-{token}-{i}-{j}@example.com"}
            return busy.call(lambda: http.post("/users", body))

        return [create_one(j) for j in range(CREATES_PER_THREAD)]

    batches = parallel(ctx, THREADS, make)
    answers = [reply for batch in batches for reply in batch]
    busy.expect_served(answers, lambda reply: reply.exchange)
    sent = f"{THREADS} clients at once, each POST /users {CREATES_PER_THREAD} times with distinct emails"
    statuses = [reply.status for reply in answers]
    answered = tally(statuses) + busy.note()
    expect(all(200 <= s < 300 for s in statuses), "every create should succeed", Exchange(sent, answered))
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
    busy = while_busy(ctx)
    answers = parallel(ctx, THREADS, lambda http, i: busy.call(lambda: http.put(user_path(users[i]["id"]), wanted[i])))
    busy.expect_served(answers, lambda reply: reply.exchange)
    statuses = [reply.status for reply in answers]
    sent = f"{THREADS} simultaneous PUT /users/{{id}}, each to a different user"
    answered = tally(statuses) + busy.note()
    expect(all(s == 200 for s in statuses), "every update should answer 200", Exchange(sent, answered))
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
    busy = while_busy(ctx)
    answers = parallel(
        ctx,
        THREADS,
        lambda http, i: busy.call(lambda: http.put(user_path(user["id"]), {"name": names[i], "email": emails[i]})),
    )
    busy.expect_served(answers, lambda reply: reply.exchange)
    statuses = [reply.status for reply in answers]
    sent = f"{THREADS} simultaneous PUT /users/{user['id']} with distinct names and emails"
    answered = tally(statuses) + busy.note()
    expect(all(s == 200 for s in statuses), "every update should answer 200", Exchange(sent, answered))
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
    busy = while_busy(ctx)
    answers = parallel(ctx, THREADS, lambda http, i: busy.call(lambda: http.delete(user_path(user["id"]))))
    busy.expect_served(answers, lambda reply: reply.exchange)
    statuses = [reply.status for reply in answers]
    expect(
        # With authentication (lab 3) each delete carries the owner's token, which opens nothing once
        # the owner is gone: a loser may then be 401 instead of 404.
        statuses.count(204) == 1 and statuses.count(404) + (statuses.count(401) if ctx.auth else 0) == THREADS - 1,
        "exactly one delete should answer 204 and every other 404",
        Exchange(f"{THREADS} simultaneous DELETE /users/{user['id']}", f"statuses: {tally(statuses)}{busy.note()}"),
    )

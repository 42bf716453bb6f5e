"""Lab 5's exercises (lab5_broker/README.md, "Exercises"), checked through the lab's ports.

Each check registers users of its own and watches both ends of the pipeline as the grader's
notification requirements do (their helpers are reused here): the users service over REST and
gRPC, and the notifier's record at its own HTTP port (GET /notifications). Delivery is
asynchronous, so a check reads again and again until what it waits for is there, up to four
request timeouts (20 s by default); a pipeline that takes milliseconds passes in milliseconds.

Two checks also control something the lab talks to, started before the lab and pointed at by its
environment (`surrounded_by`; both in surroundings.py): exercise 2 puts the machine's RabbitMQ
behind a proxy it can cut (`BrokerLink`), exercise 3 runs the mail server the notifier sends to
(`MailServer`), which refuses mail until told to accept it. Neither looks inside the lab: what they
judge is still what its ports answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from common.grader import CheckFailed, Context, Exchange, expect
from common.grader.checks.grpc_helpers import Code, expect_code
from common.grader.checks.notifications import (
    POLL_FIRST,
    POLL_LONGEST,
    counted,
    deadline,
    of_user,
    read,
    register,
    wait_notified,
)
from common.grader.checks.rest_helpers import expect_status
from common.grader.rest_client import Reply

from .registry import exercise
from .runner import surrounded_by
from .surroundings import BrokerLink, MailServer

LAB = "lab5_broker"
PASSWORD = "exercise password 1234"
CROWD = 3  # users registered while the broker is away (exercise 2)

T = TypeVar("T")


def poll(ctx: Context, probe: Callable[[], T | None]) -> T | None:
    """Call `probe` until it answers something other than None (returned), or the deadline passes (None)."""
    give_up = time.monotonic() + deadline(ctx)
    pause = POLL_FIRST
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() + pause > give_up:
            return None
        time.sleep(pause)
        pause = min(2 * pause, POLL_LONGEST)


def sign_up(ctx: Context, name: str, password: str | None = None) -> tuple[str, str]:
    """A user registered with POST /users (with a password, if given): (its id, its email)."""
    body = {"name": f"{name} {ctx.token()}", "email": ctx.email(name.split()[0].lower())}
    if password is not None:
        body["password"] = password
    reply = ctx.rest.post("/users", body)
    expect_status(reply, 201, why="to registering a new user")
    user = reply.json()
    expect(isinstance(user, dict) and user.get("id") is not None, "a new user should have an id", reply.exchange)
    return str(user["id"]), body["email"]


def member(ctx: Context, name: str) -> tuple[str, str]:
    """A user registered with a password and logged in: (its id, its access token)."""
    user, email = sign_up(ctx, name, PASSWORD)
    reply = ctx.rest.post("/auth/login", {"email": email, "password": PASSWORD})
    expect_status(reply, 200, why="to a login with the right password")
    body = reply.json()
    token = body.get("access_token") if isinstance(body, dict) else None
    expect(isinstance(token, str) and token, "login should answer an access_token", reply.exchange)
    return user, str(token)


# --- 1: a deleted user is forgotten ----------------------------------------------------------------


@exercise(
    LAB,
    1,
    title="deleting a user (REST or gRPC) publishes user.deleted, and the notifier forgets the user: "
    "GET /notifications?user_id= answers []",
    hint="Record a user.deleted event ({id}) in UserStore.delete, under the lock, as create records user.registered "
    "(so both transports publish it); bind the notifications queue to user.deleted too, and let events.parse "
    "accept it. In Notifier.handle, for user.deleted, delete the user's notifications, but keep their event ids "
    "(in a table of their own): a welcome delivered again must not bring the record back.",
)
def forgotten(ctx: Context) -> None:
    (ada, ada_token), (grace, grace_token), (bob, _) = member(ctx, "Ada"), member(ctx, "Grace"), member(ctx, "Bob")
    wait_notified(ctx, [ada, grace, bob], f"POST /users registered users {ada}, {grace} and {bob}")

    removal = ctx.rest.request("DELETE", f"/users/{ada}", headers={"Authorization": f"Bearer {ada_token}"})
    expect_status(removal, 204, why=f"to user {ada} deleting its own record")
    pb = ctx.grpc.pb
    gone = ctx.grpc.call("DeleteUser", pb.DeleteUserRequest(id=grace), (("authorization", f"Bearer {grace_token}"),))
    expect_code(gone, Code.OK, f"to DeleteUser of user {grace} by itself")

    # A queue is handled in order: once a user registered after the deletions is notified, their events
    # have been handled (the grader's markers, common/grader/checks/notifications.py). A log keeps order
    # per partition only (Kafka, keyed by user), so the deleted users get one request timeout more.
    marker = register(ctx, "Marker")
    sent = (
        f"users {ada}, {grace} and {bob} registered and were notified; DELETE /users/{ada} (REST) and DeleteUser "
        f"{grace} (gRPC) deleted two of them; then user {marker} registered"
    )

    last: list[list[dict[str, Any]]] = [[]]
    marked: list[float] = []  # when the marker was first seen notified

    def settled() -> tuple[list[dict[str, Any]], list[str]] | None:
        items, _ = read(ctx)
        last[0] = items
        remembered = [user for user in (ada, grace) if of_user(items, user)]
        if not marked and of_user(items, marker):
            marked.append(time.monotonic())
        late = bool(marked) and time.monotonic() - marked[0] > ctx.timeout
        return (items, remembered) if not remembered or late else None

    poll(ctx, settled)
    items = last[0]
    remembered = [user for user in (ada, grace) if of_user(items, user)]
    if remembered and not marked:
        shown = "; ".join(counted(items, user) for user in (ada, grace, marker))
        raise CheckFailed(
            f"within {deadline(ctx):g} s, the deleted users were not forgotten, nor was user {marker} notified",
            Exchange(f"{sent}; then GET /notifications", shown),
        )
    if remembered:
        first = remembered[0]
        how = f"DELETE /users/{ada}" if first == ada else f"DeleteUser (gRPC) of {grace}"
        where = "" if first == ada else " (publish user.deleted where both transports delete: in the store)"
        raise CheckFailed(
            f"user {first} still has its notifications after {how}, although user {marker}, registered afterwards, "
            f"was notified before: the deletion's event should have been handled by then{where}",
            Exchange(f"{sent}; then GET /notifications", counted(items, first)),
        )
    for user in (ada, grace):
        mine, reply = read(ctx, user)
        expect(mine == [], f"GET /notifications?user_id={user} of a deleted user should answer []", reply.exchange)
    kept, reply = read(ctx, bob)
    expect(
        len(kept) == 1,
        f"user {bob}, not deleted, should keep its one notification, not {len(kept)}: forget only the deleted user",
        reply.exchange,
    )


# --- 2: the outbox shows ---------------------------------------------------------------------------


def outbox(ctx: Context) -> tuple[int, Reply]:
    """GET /healthz of the users service: its "outbox", checked to be a whole number."""
    reply = ctx.rest.get("/healthz")
    expect_status(reply, 200, why="from /healthz")
    body = reply.json()
    waiting = body.get("outbox") if isinstance(body, dict) else None
    expect(
        isinstance(waiting, int) and not isinstance(waiting, bool) and waiting >= 0,
        'GET /healthz should report the events waiting in the outbox as a whole number: {"status": "ok", "outbox": 0}',
        reply.exchange,
    )
    assert isinstance(waiting, int)
    return waiting, reply


def outbox_until(ctx: Context, wanted: Callable[[int], bool]) -> tuple[int, Reply]:
    """Read /healthz until its outbox is `wanted`, up to the deadline; (whether it was, the last answer)."""
    last: list[tuple[int, Reply]] = []

    def probe() -> tuple[int, Reply] | None:
        last[:] = [outbox(ctx)]
        return last[0] if wanted(last[0][0]) else None

    return poll(ctx, probe) or last[0]


@exercise(
    LAB,
    2,
    title='GET /healthz of the users service reports the events waiting in the outbox: "outbox": N, '
    "growing while the broker is away and back to 0 once the relay has caught up",
    hint='Answer GET /healthz with the store\'s outbox_size() as an integer field "outbox" beside "status" '
    "(and declare it in rest_openapi.py's Health model). Registrations must still answer 201 while the broker is "
    "away: the events wait in the outbox, and the relay publishes them once the broker is back.",
)
@surrounded_by(BrokerLink)
def outbox_shows(ctx: Context, link: BrokerLink) -> None:
    waited = deadline(ctx)
    size, reply = outbox_until(ctx, lambda n: n == 0)
    expect(size == 0, f"with nothing registered yet, the outbox should be 0 within {waited:g} s", reply.exchange)
    link.cut()
    try:
        users = [register(ctx, f"Outage {i}") for i in range(CROWD)]  # 201 each: the broker is not on the way
        size, reply = outbox_until(ctx, lambda n: n >= CROWD)
        sent = f"the broker unreachable, POST /users registered {CROWD} users ({', '.join(users)})"
        expect(
            size >= CROWD,
            f"while the broker was unreachable, {CROWD} users registered, but GET /healthz still said "
            f'"outbox": {size} after {waited:g} s: count the events recorded and not yet confirmed by the broker',
            Exchange(f"{sent}; then {reply.exchange.sent}", reply.exchange.got),
        )
    finally:
        link.restore()
    size, reply = outbox_until(ctx, lambda n: n == 0)
    sent = f"{sent}; the broker reachable again"
    expect(
        size == 0,
        f'once the broker was back, the outbox should drain to 0 within {waited:g} s, but it says "outbox": {size}',
        Exchange(f"{sent}; then {reply.exchange.sent}", reply.exchange.got),
    )
    wait_notified(ctx, users, sent)


# --- 3: the dead letters, replayed -----------------------------------------------------------------


def dead_letters(ctx: Context) -> tuple[list[dict[str, Any]], Reply]:
    """GET /dead-letters on the notifier, checked to answer 200 and a JSON array of objects."""
    reply = ctx.notifier.get("/dead-letters")
    if reply.status != 200:
        why = f"GET /dead-letters on the notifier should answer 200 and its dead letters, got {reply.status}"
        raise reply.fail(why)
    items = reply.json()
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise reply.fail('GET /dead-letters should answer a JSON array: [{"reason": "...", "body": "..."}, ...]')
    return items, reply


def event_of(letter: dict[str, Any]) -> dict[str, Any]:
    """The event a dead letter holds (its body: the message as text, or already as JSON); {} if none."""
    body = letter.get("body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


def letters_of(items: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    """The dead letters whose event is about this user (its data's id)."""
    return [item for item in items if str((event_of(item).get("data") or {}).get("id")) == user_id]


@exercise(
    LAB,
    3,
    title='the notifier shows its dead letters (GET /dead-letters: [{"reason", "body"}]) and replays them '
    '(POST /dead-letters/replay: {"replayed": N}) once the cause is fixed; the user is then notified once',
    hint="GET /dead-letters: read the dead-letter queue without taking anything (basic_get without an ack; closing "
    "the channel puts the messages back); the reason is the x-dead-letter-reason header, the body the message as "
    "text. POST /dead-letters/replay: move each message that is there when it starts back to the notifications "
    "queue (publish with confirms, then ack it in the dead letters) and answer how many. Kafka: read the "
    "dead-letter topic from a group's committed offset.",
)
@surrounded_by(MailServer)
def replayed(ctx: Context, mail: MailServer) -> None:
    dead_letters(ctx)
    user, email = sign_up(ctx, "Replay")
    sent = f"the mail server refusing every recipient (451), POST /users registered user {user} ({email})"

    slow: list[CheckFailed] = []  # the notifier asks the broker while it answers: one slow answer is no verdict

    def dead() -> tuple[list[dict[str, Any]], Reply] | None:
        try:
            items, reply = dead_letters(ctx)
        except CheckFailed as failure:
            if not failure.reason.startswith("no answer within"):
                raise
            slow[:] = [failure]
            return None
        slow.clear()
        return (items, reply) if letters_of(items, user) else None

    found = poll(ctx, dead)
    if found is None and slow:
        raise slow[0]
    if found is None:
        items, reply = dead_letters(ctx)
        raise CheckFailed(
            f"user {user}'s welcome did not reach the dead letters within {deadline(ctx):g} s ({mail.seen(email)})",
            Exchange(f"{sent}; then {reply.exchange.sent}", reply.exchange.got),
        )
    items, reply = found
    reason = letters_of(items, user)[0].get("reason")
    expect(
        isinstance(reason, str) and reason.strip(),
        f"a dead letter should say why it is one (its 'reason', a non-empty string), not {reason!r}",
        Exchange(f"{sent}; then {reply.exchange.sent}", reply.exchange.got),
    )

    mail.accept()
    sent = f"{sent}, and its welcome went to the dead letters; then the mail server accepted mail again"
    replay = ctx.notifier.post("/dead-letters/replay")
    expect_status(replay, 200, why="to POST /dead-letters/replay on the notifier")
    answer = replay.json()
    count = answer.get("replayed") if isinstance(answer, dict) else None
    expect(
        isinstance(count, int) and not isinstance(count, bool) and count >= 1,
        f'POST /dead-letters/replay should answer how many it replayed, {{"replayed": 1}} here, not {count!r}',
        replay.exchange,
    )
    sent = f"{sent}; POST /dead-letters/replay answered {count}"
    notified = of_user(wait_notified(ctx, [user], sent), user)
    channels = notified[0].get("channels")
    expect(
        isinstance(channels, list) and "email" in channels,
        f"the replayed welcome should go by email now that the mail server takes it: channels {channels!r}",
        Exchange(sent, counted(notified, user)),
    )
    items, reply = dead_letters(ctx)
    expect(
        not letters_of(items, user),
        f"user {user}'s welcome was replayed, so it should have left the dead letters",
        Exchange(f"{sent}; then {reply.exchange.sent}", reply.exchange.got),
    )

    again = ctx.notifier.post("/dead-letters/replay")
    expect_status(again, 200, why="to a second POST /dead-letters/replay")
    marker = register(ctx, "Marker")
    sent = f"{sent}; a second replay answered {again.text.strip()}; then user {marker} registered"
    items = wait_notified(ctx, [marker], sent)
    expect(
        len(of_user(items, user)) == 1 and mail.delivered[email] == 1,
        f"user {user} should be notified once, by one email: {mail.seen(email)}",
        Exchange(f"{sent} and was notified", counted(items, user)),
    )

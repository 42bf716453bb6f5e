"""Lab 5's requirements: a notifier, fed by the users service through a broker. Core: task 5; extras: the details.

The lesson is two services that share no memory and no calls, only events: the users service
publishes `user.registered` to a broker, and the notifier consumes it and notifies the new user.
The grader cannot see the broker (a student may use RabbitMQ, Kafka or anything else, in any
language), so it watches both ends through their ports: it registers users at the users service
(REST, or gRPC) and reads what the notifier recorded at its own HTTP port (GET /notifications).
So the core is: the notifier says it consumes; a registered user is notified, once; the record
can be read per user; and forty users registered at once are each notified once. Users created
over gRPC, updates and deletes that notify nobody, an unknown user's empty record, distinct
event ids and the notification's fields are the course's quality bar.

Delivery is asynchronous, so a check reads the record again and again (at once, then less and
less often) until what it waits for is there, up to a generous deadline: four request timeouts,
20 s by default. A notifier that takes milliseconds passes in milliseconds.

"Exactly once" and "nobody was notified" are negatives, and waiting a fixed time for nothing to
happen is slow and proves little. So once the users under test are notified (or changed), a check
registers one more user, a marker, and waits for its notification: by then the events published
before the marker's have been handled (a broker keeps the order of one queue or partition), so a
second notification of theirs would be in the record. Then it counts. Each requirement registers
users of its own and looks only at their notifications, so the record's other entries (every
user the other requirements register is notified too) never matter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..context import Context
from ..evidence import CheckFailed, Exchange, expect, preview
from ..parallel import all_at_once, settled
from ..registry import requirement
from ..rest_client import Reply, RestClient
from ..timestamps import parse_rfc3339
from .ids import unknown_id_like
from .rest_helpers import user_body, user_path

if TYPE_CHECKING:  # grpc is imported by the runner only for labs with a gRPC side
    from ..grpc_client import GrpcReply, Metadata

Notification = dict[str, Any]

FEATURE = "notifications"
DELIVERY_TIMEOUTS = 4  # request timeouts a notification may take to appear: 20 s at the default --timeout 5
POLL_FIRST, POLL_LONGEST = 0.02, 0.25  # seconds between reads of the record, doubling up to the longest
CROWD = 40  # users registered at once in NOTIFY-CONCURRENT
EVENT_USERS = 3  # users whose event ids NOTIFY-EVENT-IDS compares
TIME_LIMIT = 90.0  # seconds: registrations, then two deliveries waited for (the users', the marker's)
CHANNELS = (["record"], ["email", "record"])
SHOWN = 5  # users named in a failure message, at most


def deadline(ctx: Context) -> float:
    """Seconds a check waits for a notification: generous, since delivery is asynchronous and a broker may lag."""
    return DELIVERY_TIMEOUTS * ctx.timeout


def register(ctx: Context, name: str, login: bool = False) -> str:
    """A new user registered with POST /users {name, email}; its id, as text.

    Registration is public (lab 3) and its password optional, so the users a check never logs in
    are registered without one, by a client of their own that adds nothing: no password hash to
    wait for, which keeps a crowd of registrations fast. With `login`, the run's client registers
    the user with a password and logs it in, so that calls on its record carry its own token.
    """
    return registration(ctx, name, login)[0]


def registration(
    ctx: Context, name: str, login: bool = False, headers: dict[str, str] | None = None
) -> tuple[str, Reply]:
    """As register, with `headers` sent too (lab 6's traceparent); the id and the answer, whose headers matter there."""
    body = {"name": f"{name} {ctx.token()}", "email": ctx.email("notify")}
    client = ctx.rest if login else RestClient(ctx.rest.base_url, ctx.timeout)
    try:
        reply = client.request("POST", "/users", json_body=body, headers=headers)
    finally:
        if not login:
            client.close()
    if not 200 <= reply.status < 300:
        plain = "" if login else " (without a password, which is optional)"
        raise reply.fail(f"registering a user{plain} should succeed, got {reply.status}")
    return str(user_body(reply)["id"]), reply


def register_at_once(ctx: Context, count: int, name: str) -> list[str]:
    """`count` users registered by simultaneous POST /users (each with a client of its own); their ids."""
    users = settled(all_at_once(lambda i: register(ctx, f"{name} {i}"), count))
    sent = f"{count} simultaneous POST /users"
    expect(
        len(set(users)) == count,
        "every registered user should get an id of its own",
        Exchange(sent, f"{len(set(users))} distinct ids for {count} users"),
    )
    return users


def register_over_grpc(ctx: Context, name: str) -> str:
    """A new user created with CreateUser over gRPC; its id."""
    return registration_over_grpc(ctx, name)[0]


def registration_over_grpc(ctx: Context, name: str, metadata: Metadata = ()) -> tuple[str, GrpcReply]:
    """As register_over_grpc, with `metadata` sent too (lab 6's traceparent); the id and the answer."""
    request = ctx.grpc.pb.CreateUserRequest(name=f"{name} {ctx.token()}", email=ctx.email("notify"))
    reply = ctx.grpc.call("CreateUser", request, metadata)
    if not reply.ok:
        raise reply.fail(f"CreateUser should succeed, got {reply.code.name}")
    return str(reply.response.id), reply


# --- the notifier's record ---------------------------------------------------------------------


def read(ctx: Context, user_id: str | None = None, why: str = "") -> tuple[list[Notification], Reply]:
    """GET /notifications (?user_id=ID), checked to answer 200 and a JSON array of objects."""
    reply = ctx.notifier.get("/notifications", urlencode({"user_id": user_id}) if user_id is not None else "")
    if reply.status != 200:
        raise reply.fail(f"GET /notifications should answer 200{why}, got {reply.status}")
    items = reply.json()
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise reply.fail("GET /notifications should answer a JSON array of notifications (objects)")
    return items, reply


def of_user(items: list[Notification], user_id: str) -> list[Notification]:
    """The notifications of one user (ids compared as text: a number and its string are one id)."""
    return [item for item in items if str(item.get("user_id")) == user_id]


def named(user_ids: list[str]) -> str:
    """Users as a failure message names them: the first few ids."""
    more = f" and {len(user_ids) - SHOWN} more" if len(user_ids) > SHOWN else ""
    return ", ".join(user_ids[:SHOWN]) + more


def wait_notified(ctx: Context, user_ids: list[str], sent: str) -> list[Notification]:
    """Read the whole record until each of `user_ids` has a notification, up to the deadline; the last read."""
    waited = deadline(ctx)
    give_up = time.monotonic() + waited
    pause = POLL_FIRST
    while True:
        items, reply = read(ctx)
        missing = [user for user in user_ids if not of_user(items, user)]
        if not missing:
            return items
        remaining = give_up - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(pause, remaining))  # the last read comes at the deadline, not before it
        pause = min(2 * pause, POLL_LONGEST)
    if len(user_ids) == 1:
        reason = f"user {missing[0]} was not notified within {waited:g} s"
    else:
        reason = f"{len(missing)} of {len(user_ids)} users were not notified within {waited:g} s: {named(missing)}"
    got = f"{len(items)} notifications, none with user_id {missing[0]!r}; the last answer: {reply.exchange.got}"
    raise CheckFailed(reason, Exchange(f"{sent}; then GET /notifications for {waited:g} s", got))


def after_a_marker(
    ctx: Context, sent: str, marker: Callable[[Context, str], str] = register
) -> tuple[list[Notification], str]:
    """The record once a user registered now (a marker) is notified, and what was sent, for failure messages.

    The events published before the marker's have been handled by then, so a second notification
    of a user, or one for a change, would be there. `marker` registers it: over the transport the
    check is about, so that its event follows theirs through the same publisher.
    """
    user = marker(ctx, "Marker")
    sent = f"{sent}; then one more user, {user}, registered and was notified"
    return wait_notified(ctx, [user], sent), sent


def counted(items: list[Notification], user_id: str) -> str:
    """A user's notifications as a failure message shows them: how many, and their event ids."""
    found = of_user(items, user_id)
    events = ", ".join(repr(item.get("event_id")) for item in found[:SHOWN])
    return f"{len(found)} notifications with user_id {user_id!r}" + (f" (event ids {events})" if found else "")


def expect_once(items: list[Notification], user_ids: list[str], sent: str) -> None:
    """Each of `user_ids` has exactly one notification in `items`."""
    wrong = {user: len(of_user(items, user)) for user in user_ids if len(of_user(items, user)) != 1}
    if not wrong:
        return
    first = next(iter(wrong))
    if len(user_ids) == 1:
        reason = f"user {first} was notified {wrong[first]} times"
    else:
        each = ", ".join(f"user {user} {count} times" for user, count in list(wrong.items())[:SHOWN])
        reason = f"{len(wrong)} of {len(user_ids)} users were not notified exactly once: {each}"
    raise CheckFailed(reason, Exchange(sent, counted(items, first)))


def json_or_none(reply: Reply) -> Any:
    """The body as JSON, None when it is not JSON (/healthz's body is judged, not required to parse)."""
    try:
        return reply.json()
    except CheckFailed:
        return None


# --- core ----------------------------------------------------------------------------------------


@requirement(
    "NOTIFY-HEALTHZ",
    protocol="rest",
    core=False,  # the notifier's /healthz is given in the starter: the core is what the student writes
    weight=1,
    feature=FEATURE,
    title='The notifier answers GET /healthz with 200 {"status": "ok", "broker": ...} while it consumes',
    hint='serve GET /healthz on NOTIFIER_HTTP_PORT: {"status": "ok", "broker": "rabbitmq"} once the consumer is on',
)
def healthz(ctx: Context) -> None:
    waited = deadline(ctx)
    give_up = time.monotonic() + waited
    pause = POLL_FIRST
    while True:
        reply = ctx.notifier.get("/healthz")
        body = json_or_none(reply)
        if reply.status == 200 and isinstance(body, dict) and body.get("status") == "ok":
            break
        if reply.status not in (200, 503):  # 503, or another status word: not consuming yet, ask again
            raise reply.fail(f'GET /healthz should answer 200 {{"status": "ok", ...}}, got {reply.status}')
        remaining = give_up - time.monotonic()
        if remaining <= 0:
            raise reply.fail(f'the notifier did not answer {{"status": "ok"}} within {waited:g} s')
        time.sleep(min(pause, remaining))
        pause = min(2 * pause, POLL_LONGEST)
    broker = body.get("broker")
    expect(
        isinstance(broker, str) and broker.strip(),
        f'the answer should name the broker it consumes from ("broker": "rabbitmq", ...), not {broker!r}',
        reply.exchange,
    )


@requirement(
    "NOTIFY-REGISTERED",
    protocol="rest",
    core=True,
    weight=3,
    feature=FEATURE,
    title="A user registered with POST /users is notified exactly once: GET /notifications has one with its user_id",
    hint="publish user.registered when a registration is stored; the notifier records one notification per event id",
    time_limit=TIME_LIMIT,
)
def registered(ctx: Context) -> None:
    user = register(ctx, "Ada")
    sent = f"POST /users registered user {user}"
    wait_notified(ctx, [user], sent)
    items, sent = after_a_marker(ctx, sent)
    expect_once(items, [user], sent)


@requirement(
    "NOTIFY-FILTER",
    protocol="rest",
    core=True,
    weight=2,
    feature=FEATURE,
    title="GET /notifications?user_id=ID answers that user's notification and no other user's",
    hint="filter the record by the query's user_id (compared with the id the users service gave, as a string)",
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=TIME_LIMIT,
)
def filtered(ctx: Context) -> None:
    users = [register(ctx, "Ada"), register(ctx, "Bob")]
    wait_notified(ctx, users, f"POST /users registered users {named(users)}")
    for user in users:
        items, reply = read(ctx, user)
        others = [item for item in items if str(item.get("user_id")) != user]
        expect(
            not others,
            f"?user_id={user} should keep only that user's notifications: {len(others)} of {len(items)} are others'",
            reply.exchange,
        )
        expect(
            len(items) == 1,
            f"?user_id={user} should answer the user's one notification, not {len(items)}",
            reply.exchange,
        )


@requirement(
    "NOTIFY-CONCURRENT",
    protocol="rest",
    core=True,
    weight=3,
    feature=FEATURE,
    title=f"{CROWD} users registered at once are each notified exactly once",
    hint="publish every registration (none lost when requests overlap) and consume every event; dedupe by event id",
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=TIME_LIMIT,
)
def many_at_once(ctx: Context) -> None:
    users = register_at_once(ctx, CROWD, "Crowd")
    sent = f"{CROWD} simultaneous POST /users registered users {named(users)}"
    wait_notified(ctx, users, sent)
    items, sent = after_a_marker(ctx, sent)
    expect_once(items, users, sent)


# --- extras --------------------------------------------------------------------------------------


@requirement(
    "NOTIFY-GRPC",
    protocol="grpc",
    core=False,
    weight=2,
    feature=FEATURE,
    title="A user created with CreateUser over gRPC is notified exactly once, as one registered over REST",
    hint="publish user.registered from the one place both transports store a new user, not from the REST handler",
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=TIME_LIMIT,
)
def over_grpc(ctx: Context) -> None:
    user = register_over_grpc(ctx, "Grace")
    sent = f"CreateUser (gRPC) created user {user}"
    wait_notified(ctx, [user], sent)
    items, sent = after_a_marker(ctx, sent, register_over_grpc)
    expect_once(items, [user], sent)


@requirement(
    "NOTIFY-UPDATE-DELETE",
    protocol="rest",
    core=False,
    weight=2,
    feature=FEATURE,
    title="Updating a user (name and email) or deleting one notifies nobody: no second notification",
    hint="publish user.registered for a registration only: a PUT or a DELETE is not a new user",
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=TIME_LIMIT,
)
def changes_notify_nobody(ctx: Context) -> None:
    ada, bob = register(ctx, "Ada", login=True), register(ctx, "Bob", login=True)
    wait_notified(ctx, [ada, bob], f"POST /users registered users {ada} and {bob}")
    update = ctx.rest.put(user_path(ada), {"name": f"Ada Renamed {ctx.token()}", "email": ctx.email("renamed")})
    expect(update.status == 200, f"PUT of one's own record should answer 200, got {update.status}", update.exchange)
    removal = ctx.rest.delete(user_path(bob))
    expect(
        removal.status == 204, f"DELETE of one's own record should answer 204, got {removal.status}", removal.exchange
    )
    sent = f"users {ada} and {bob} registered and were notified; PUT /users/{ada} changed its name and email"
    items, sent = after_a_marker(ctx, f"{sent}; DELETE /users/{bob} deleted {bob}")
    updated, deleted = len(of_user(items, ada)), len(of_user(items, bob))
    expect(
        updated == 1,
        f"updating user {ada} notified again: it was notified {updated} times",
        Exchange(sent, counted(items, ada)),
    )
    expect(
        deleted <= 1,
        f"deleting user {bob} notified again: it was notified {deleted} times",
        Exchange(sent, counted(items, bob)),
    )


@requirement(
    "NOTIFY-UNKNOWN-USER",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title="GET /notifications?user_id= of a user nobody has answers 200 and an empty array",
    hint="a filter that matches nothing is an empty list, not a 404 or a 500",
    depends_on=["NOTIFY-FILTER"],
)
def unknown_user(ctx: Context) -> None:
    missing = unknown_id_like(register(ctx, "Known"))
    items, reply = read(ctx, missing, why=" with [] for a user_id nobody has")
    expect(items == [], f"a user nobody has should have no notifications, not {len(items)}", reply.exchange)


@requirement(
    "NOTIFY-EVENT-IDS",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title=f"The notifications of {EVENT_USERS} users carry distinct event ids (non-empty strings)",
    hint="give each event a unique id (a UUID) when it is made, and record it as event_id",
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=TIME_LIMIT,
)
def distinct_event_ids(ctx: Context) -> None:
    users = [register(ctx, f"Evan {i}") for i in range(EVENT_USERS)]
    sent = f"POST /users registered users {named(users)}"
    items = wait_notified(ctx, users, sent)
    ids = [item.get("event_id") for user in users for item in of_user(items, user)]
    shown = Exchange(sent, f"event ids: {', '.join(map(repr, ids))}")
    expect(all(isinstance(i, str) and i.strip() for i in ids), "every event_id should be a non-empty string", shown)
    expect(len(set(ids)) == len(ids), f"the {len(ids)} notifications should carry distinct event ids", shown)


@requirement(
    "NOTIFY-FIELDS",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title="A notification holds event_id, user_id (a string), message, channels and notified_at (RFC 3339)",
    hint='e.g. {"event_id": "9f1c...", "user_id": "7", "message": "Welcome, Ada!", "channels": ["record"], '
    '"notified_at": "2026-01-31T12:00:00.000Z"}',
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=TIME_LIMIT,
)
def fields(ctx: Context) -> None:
    user = register(ctx, "Fields")
    sent = f"POST /users registered user {user}"
    item = of_user(wait_notified(ctx, [user], sent), user)[0]
    shown = Exchange(f"{sent}; then GET /notifications", preview(json.dumps(item, ensure_ascii=False)))
    event_id, message, channels = item.get("event_id"), item.get("message"), item.get("channels")
    expect(
        isinstance(event_id, str) and event_id.strip(),
        f"'event_id' should be a non-empty string, not {event_id!r}",
        shown,
    )
    expect(item.get("user_id") == user, f"'user_id' should be {user!r}, the user's id as a string", shown)
    expect(
        isinstance(message, str) and message.strip(), f"'message' should be a non-empty string, not {message!r}", shown
    )
    expect(channels in CHANNELS, f'\'channels\' should be ["record"] or ["email", "record"], not {channels!r}', shown)
    moment = item.get("notified_at")
    expect(
        parse_rfc3339(moment) is not None,
        f"'notified_at' should be an RFC 3339 time with its zone (2026-01-31T12:00:00.000Z), not {moment!r}",
        shown,
    )

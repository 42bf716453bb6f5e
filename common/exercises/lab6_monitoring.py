"""Lab 6's exercises (lab6_monitoring/README.md, "Exercises"), checked through the lab's ports.

What these exercises add is read where Prometheus and a mail client read it: the users service's
``GET /metrics`` (Prometheus' text format, parsed with prometheus_client's own parser), and the
welcome email the notifier sends. A counter is judged by how much it grew between two scrapes
around what the check did, never by its value; a service may count a request just after answering
it, so the second scrape is repeated until the difference shows, up to one request timeout.

Lab 5's helpers are reused (common/exercises/lab5_broker.py: users signed up and polled for), and
so is what lab 5's checks run around the lab (surroundings.py): exercise 2 puts the machine's
RabbitMQ behind a proxy it can cut (`BrokerLink`), exercise 3 runs the mail server the notifier
sends to (`MailServer`), accepting from the start and keeping every message.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from email.message import Message

from common.grader import CheckFailed, Context, Exchange, expect
from common.grader.checks.auth import grpc_call
from common.grader.checks.grpc_helpers import Code, expect_code
from common.grader.checks.monitoring import parse
from common.grader.checks.notifications import deadline, register
from common.grader.checks.rest_helpers import expect_status
from common.grader.rest_client import Reply

from .lab5_broker import PASSWORD, poll, sign_up
from .registry import exercise
from .runner import surrounded_by
from .surroundings import BrokerLink, MailServer

LAB = "lab6_monitoring"
ACCEPT = {"Accept": "text/plain;version=0.0.4"}  # the text format, as Prometheus asks for it
LOGINS = "microlabs_logins_total"
OLDEST = "microlabs_outbox_oldest_event_seconds"
CLOCK_SLACK = 1.0  # seconds an age may exceed what the check measured: the event's time is the wall clock's
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
TRACE_HEADER = "X-Trace-Id"

Labels = tuple[tuple[str, str], ...]  # a series' labels, sorted by name
Series = dict[Labels, float]  # one sample name's series and their values


# --- reading /metrics ------------------------------------------------------------------------------


def scrape(ctx: Context) -> tuple[dict[str, Series], Reply]:
    """GET /metrics of the users service, read as Prometheus reads it: each sample name's series."""
    reply = ctx.rest.request("GET", "/metrics", headers=ACCEPT)
    expect_status(reply, 200, why="to GET /metrics, which Prometheus reads without a token")
    try:
        samples, _ = parse(reply.text)  # the grader's reading (METRICS-*)
    except Exception as exc:  # the parser raises ValueError, and others for some malformed lines
        raise reply.fail(f"GET /metrics should answer Prometheus' text format: {exc}") from None
    found: dict[str, Series] = {}
    for (name, labels), value in samples.items():
        found.setdefault(name, {})[labels] = value
    return found, reply


def total(series: Series | None, **labels: str) -> float | None:
    """The sum of the series that carry `labels` (as PromQL's sum(name{labels}) would); None when there is none."""
    wanted = set(labels.items())
    values = [value for key, value in (series or {}).items() if wanted <= set(key)]
    return sum(values) if values else None


def lines_of(reply: Reply, name: str) -> str:
    """The lines of a /metrics answer about `name` (its samples, and its HELP and TYPE), for the evidence."""
    family = name.removesuffix("_total")
    found = [
        line
        for line in reply.text.splitlines()
        if line.startswith((name, f"# HELP {family} ", f"# TYPE {family} ", f"# HELP {name} ", f"# TYPE {name} "))
    ]
    return " | ".join(found) if found else f"200, but no line about {name} in the page"


def evidence(sent: str, reply: Reply, name: str) -> Exchange:
    return Exchange(f"{sent}; then GET /metrics", lines_of(reply, name))


# --- 1: logins, counted ----------------------------------------------------------------------------


def login_counts(ctx: Context) -> tuple[float | None, float | None, Series, Reply]:
    """How many logins the users service has counted: (successes, failures, every series of LOGINS, the page)."""
    metrics, reply = scrape(ctx)
    series = metrics.get(LOGINS, {})
    return total(series, outcome="success"), total(series, outcome="failure"), series, reply


def counted_until(
    ctx: Context, before: tuple[float, float], wanted: tuple[int, int], sent: str, transports: str
) -> tuple[Series, Reply]:
    """Scrape until both series grew by `wanted` since `before`, up to one request timeout; fail if they do not."""
    give_up = time.monotonic() + ctx.timeout
    while True:
        success, failure, series, reply = login_counts(ctx)
        for outcome, value in (("success", success), ("failure", failure)):
            if value is None:
                raise CheckFailed(
                    f'GET /metrics of the users service has no {LOGINS}{{outcome="{outcome}"}} after {sent}',
                    evidence(sent, reply, LOGINS),
                )
        assert success is not None and failure is not None
        grew = (success - before[0], failure - before[1])
        if grew == wanted:
            return series, reply
        more = grew[0] > wanted[0] or grew[1] > wanted[1]
        if more or time.monotonic() > give_up:
            why = (
                ": count each login once, where it is decided"
                if more
                else f": count the logins over {transports}, where both transports log in"
            )
            raise CheckFailed(
                f'after {sent}, {LOGINS}{{outcome="success"}} grew by {grew[0]:g} and {{outcome="failure"}} by '
                f"{grew[1]:g}, not by {wanted[0]} and {wanted[1]}{why}",
                evidence(sent, reply, LOGINS),
            )
        time.sleep(0.1)


@exercise(
    LAB,
    1,
    title="GET /metrics of the users service counts logins, REST and gRPC alike: microlabs_logins_total"
    '{outcome="success"} and {outcome="failure"} grow by exactly the good and the bad logins',
    hint='A Counter "logins" with the label outcome in metrics.py\'s UsersMetrics (both values touched at the '
    "start, so that both series show at 0), counted where both transports log in: Auth.login (give Auth the "
    "UsersMetrics that __main__.py makes). A wrong password, an unknown email and a locked email are failures. "
    "No label with the email or the user id: a series per user.",
)
def logins_counted(ctx: Context) -> None:
    ada, ada_email = sign_up(ctx, "Ada", PASSWORD)
    grace, grace_email = sign_up(ctx, "Grace", PASSWORD)
    success, failure, _, _ = login_counts(ctx)
    before = (success or 0.0, failure or 0.0)  # a series that is not there yet counts from 0

    good = ctx.rest.post("/auth/login", {"email": ada_email, "password": PASSWORD})
    expect_status(good, 200, why="to POST /auth/login with the right password")
    for body, why in (
        ({"email": ada_email, "password": f"not {PASSWORD}"}, "a wrong password"),
        ({"email": ctx.email("nobody"), "password": PASSWORD}, "an unknown email"),
    ):
        bad = ctx.rest.post("/auth/login", body)
        expect_status(bad, 401, why=f"to POST /auth/login with {why}")
    sent = f"one good POST /auth/login (user {ada}) and two bad ones (a wrong password, an unknown email)"
    counted_until(ctx, before, (1, 2), sent, "REST (POST /auth/login)")

    pb = ctx.grpc.pb
    right = grpc_call(ctx, "AuthService", "Login", pb.LoginRequest(email=grace_email, password=PASSWORD))
    expect_code(right, Code.OK, "to AuthService/Login with the right password")
    wrong = grpc_call(ctx, "AuthService", "Login", pb.LoginRequest(email=grace_email, password=f"not {PASSWORD}"))
    expect_code(wrong, Code.UNAUTHENTICATED, "to AuthService/Login with a wrong password")
    sent = f"{sent}, then one good AuthService/Login over gRPC (user {grace}) and one bad one (a wrong password)"
    series, reply = counted_until(ctx, before, (2, 3), sent, "gRPC (AuthService/Login) too")

    personal = {ada, grace, ada_email.lower(), grace_email.lower()}
    named = [labels for labels in series if any(value.lower() in personal for _, value in labels)]
    expect(
        not named,
        f"a series of {LOGINS} names a user ({dict(named[0]) if named else ''}): a label with the email or the "
        "user id makes a series per user; count by outcome only",
        evidence(sent, reply, LOGINS),
    )


# --- 2: how late the outbox is ---------------------------------------------------------------------


def oldest(ctx: Context, sent: str) -> tuple[float, Reply]:
    """The users service's OLDEST, which must be there."""
    metrics, reply = scrape(ctx)
    age = total(metrics.get(OLDEST))
    if age is None:
        raise CheckFailed(f"GET /metrics of the users service has no {OLDEST}", evidence(sent, reply, OLDEST))
    return age, reply


def oldest_until(ctx: Context, wanted: Callable[[float], bool], sent: str) -> tuple[float, Reply]:
    """Scrape until OLDEST is `wanted`, up to the deadline; the last value read, and its page."""
    last: list[tuple[float, Reply]] = []

    def probe() -> tuple[float, Reply] | None:
        last[:] = [oldest(ctx, sent)]
        return last[0] if wanted(last[0][0]) else None

    return poll(ctx, probe) or last[0]


@exercise(
    LAB,
    2,
    title="GET /metrics of the users service has the gauge microlabs_outbox_oldest_event_seconds: how long the "
    "oldest event in the outbox has waited, growing past 1 s while the broker is away, 0 once the outbox is empty",
    hint='A Gauge "outbox_oldest_event_seconds" in metrics.py\'s UsersMetrics, read at each scrape as outbox_events '
    "is (set_function, in watch_outbox): the seconds from the oldest pending event's time to now, 0 when the "
    "outbox is empty. The store keeps its outbox oldest first, under its lock: ask it there.",
)
@surrounded_by(BrokerLink)
def outbox_age(ctx: Context, link: BrokerLink) -> None:
    waited = deadline(ctx)
    sent = "nothing registered yet"
    age, reply = oldest_until(ctx, lambda seconds: seconds == 0, sent)
    expect(age == 0, f"with an empty outbox, {OLDEST} should be 0 within {waited:g} s", evidence(sent, reply, OLDEST))
    link.cut()
    try:
        began = time.monotonic()
        user = register(ctx, "Late")  # 201: the broker is not on the way
        sent = f"the broker unreachable, POST /users registered user {user}"
        age, reply = oldest_until(ctx, lambda seconds: seconds > 1, sent)
        expect(
            age > 1,
            f"while the broker was unreachable, the event of user {user} waited in the outbox, but {OLDEST} was "
            f"still {age:g} after {waited:g} s: the seconds since the oldest waiting event was recorded",
            evidence(sent, reply, OLDEST),
        )
        waiting = time.monotonic() - began
        expect(
            age <= waiting + CLOCK_SLACK,
            f"{OLDEST} said {age:g} s, but the only event waiting had been recorded {waiting:.1f} s before at most: "
            "measure from the oldest waiting event's time",
            evidence(sent, reply, OLDEST),
        )
        first = age
        age, reply = oldest_until(ctx, lambda seconds: seconds > first, sent)
        expect(
            age > first,
            f"{OLDEST} stayed at {first:g} for {waited:g} s while the event kept waiting: it should keep growing "
            "(compute it when Prometheus scrapes, not when the relay tries)",
            evidence(f"{sent}; {OLDEST} was {first:g}", reply, OLDEST),
        )
    finally:
        link.restore()
    sent = f"{sent}; the broker reachable again"
    age, reply = oldest_until(ctx, lambda seconds: seconds == 0, sent)
    expect(
        age == 0,
        f"once the broker was back and the outbox emptied, {OLDEST} should return to 0 within {waited:g} s",
        evidence(sent, reply, OLDEST),
    )


# --- 3: the trace in the email ---------------------------------------------------------------------


def registered(ctx: Context, name: str, headers: dict[str, str] | None = None) -> tuple[str, str, Reply]:
    """A user registered with POST /users (sending `headers`): its id, its email and the answer."""
    email = ctx.email(name.lower())
    reply = ctx.rest.request(
        "POST", "/users", json_body={"name": f"{name} {ctx.token()}", "email": email}, headers=headers
    )
    expect_status(reply, 201, why="to registering a new user")
    user = reply.json()
    expect(isinstance(user, dict) and user.get("id") is not None, "a new user should have an id", reply.exchange)
    return str(user["id"]), email, reply


def welcome_to(ctx: Context, mail: MailServer, address: str, sent: str) -> Message:
    """The first message the mail server took for `address`, waited for up to the deadline."""
    found = poll(ctx, lambda: next(iter(mail.messages(address)), None))
    if found is None:
        raise CheckFailed(
            f"no welcome email to {address} reached the mail server within {deadline(ctx):g} s",
            Exchange(sent, mail.seen(address)),
        )
    return found


@exercise(
    LAB,
    3,
    title="the welcome email carries the registration's trace id in a header X-Trace-Id: that of the traceparent "
    "the registration sent, or else that of the traceparent its answer carried",
    hint="The notifier handles each event in the registration's trace (tracing.traced, in Notifier.handle): give "
    'Mailer.send the trace id (tracing.current_trace_id(), or event.trace_id) and set message["X-Trace-Id"] '
    "there. The check runs the mail server the notifier sends to (SMTP_HOST, SMTP_PORT) and reads its headers.",
)
@surrounded_by(MailServer.accepting)
def trace_in_email(ctx: Context, mail: MailServer) -> None:
    trace = secrets.token_hex(16)
    parent = f"00-{trace}-{secrets.token_hex(8)}-01"
    joined, joined_email, _ = registered(ctx, "Traced", {"traceparent": parent})
    fresh, fresh_email, reply = registered(ctx, "Untraced")
    answered = reply.headers.get("traceparent")
    match = TRACEPARENT.fullmatch(answered or "")
    expect(
        match is not None,
        "the answer to POST /users should carry a traceparent header (00-<32 hex trace id>-<16 hex>-<2 hex>), "
        f"as the lab's REST edge answers every request, not {answered!r}",
        reply.exchange,
    )
    assert match is not None
    for user, address, expected, how in (
        (joined, joined_email, trace, f"with the header traceparent: {parent}"),
        (fresh, fresh_email, match[1], f"without a traceparent; its answer carried traceparent: {answered}"),
    ):
        sent = f"POST /users registered user {user} ({address}) {how}"
        message = welcome_to(ctx, mail, address, sent)
        values = [str(value).strip() for value in message.get_all(TRACE_HEADER) or ()]
        got = f"a welcome email whose {TRACE_HEADER} is {values[0] if values else '(no such header)'}"
        if len(values) > 1:
            got = f"a welcome email with {len(values)} {TRACE_HEADER} headers: {', '.join(values)}"
        expect(
            values == [expected],
            f"the welcome email to user {user} should carry {TRACE_HEADER}: {expected}, the registration's trace id",
            Exchange(sent, got),
        )

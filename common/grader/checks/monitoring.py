"""Lab 6's requirements: services that show how they are doing. Core: metrics; extras: trace ids and the finer points.

The lesson is observability: each service answers GET /metrics in Prometheus' text format, to
anyone (Prometheus scrapes without a token), and a trace id follows a registration from the edge
through the broker to the notification. The grader reads /metrics at the ports it already grades,
the users service's HTTP port and the notifier's, as Prometheus would.

Names. The contract fixes the names a dashboard written for any student's service needs: the
process metrics every Prometheus client library exports (process_cpu_seconds_total,
process_resident_memory_bytes), the labels of the HTTP histogram (method, route, status) and of
the gRPC metrics (grpc_method, grpc_code, as go-grpc-prometheus names them). The HTTP and gRPC
histograms are found by their type, unit and labels, whatever their names; the service's own
metrics by the end of their names (..._events_consumed_total), so that the namespace is the
student's.

Metrics are counters, and other clients may call the service while it is graded, so a check
scrapes before it acts and again after, and judges the difference, never a value. A service may
count a request just after answering it, so the second scrape is repeated until the difference
shows, up to one request timeout.

Logs go to each service's standard output, which no port shows: the contract describes them, and
the lab's own tests check them.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import string
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from prometheus_client.parser import text_string_to_metric_families

from ..context import Context
from ..evidence import CheckFailed, Exchange, expect, preview
from ..registry import requirement
from ..rest_client import Reply, RestClient
from . import grpc_helpers, rest_helpers
from . import notifications as notify
from . import websocket as ws
from .ids import unknown_id_like

Labels = tuple[tuple[str, str], ...]  # a series' labels, sorted by name
Key = tuple[str, Labels]  # a sample: its name and its labels
Verdict = tuple[str, str]  # why what a check waits for is not there (yet), and what was there instead
Judge = Callable[["Metrics"], Verdict | None]

FEATURE = "monitoring"
SIDES = {"users": "the users service", "notifier": "the notifier"}
ACCEPT = {"Accept": "text/plain;version=0.0.4"}  # the text format, also from a server that could answer OpenMetrics
PROCESS_METRICS = ("process_cpu_seconds_total", "process_resident_memory_bytes")
HTTP_LABELS = ("method", "route", "status")
GRPC_LABELS = ("grpc_method", "grpc_code")
BUCKET_LABELS = ("le", "quantile")  # labels that split one series into buckets, not into series
USERS = 3  # users whose records METRICS-HTTP reads, and whose registrations METRICS-NOTIFIER counts
ODD_REQUESTS = 50  # requests to unknown paths (half with made-up methods) in METRICS-CARDINALITY
NEW_SERIES_LIMIT = 10  # new series of one metric those requests may add: a few (GET, unmatched, 404), not one each
SHOWN = 6  # series a failure message lists, at most
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")


@dataclass(frozen=True)
class Metrics:
    """One scrape of a /metrics page: each sample's value by name and labels, and each family's type."""

    where: str
    samples: dict[Key, float]
    types: dict[str, str]
    reply: Reply

    def named(self, suffix: str) -> list[Key]:
        """The samples whose name is `suffix` or ends with _`suffix` (the service's own namespace before it)."""
        return [key for key in self.samples if key[0] == suffix or key[0].endswith(f"_{suffix}")]

    def histograms(self, labels: tuple[str, ...]) -> list[str]:
        """The histograms in seconds whose series carry every one of `labels`: found by type, unit and labels."""
        return sorted(
            family
            for family, kind in self.types.items()
            if kind == "histogram"
            and family.endswith("_seconds")
            and any(name == f"{family}_count" and set(labels) <= dict(tags).keys() for name, tags in self.samples)
        )


# --- scraping ------------------------------------------------------------------------------------


def parse(text: str) -> tuple[dict[Key, float], dict[str, str]]:
    """Samples and family types of a page in Prometheus' text format (ValueError when it is not)."""
    samples: dict[Key, float] = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, types


def scrape(ctx: Context, side: str) -> Metrics:
    """GET /metrics of `side` ("users" or "notifier") as Prometheus scrapes it: no token, the text format."""
    where = SIDES[side]
    base = ctx.rest.base_url if side == "users" else ctx.notifier.base_url
    client = RestClient(base, ctx.timeout)  # a client of its own: the run's REST client would add a token
    try:
        reply = client.request("GET", "/metrics", headers=ACCEPT)
    finally:
        client.close()
    if reply.status != 200:
        raise reply.fail(f"GET /metrics of {where} should answer 200 to a request without a token, got {reply.status}")
    media = reply.content_type.split(";")[0].strip().lower()
    if media != "text/plain":
        shown = reply.content_type or "none"
        raise reply.fail(
            f"/metrics of {where} should be Prometheus' text format, Content-Type: text/plain, not {shown}"
        )
    try:
        samples, types = parse(reply.text)
    except Exception as exc:  # the parser raises ValueError, and others for some malformed lines
        raise reply.fail(f"/metrics of {where} is not Prometheus' text format: {exc}") from None
    if not samples:
        raise reply.fail(f"/metrics of {where} holds no sample")
    return Metrics(where, samples, types, reply)


def until(ctx: Context, side: str, judge: Judge, sent: str) -> Metrics:
    """Scrape `side` until `judge` finds what it waits for, up to one request timeout; that scrape."""
    give_up = time.monotonic() + ctx.timeout
    pause = notify.POLL_FIRST
    while True:
        metrics = scrape(ctx, side)
        verdict = judge(metrics)
        if verdict is None:
            return metrics
        remaining = give_up - time.monotonic()
        if remaining <= 0:
            reason, got = verdict
            raise CheckFailed(reason, Exchange(f"{sent}; then GET /metrics of {metrics.where}", got))
        time.sleep(min(pause, remaining))
        pause = min(2 * pause, notify.POLL_LONGEST)


# --- series and how much they grew ---------------------------------------------------------------


def grown(before: Metrics, after: Metrics, name: str) -> list[tuple[dict[str, str], float]]:
    """The series of sample `name` that grew between two scrapes (a new one from 0), with how much."""
    found = []
    for (sample, labels), value in after.samples.items():
        if sample == name and value > before.samples.get((sample, labels), 0.0):
            found.append((dict(labels), value - before.samples.get((sample, labels), 0.0)))
    return found


def total(metrics: Metrics, keys: list[Key]) -> float:
    return sum(metrics.samples[key] for key in keys)


def series(name: str, labels: dict[str, str]) -> str:
    """A series as Prometheus writes it: name{label="value",...}."""
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


def listed(entries: list[str], none: str) -> str:
    """Series (or other findings) as a failure message shows them: the first few."""
    if not entries:
        return none
    more = f" and {len(entries) - SHOWN} more" if len(entries) > SHOWN else ""
    return preview("; ".join(entries[:SHOWN]) + more)


def growth(before: Metrics, after: Metrics, name: str) -> str:
    """What grew of sample `name`, for a failure message."""
    found = [f"{series(name, labels)} +{delta:g}" for labels, delta in grown(before, after, name)]
    return listed(found, f"no series of {name} grew")


def matching(found: list[tuple[dict[str, str], float]], **wanted: Callable[[str], bool]) -> float:
    """How much the series whose labels satisfy every test of `wanted` grew, together."""
    return sum(
        delta for labels, delta in found if all(key in labels and test(labels[key]) for key, test in wanted.items())
    )


def equals(expected: str) -> Callable[[str], bool]:
    return lambda value: value == expected


def method_is(method: str) -> Callable[[str], bool]:
    """An HTTP method label: the method as sent (any letter case)."""
    return lambda value: value.upper() == method


def rpc_is(method: str) -> Callable[[str], bool]:
    """A grpc_method label: the method's name, or its full name /users.v1.UserService/GetUser."""
    return lambda value: value == method or value.endswith(f"/{method}")


def code_is(code: grpc.StatusCode) -> Callable[[str], bool]:
    """A grpc_code label: the status name as in the gRPC spec (NOT_FOUND), as Go spells it (NotFound), or its number."""
    number, name = code.value[0], code.name.replace("_", "").lower()
    return lambda value: value.replace("_", "").lower() == name or value == str(number)


def new_series(before: Metrics, after: Metrics) -> Counter[str]:
    """How many series (label sets, buckets apart) each sample name has in `after` that it had not in `before`."""

    def keys(metrics: Metrics) -> set[Key]:
        return {
            (name, tuple(pair for pair in labels if pair[0] not in BUCKET_LABELS)) for name, labels in metrics.samples
        }

    return Counter(name for name, _ in keys(after) - keys(before))


def family_of(name: str) -> str:
    """A sample's name without the suffix a histogram or summary adds (its _count, _sum, _bucket, _created)."""
    for suffix in ("_bucket", "_count", "_sum", "_created"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def holding(metrics: Metrics, words: list[str]) -> list[str]:
    """The series one of whose label values holds one of `words` (a path or method the grader made up)."""
    lowered = [word.lower() for word in words]
    found = set()
    for name, labels in metrics.samples:
        kept = {key: value for key, value in labels if key not in BUCKET_LABELS}
        if any(word in value.lower() for value in kept.values() for word in lowered):
            found.add(series(family_of(name), kept))
    return sorted(found)


# --- the judges: what a check waits to see on the second scrape -----------------------------------


def http_judge(before: Metrics, users: list[str], missing: str) -> Judge:
    """METRICS-HTTP: the GETs of `users` (200) in one series of a route holding "users", the GET of `missing`
    (404) in that route's 404 series, the registrations (201) in one POST series; no series per id."""

    def judge(after: Metrics) -> Verdict | None:
        families = after.histograms(HTTP_LABELS)
        if not families:
            others = [f"{family} ({after.types[family]})" for family in sorted(after.types) if "http" in family]
            return (
                "no histogram in seconds (…_seconds) whose series are labelled method, route and status",
                "families about HTTP: " + listed(others, "none"),
            )
        per_id = holding(after, [f"/users/{user}" for user in [*users, missing]])
        if per_id:
            return (
                "the route label holds the requested path, so each user id makes series of its own (unbounded "
                "cardinality): label the route's pattern, such as /users/{id}",
                listed(per_id, ""),
            )
        verdicts = [http_family(before, after, family, len(users)) for family in families]
        return None if None in verdicts else verdicts[0]

    return judge


def http_family(before: Metrics, after: Metrics, family: str, count: int) -> Verdict | None:
    """One histogram's counts, judged for METRICS-HTTP (see http_judge)."""
    found = grown(before, after, f"{family}_count")
    shown = growth(before, after, f"{family}_count")
    of_users = {"route": lambda route: "users" in route.lower()}
    routes = {
        labels["route"]
        for labels, delta in found
        if delta >= count and matching([(labels, delta)], method=method_is("GET"), status=equals("200"), **of_users)
    }
    if not routes:
        return (
            f"the {count} GET /users/{{id}} answered 200 should add {count} to one series of {family}_count "
            'labelled method="GET", status="200" and the route (a pattern that holds "users")',
            shown,
        )
    if not any(matching(found, method=method_is("GET"), route=equals(route), status=equals("404")) for route in routes):
        return ('the GET of an unknown id should count in the series of its route with status="404"', shown)
    if matching(found, method=method_is("POST"), status=equals("201"), **of_users) < count:
        return (
            f'the {count} POST /users answered 201 should add {count} to a series method="POST", status="201"',
            shown,
        )
    return None


def grpc_judge(before: Metrics) -> Judge:
    """METRICS-GRPC: an OK and a NOT_FOUND GetUser counted by grpc_method and grpc_code, and both timed."""

    def judge(after: Metrics) -> Verdict | None:
        counters = sorted(
            {
                name
                for name, labels in after.samples
                if name.endswith(("_total", "_count")) and set(GRPC_LABELS) <= dict(labels).keys()
            }
        )
        if not counters:
            near = sorted(
                {series(name, dict(labels)) for name, labels in after.samples if "grpc_method" in dict(labels)}
            )
            return (
                "no counter whose series are labelled grpc_method and grpc_code",
                "series labelled grpc_method: " + listed(near, "none"),
            )
        both = (code_is(grpc.StatusCode.OK), code_is(grpc.StatusCode.NOT_FOUND))
        if not any(
            all(matching(grown(before, after, name), grpc_method=rpc_is("GetUser"), grpc_code=code) for code in both)
            for name in counters
        ):
            return (
                "a GetUser that succeeded and one that ended NOT_FOUND should each count, labelled "
                "grpc_method GetUser and grpc_code OK and NOT_FOUND",
                growth(before, after, counters[0]),
            )
        return grpc_latency(before, after)

    return judge


def grpc_latency(before: Metrics, after: Metrics) -> Verdict | None:
    """Both GetUser calls observed by a histogram in seconds labelled grpc_method (METRICS-GRPC)."""
    families = after.histograms(("grpc_method",))
    if not families:
        return ("no histogram in seconds (…_seconds) whose series are labelled grpc_method", "no such histogram")
    if any(matching(grown(before, after, f"{f}_count"), grpc_method=rpc_is("GetUser")) >= 2 for f in families):
        return None
    return (
        "the 2 GetUser calls should add 2 to the histogram's grpc_method=GetUser count",
        growth(before, after, f"{families[0]}_count"),
    )


def counted_judge(before: Metrics, suffix: str, wanted: dict[str, float]) -> Judge:
    """The counters named …_`suffix` grew: by `wanted[""]` in all, or by `wanted[v]` in the series direction=v."""

    def judge(after: Metrics) -> Verdict | None:
        keys = after.named(suffix)
        if not keys:
            return (f"no counter named …_{suffix}", "no such sample")
        found = [pair for name in sorted({key[0] for key in keys}) for pair in grown(before, after, name)]
        for direction, least in wanted.items():
            test = {"direction": equals(direction)} if direction else {}
            if matching(found, **test) < least:
                which = f' in its series direction="{direction}"' if direction else ""
                return (f"…_{suffix} should grow by {least:g}{which}", growth(before, after, keys[0][0]))
        return None

    return judge


def gauge_judge(base: Metrics, suffix: str, change: int) -> Judge:
    """The gauges named …_`suffix` moved by `change` or more (up, or down for a negative change) since `base`."""

    def judge(after: Metrics) -> Verdict | None:
        keys = after.named(suffix)
        if not keys:
            return (f"no gauge named …_{suffix}", "no such sample")
        moved = total(after, keys) - total(base, base.named(suffix))
        if (moved >= change) if change > 0 else (moved <= change):
            return None
        return (
            f"…_{suffix} should move by {change:+d}",
            f"{keys[0][0]} moved by {moved:+g} (now {total(after, keys):g})",
        )

    return judge


# --- trace ids -----------------------------------------------------------------------------------


def new_trace() -> tuple[str, str]:
    """A trace id of our own and the W3C traceparent that carries it (version 00, sampled)."""
    trace = uuid.uuid4().hex
    return trace, f"00-{trace}-{uuid.uuid4().hex[:16]}-01"


def expect_echoed(value: str | bytes | None, trace: str, shown: Exchange, where: str) -> None:
    """The answer's traceparent carries our trace id (and a span id of the server's: any, but not zeros)."""
    text = value.decode(errors="replace") if isinstance(value, bytes) else value
    expect(text is not None, f"the answer should carry a traceparent {where} with the request's trace id", shown)
    assert text is not None
    found = TRACEPARENT.fullmatch(text.strip())
    expect(found, f"the answer's traceparent should be 00-<32 hex>-<16 hex>-<2 hex>, not {text!r}", shown)
    assert found is not None
    expect(found[1] == trace, f"the answer's traceparent should keep the request's trace id {trace}", shown)
    expect(found[2] != "0" * 16, "the answer's span id (the traceparent's third part) should not be all zeros", shown)


def traced(ctx: Context, register: Callable[[str], tuple[str, str | bytes | None, str]], where: str) -> None:
    """Register a user with a traceparent of our own (`register` sends it and returns the id, the answer's
    traceparent and a description of the answer); both the answer and the user's notification keep the trace id."""
    trace, parent = new_trace()
    user, echoed, answer = register(parent)
    sent = f"registered user {user}, sending traceparent {parent}"
    expect_echoed(echoed, trace, Exchange(sent, answer), where)
    item = notify.of_user(notify.wait_notified(ctx, [user], sent), user)[0]
    shown = Exchange(f"{sent}; then GET /notifications", preview(json.dumps(item, ensure_ascii=False)))
    found = item.get("trace_id")
    expect(found == trace, f"the notification's trace_id should be the registration's trace id, not {found!r}", shown)


def rest_registration(ctx: Context, parent: str) -> tuple[str, str | None, str]:
    """POST /users with a traceparent header; the id, the answer's traceparent header, the answer."""
    user, reply = notify.registration(ctx, "Trace", headers={"traceparent": parent})
    echoed = reply.headers.get("traceparent")
    return user, echoed, f"{reply.status}; traceparent: {echoed or '(no such header)'}"


def grpc_registration(ctx: Context, parent: str) -> tuple[str, str | bytes | None, str]:
    """CreateUser with traceparent metadata; the id, the answer's traceparent metadata, the answer."""
    user, reply = notify.registration_over_grpc(ctx, "Trace", (("traceparent", parent),))
    echoed = reply.header("traceparent")
    return user, echoed, f"OK; traceparent: {echoed!r}" if echoed is not None else "OK; no traceparent metadata"


def odd_method() -> str:
    """A method no server knows: ten capital letters (a valid HTTP token, so it reaches the server)."""
    return "".join(random.choices(string.ascii_uppercase, k=10))


# --- core ----------------------------------------------------------------------------------------


@requirement(
    "METRICS-ENDPOINT",
    protocol="rest",
    core=True,
    weight=2,
    feature=FEATURE,
    title="GET /metrics on the users service's HTTP port answers 200 in Prometheus' text format, without a token",
    hint="serve GET /metrics, public, with your Prometheus client's exposition (Content-Type: text/plain); "
    "the notifier serves one too (METRICS-PROCESS, METRICS-NOTIFIER)",
)
def endpoint(ctx: Context) -> None:
    scrape(ctx, "users")


@requirement(
    "METRICS-PROCESS",
    protocol="rest",
    core=True,
    weight=1,
    feature=FEATURE,
    uses=["notifier"],
    title="Both services' /metrics have process_cpu_seconds_total and process_resident_memory_bytes",
    hint="register your Prometheus client's process collector (Go, Python and Java clients name them so)",
    depends_on=["METRICS-ENDPOINT"],
)
def process(ctx: Context) -> None:
    for side in SIDES:
        metrics = scrape(ctx, side)
        present = sorted({name for name, _ in metrics.samples if name.startswith("process_")})
        shown = Exchange(f"GET /metrics of {metrics.where}", "process metrics: " + listed(present, "none"))
        for name in PROCESS_METRICS:
            expect(name in present, f"/metrics of {metrics.where} should have {name}", shown)
        memory = total(metrics, [key for key in metrics.samples if key[0] == "process_resident_memory_bytes"])
        expect(memory > 0, f"process_resident_memory_bytes of {metrics.where} should be above 0, not {memory:g}", shown)


@requirement(
    "METRICS-HTTP",
    protocol="rest",
    core=True,
    weight=3,
    feature=FEATURE,
    title="An HTTP histogram in seconds labelled method, route and status counts the grader's requests, "
    "one series per route (not per id)",
    hint='observe each request in a histogram labelled method, route (the pattern, /users/{id}) and status ("404")',
    depends_on=["METRICS-ENDPOINT"],
)
def http_requests(ctx: Context) -> None:
    before = scrape(ctx, "users")
    users = [str(rest_helpers.create(ctx, f"Metric {i}")["id"]) for i in range(USERS)]
    for user in users:
        rest_helpers.get(ctx, user)
    missing = unknown_id_like(users[0])
    reply = ctx.rest.get(rest_helpers.user_path(missing))
    rest_helpers.expect_status(reply, 404, why=f"for GET /users/{missing}, an id nobody has")
    sent = f"POST /users registered users {notify.named(users)}, GET /users/{{id}} read each, GET /users/{missing}"
    until(ctx, "users", http_judge(before, users, missing), sent)


@requirement(
    "METRICS-GRPC",
    protocol="grpc",
    core=True,
    weight=2,
    feature=FEATURE,
    uses=["rest"],
    title="gRPC calls are counted by grpc_method and grpc_code, and timed by a histogram labelled grpc_method",
    hint="add a server interceptor (go-grpc-prometheus' names: grpc_server_handled_total, "
    "grpc_server_handling_seconds) that counts every call, the failed ones too",
    depends_on=["METRICS-ENDPOINT"],
)
def grpc_calls(ctx: Context) -> None:
    before = scrape(ctx, "users")
    user = grpc_helpers.create(ctx, f"Metric {ctx.token()}").id
    grpc_helpers.get(ctx, user)
    missing = unknown_id_like(user)
    reply = ctx.grpc.call("GetUser", ctx.grpc.pb.GetUserRequest(id=missing))
    expect(reply.code == grpc.StatusCode.NOT_FOUND, "GetUser of an unknown id should end NOT_FOUND", reply.exchange)
    sent = f"CreateUser created user {user}, GetUser read it (OK), GetUser of {missing} (NOT_FOUND)"
    until(ctx, "users", grpc_judge(before), sent)


@requirement(
    "METRICS-NOTIFIER",
    protocol="rest",
    core=True,
    weight=2,
    feature=FEATURE,
    uses=["notifier"],
    title="The notifier's /metrics counts the events it consumed (…_events_consumed_total), and has "
    "…_events_failed_total and …_events_retried_total",
    hint="count each event handled in a counter ending _events_consumed_total; failed and retried attempts "
    "in _events_failed_total and _events_retried_total (exported at 0 from the start)",
    depends_on=["METRICS-ENDPOINT", "NOTIFY-REGISTERED"],
    time_limit=notify.TIME_LIMIT,
)
def notifier_counts(ctx: Context) -> None:
    before = scrape(ctx, "notifier")
    users = [notify.register(ctx, f"Metric {i}") for i in range(USERS)]
    sent = f"POST /users registered users {notify.named(users)}, and each was notified"
    notify.wait_notified(ctx, users, sent)
    after = until(ctx, "notifier", counted_judge(before, "events_consumed_total", {"": USERS}), sent)
    counters = sorted({name for name, _ in after.samples if name.endswith("_total") and "events" in name})
    shown = Exchange(f"GET /metrics of {after.where}", "counters of events: " + listed(counters, "none"))
    for suffix in ("events_failed_total", "events_retried_total"):
        expect(after.named(suffix), f"the notifier's /metrics should have a counter named …_{suffix}", shown)


# --- extras --------------------------------------------------------------------------------------


@requirement(
    "TRACE-ID",
    protocol="rest",
    core=False,
    weight=2,
    feature=FEATURE,
    uses=["notifier"],
    title="POST /users with a traceparent answers a traceparent of the same trace id, and the user's "
    "notification carries it as trace_id",
    hint="keep the trace id of the request's W3C traceparent (or make one), answer it, put it in the event, "
    'and record it with the notification as "trace_id"',
    depends_on=["NOTIFY-REGISTERED"],
    time_limit=notify.TIME_LIMIT,
)
def trace_over_rest(ctx: Context) -> None:
    traced(ctx, lambda parent: rest_registration(ctx, parent), "header")


@requirement(
    "TRACE-GRPC",
    protocol="grpc",
    core=False,
    weight=1,
    feature=FEATURE,
    uses=["notifier"],
    title="CreateUser with traceparent metadata answers a traceparent of the same trace id, and the "
    "notification carries it",
    hint="read traceparent from the call's metadata as the REST edge reads the header, and send it back "
    "in the answer's initial metadata",
    depends_on=["TRACE-ID", "NOTIFY-GRPC"],
    time_limit=notify.TIME_LIMIT,
)
def trace_over_grpc(ctx: Context) -> None:
    traced(ctx, lambda parent: grpc_registration(ctx, parent), "in its metadata")


@requirement(
    "METRICS-CARDINALITY",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title=f"{ODD_REQUESTS} requests to unknown paths, half with made-up methods, add no series of their own",
    hint='label a request no route matches with one route ("unmatched"), and a method you do not serve with one '
    "value, or refuse it before it is counted",
    depends_on=["METRICS-HTTP"],
)
def cardinality(ctx: Context) -> None:
    before = scrape(ctx, "users")
    words = [uuid.uuid4().hex[:12] for _ in range(ODD_REQUESTS)]
    methods = [odd_method() for _ in range(ODD_REQUESTS // 2)]
    client = RestClient(ctx.rest.base_url, ctx.timeout)
    try:
        for i, word in enumerate(words):
            with contextlib.suppress(CheckFailed):  # any answer, even a closed connection: the metrics are judged
                client.request("GET" if i % 2 == 0 else methods[i // 2], f"/grader-{word}/{word}")
    finally:
        client.close()
    after = scrape(ctx, "users")
    sent = (
        f"{ODD_REQUESTS} requests to unknown paths such as /grader-{words[0]}/{words[0]}, every other one with a "
        f"made-up method such as {methods[0]}; then GET /metrics"
    )
    leaked = holding(after, words + methods)
    expect(
        not leaked,
        "a label holds the requested path or method: every unknown path or method makes series of its own",
        Exchange(sent, listed(leaked, "")),
    )
    grew = [f"{name}: {count} new series" for name, count in new_series(before, after).most_common() if count]
    expect(
        all(count < NEW_SERIES_LIMIT for count in new_series(before, after).values()),
        f"those requests should add a few series to a metric, not {NEW_SERIES_LIMIT} or more",
        Exchange(sent, listed(grew, "")),
    )


@requirement(
    "METRICS-WEBSOCKET",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title="A gauge …_websocket_connections follows the open connections; …_websocket_messages_total counts "
    'a message in (direction="in") and its delivery (direction="out")',
    hint="add 1 to the gauge when a WebSocket opens and take it away when it closes, whatever the reason; "
    "count each message received and each one sent to a member",
    depends_on=["METRICS-ENDPOINT", "WS-TEXT"],
)
def websocket_counts(ctx: Context) -> None:
    ada, bob = ws.chatter(ctx, "Ada"), ws.chatter(ctx, "Bob")
    room, text = ws.new_room(ctx), f"counted {ctx.token()}"
    before = scrape(ctx, "users")
    with ws.join(ctx, ada, room) as sender, ws.join(ctx, bob, room) as other:
        sent = f"{ada.name} and {bob.name} connected to room {room!r}"
        opened = until(ctx, "users", gauge_judge(before, "websocket_connections", 2), sent)
        sent += f"; {ada.name} sent {text!r} and {bob.name} received it"
        ws.send(sender, text, ctx, sent)
        ws.next_relayed(other, ctx, room, sent, f"{bob.name} should receive the message")
        until(ctx, "users", counted_judge(before, "websocket_messages_total", {"in": 1, "out": 1}), sent)
    until(ctx, "users", gauge_judge(opened, "websocket_connections", -2), f"{sent}; then both closed")

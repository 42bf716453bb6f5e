"""Lab 6's metrics and trace ids are graded: each METRICS and TRACE requirement catches the bug it is about
and nothing else, every wait is bounded, and the requirements belong to the labs from 6 on.

The broken variants are TinyLab6: a users service (Flask, with a WebSocket on its HTTP port, and a
gRPC server on lab 2's generated code, which test_grader.py loads in this process too) and a
notifier (Flask), with an in-process queue where a broker would be, written apart from the
reference lab. It names its metrics its own way (http_server_request_duration_seconds,
tiny_events_consumed_total, gRPC codes spelled as Go spells them), as a student's service in
another language might, and passes; each flag of `Flaws` breaks one thing. It has no lab 3 tokens
(it accepts any), so only the monitoring requirements are graded, without their dependencies on
other features' requirements (those are graded by their own tests).
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace

import grpc
import pytest
import requests
from flask import Flask, Response, g, jsonify, request
from flask_sock import Sock
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Summary,
    generate_latest,
)
from prometheus_client.process_collector import ProcessCollector
from werkzeug.serving import WSGIRequestHandler, make_server

from common import harness
from common.grader.addresses import Addresses
from common.grader.checks import monitoring
from common.grader.checks import notifications as notify
from common.grader.labs import LABS, Lab, resolve
from common.grader.registry import RegistryError, Requirement, builtin, requirement
from common.grader.results import RunResult
from common.grader.runner import Options, grade
from lab2_grpc.users.v1 import users_pb2, users_pb2_grpc

LAB = "lab6_monitoring"
TIMEOUT = 0.5  # seconds per request here, so that a wait shows at once
DELIVERY_TIMEOUTS = 2  # a notification is waited for two request timeouts here (the grader waits four)
TINY = Lab(LAB, ("rest", "grpc"), stubs_package="lab2_grpc", features=("notifications", "monitoring"))
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@pytest.fixture(autouse=True)
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variants whose notification never comes wait one second, not twenty."""
    monkeypatch.setattr(notify, "DELIVERY_TIMEOUTS", DELIVERY_TIMEOUTS)


def monitoring_requirements(lab: Lab = TINY) -> list[Requirement]:
    return [req for req in builtin(lab.protocols, lab.features) if req.feature == "monitoring"]


def on_their_own(requirements: list[Requirement]) -> list[Requirement]:
    """The requirements without their dependencies on other features' (NOTIFY-REGISTERED, WS-TEXT)."""
    ids = {req.id for req in requirements}
    return [replace(req, depends_on=tuple(dep for dep in req.depends_on if dep in ids)) for req in requirements]


def describe(run: RunResult) -> str:
    return "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)


# --- which labs, which addresses ------------------------------------------------------------------


def test_labs_from_6_on_are_graded_on_their_metrics():
    watched = {req.id for req in monitoring_requirements(resolve(LAB))}
    assert len(watched) == 9
    for lab in LABS:
        graded = {req.id for req in builtin(lab.protocols, lab.features)}
        assert (watched <= graded) == (int(lab.number[3:]) >= 6), lab.name
        assert not (watched & graded) or int(lab.number[3:]) >= 6, lab.name


def test_list_shows_the_monitoring_requirements_of_lab6():
    result = subprocess.run(
        [sys.executable, "-m", "common.grader", "list", "lab6"], cwd=harness.ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for known in ("METRICS-HTTP", "TRACE-ID", "NOTIFY-REGISTERED", "WS-TEXT", "REST-CREATE", "GRPC-CREATE"):
        assert known in result.stdout


def test_a_check_is_not_graded_when_an_address_it_reads_is_silent():
    sides = {req.id: req.sides for req in monitoring_requirements(resolve(LAB))}
    assert sides["METRICS-ENDPOINT"] == sides["METRICS-HTTP"] == ("rest",)
    assert sides["METRICS-PROCESS"] == sides["METRICS-NOTIFIER"] == ("rest", "notifier")
    assert sides["METRICS-GRPC"] == ("grpc", "rest")
    assert sides["TRACE-GRPC"] == ("grpc", "notifier")


def test_a_requirement_may_not_use_a_side_nobody_has():
    from common.grader.registry import collecting

    with pytest.raises(RegistryError, match="uses must name sides"), collecting():
        requirement("X-Y", protocol="rest", core=True, weight=1, title="t", hint="h", uses=["kafka"])(lambda ctx: None)


@pytest.mark.parametrize("spelled", ["NOT_FOUND", "NotFound", "not_found", "5"])
def test_a_grpc_code_label_may_be_spelled_as_any_library_spells_it(spelled):
    assert monitoring.code_is(grpc.StatusCode.NOT_FOUND)(spelled)
    assert not monitoring.code_is(grpc.StatusCode.OK)(spelled)


def test_a_grpc_method_label_may_be_the_full_name():
    assert monitoring.rpc_is("GetUser")("/users.v1.UserService/GetUser")
    assert not monitoring.rpc_is("GetUser")("GetUsers")


# --- TinyLab6 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flaws:
    """The broken variants: each flag breaks one thing, as a student's metrics or tracing might."""

    metrics_status: int = 200  # the users service's /metrics answers this (401: behind the token)
    metrics_json: bool = False  # the users service's /metrics answers JSON
    notifier_metrics: bool = True  # False: the notifier has no /metrics
    notifier_process: bool = True  # False: the notifier exports no process metrics
    route: str = "pattern"  # "path": the route label is the requested path (a series per id)
    route_label: str = "route"  # the HTTP histogram's label for the route ("path": not the contract's)
    status_class: bool = False  # status labelled "2xx" / "4xx" instead of the code
    summary: bool = False  # request durations in a summary, not a histogram
    unmatched_path: bool = False  # a path no route matches is labelled as requested, not "unmatched"
    raw_method: bool = False  # a method the service does not know is labelled as sent
    grpc_code_label: bool = True  # False: gRPC calls counted by method only
    grpc_failures: bool = True  # False: only the calls that succeed are counted
    consumed_counted: bool = True  # False: the notifier never counts what it consumed
    retried_counter: bool = True  # False: no counter of retried attempts
    echo_trace: bool = True  # False: a REST answer carries no traceparent
    trace_in_event: bool = True  # False: the notifier records a trace id of its own
    grpc_echo_trace: bool = True  # False: a gRPC answer carries no traceparent
    gauge_falls: bool = True  # False: the WebSocket gauge never goes down
    count_out: bool = True  # False: deliveries to the members are not counted


def trace_of(traceparent: str | None) -> str:
    """The trace id of a W3C traceparent, or a new one when there is none (or it is malformed)."""
    found = monitoring.TRACEPARENT.fullmatch(traceparent or "")
    return found[1] if found else uuid.uuid4().hex


def traceparent(trace: str) -> str:
    return f"00-{trace}-{uuid.uuid4().hex[:16]}-01"


class UsersMetrics:
    """The users service's metrics, named its own way (only the contract's labels are the contract's)."""

    def __init__(self, flaws: Flaws) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        timed = Summary if flaws.summary else Histogram
        self.http = timed(
            "http_server_request_duration_seconds", "HTTP", ["method", flaws.route_label, "status"], registry=registry
        )
        grpc_labels = ["grpc_type", "grpc_service", "grpc_method"] + (["grpc_code"] if flaws.grpc_code_label else [])
        self.handled = Counter("grpc_server_handled_total", "calls", grpc_labels, registry=registry)
        self.handling = Histogram("grpc_server_handling_seconds", "time", grpc_labels[:3], registry=registry)
        self.connections = Gauge("tiny_websocket_connections", "open", registry=registry)
        self.messages = Counter("tiny_websocket_messages_total", "messages", ["direction"], registry=registry)


class NotifierMetrics:
    def __init__(self, flaws: Flaws) -> None:
        self.registry = registry = CollectorRegistry()
        if flaws.notifier_process:
            ProcessCollector(registry=registry)
        self.consumed = Counter("tiny_events_consumed_total", "handled", ["outcome"], registry=registry)
        self.consumed.labels("notified")  # exported at 0 from the start, as the contract asks
        self.failed = Counter("tiny_events_failed_total", "raised", registry=registry)
        if flaws.retried_counter:
            self.retried = Counter("tiny_events_retried_total", "again", registry=registry)


@dataclass
class TinyLab6:
    """Users in a dict, events in a queue, one consumer thread, and metrics in a registry per service."""

    flaws: Flaws
    users: dict[str, dict] = field(default_factory=dict)
    notifications: list[dict] = field(default_factory=list)
    events: queue.Queue = field(default_factory=queue.Queue)
    rooms: dict[str, list] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.metrics = UsersMetrics(self.flaws)
        self.notifier_metrics = NotifierMetrics(self.flaws)

    def register(self, name: str, email: str, trace: str) -> dict:
        user = {"id": str(next(self.numbers)), "name": name, "email": email}
        with self.lock:
            self.users[user["id"]] = user
        self.events.put((uuid.uuid4().hex, user, trace))
        return user

    def consume(self) -> None:
        for event_id, user, trace in iter(self.events.get, None):
            with self.lock:
                self.notifications.append(
                    {
                        "event_id": event_id,
                        "user_id": user["id"],
                        "message": f"Welcome, {user['name']}!",
                        "channels": ["record"],
                        "notified_at": "2026-01-31T12:00:00Z",
                        "trace_id": trace if self.flaws.trace_in_event else uuid.uuid4().hex,
                    }
                )
            if self.flaws.consumed_counted:
                self.notifier_metrics.consumed.labels("notified").inc()

    def observe(self, seconds: float, response: Response) -> None:
        """The HTTP histogram's observation of the request being answered."""
        flaws, rule = self.flaws, request.url_rule
        route = rule.rule if rule is not None else ("unmatched" if not flaws.unmatched_path else request.path)
        route = request.path if flaws.route == "path" else route
        method = request.method if request.method in KNOWN_METHODS or flaws.raw_method else "other"
        status = f"{response.status_code // 100}xx" if flaws.status_class else str(response.status_code)
        self.metrics.http.labels(method, route, status).observe(seconds)

    def rpc(self, method: str, context: grpc.ServicerContext, work: Callable[[str], object]) -> object:
        """One gRPC call, timed and counted by its method and code (Go's spelling), its trace id answered."""
        started = time.monotonic()
        trace = trace_of(dict(context.invocation_metadata()).get("traceparent"))
        if self.flaws.grpc_echo_trace:
            context.send_initial_metadata((("traceparent", traceparent(trace)),))
        try:
            answer, code = work(trace), "OK"
        except KeyError:
            answer, code = None, "NotFound"
        labels = ["unary", "users.v1.UserService", method] + ([code] if self.flaws.grpc_code_label else [])
        if code == "OK" or self.flaws.grpc_failures:
            self.metrics.handled.labels(*labels).inc()
            self.metrics.handling.labels(*labels[:3]).observe(time.monotonic() - started)
        if answer is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        return answer

    def chat(self, socket, room: str) -> None:
        """A member of `room` until it leaves: each text it sends goes to the others."""
        self.metrics.connections.inc()
        with self.lock:
            self.rooms.setdefault(room, []).append(socket)
        try:
            while True:
                text = socket.receive()
                self.metrics.messages.labels("in").inc()
                with self.lock:
                    others = [other for other in self.rooms[room] if other is not socket]
                for other in others:
                    other.send(json.dumps({"type": "message", "room": room, "text": text}))
                    if self.flaws.count_out:
                        self.metrics.messages.labels("out").inc()
        except Exception:  # the client closed
            pass
        finally:
            with self.lock:
                self.rooms[room].remove(socket)
            if self.flaws.gauge_falls:
                self.metrics.connections.dec()


def exposition(registry: CollectorRegistry) -> Response:
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def users_app(lab: TinyLab6) -> Flask:
    app = Flask("tiny_users")
    sock = Sock(app)

    @app.before_request
    def started() -> None:
        g.started = time.monotonic()

    @app.after_request
    def observed(response: Response) -> Response:
        lab.observe(time.monotonic() - g.started, response)
        if lab.flaws.echo_trace:
            response.headers["traceparent"] = traceparent(g.get("trace") or uuid.uuid4().hex)
        return response

    @app.post("/users")
    def create() -> tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        g.trace = trace_of(request.headers.get("traceparent"))
        return jsonify(lab.register(body["name"], body["email"], g.trace)), 201

    @app.get("/users/<user_id>")
    def read(user_id: str) -> tuple[Response, int]:
        user = lab.users.get(user_id)
        return (jsonify(user), 200) if user else (jsonify(error="no such user"), 404)

    @app.post("/auth/login")
    def login() -> Response:
        return jsonify(access_token="any.token.works", token_type="Bearer", expires_in=900)

    @app.get("/metrics")
    def metrics() -> Response | tuple[Response, int]:
        if lab.flaws.metrics_json:
            return jsonify(requests=1)
        return exposition(lab.metrics.registry), lab.flaws.metrics_status

    @sock.route("/ws")
    def chat(socket) -> None:
        lab.chat(socket, request.args.get("room", "lobby"))

    return app


def notifier_app(lab: TinyLab6) -> Flask:
    app = Flask("tiny_notifier")

    @app.get("/notifications")
    def notifications() -> Response:
        wanted = request.args.get("user_id")
        with lab.lock:
            found = [item for item in lab.notifications if wanted is None or item["user_id"] == wanted]
        return jsonify(found)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", broker="in-process")

    @app.get("/metrics")
    def metrics() -> Response | tuple[str, int]:
        return exposition(lab.notifier_metrics.registry) if lab.flaws.notifier_metrics else ("no such page", 404)

    return app


class TinyUsers(users_pb2_grpc.UserServiceServicer):
    """TinyLab6's gRPC side: CreateUser and GetUser, on lab 2's messages."""

    def __init__(self, lab: TinyLab6) -> None:
        self.lab = lab

    def CreateUser(self, request, context):  # the .proto's name
        def create(trace: str) -> users_pb2.User:
            user = self.lab.register(request.name, request.email, trace)
            return users_pb2.User(id=user["id"], name=user["name"], email=user["email"])

        return self.lab.rpc("CreateUser", context, create)

    def GetUser(self, request, context):  # the .proto's name
        def read(trace: str) -> users_pb2.User:
            user = self.lab.users[request.id]
            return users_pb2.User(id=user["id"], name=user["name"], email=user["email"])

        return self.lab.rpc("GetUser", context, read)


class Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: object) -> None:
        pass


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """A Flask app on a free port of 127.0.0.1, one thread per request; yields its base URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving_grpc(lab: TinyLab6) -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(8))
    users_pb2_grpc.add_UserServiceServicer_to_server(TinyUsers(lab), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(0)


@contextmanager
def tiny_lab6(flaws: Flaws = Flaws()) -> Iterator[tuple[TinyLab6, Addresses]]:
    """TinyLab6 with these flaws: its users service (HTTP and gRPC) and its notifier, each on a port of its own."""
    lab = TinyLab6(flaws)
    threading.Thread(target=lab.consume, daemon=True).start()
    with ExitStack() as stack:
        users = stack.enter_context(serving(users_app(lab)))
        target = stack.enter_context(serving_grpc(lab))
        notifier = stack.enter_context(serving(notifier_app(lab)))
        try:
            yield lab, Addresses(users, target, notifier)
        finally:
            lab.events.put(None)


def grade_tiny(flaws: Flaws = Flaws(), only: set[str] | None = None) -> RunResult:
    """The monitoring requirements (or `only` these) against TinyLab6 with `flaws`."""
    chosen = on_their_own([req for req in monitoring_requirements() if only is None or req.id in only])
    with tiny_lab6(flaws) as (_, found):
        return grade(TINY, found, chosen, Options(timeout=TIMEOUT))


# --- TinyLab6 keeps the contract, and each flaw fails what it breaks -------------------------------

EVERY = {req.id for req in monitoring_requirements()}
AFTER_ENDPOINT = {"METRICS-PROCESS", "METRICS-HTTP", "METRICS-GRPC", "METRICS-NOTIFIER", "METRICS-WEBSOCKET"}


def test_tiny_lab6_keeps_the_contract_and_passes_every_monitoring_requirement():
    run = grade_tiny()
    assert run.by_status("pass") == EVERY, describe(run)
    assert run.duration < 10, "a service that counts at once is graded without waiting"


VARIANTS = {
    "metrics-behind-the-token": (
        Flaws(metrics_status=401),
        "METRICS-ENDPOINT",
        "should answer 200 to a request without a token, got 401",
        AFTER_ENDPOINT | {"METRICS-CARDINALITY"},
    ),
    "metrics-as-json": (
        Flaws(metrics_json=True),
        "METRICS-ENDPOINT",
        "should be Prometheus' text format, Content-Type: text/plain, not application/json",
        AFTER_ENDPOINT | {"METRICS-CARDINALITY"},
    ),
    # Both requirements about the notifier's metrics read its /metrics: a notifier without one loses both.
    "notifier-without-metrics": (
        Flaws(notifier_metrics=False),
        {"METRICS-PROCESS", "METRICS-NOTIFIER"},
        "GET /metrics of the notifier should answer 200",
        set(),
    ),
    "notifier-without-process-metrics": (
        Flaws(notifier_process=False),
        "METRICS-PROCESS",
        "/metrics of the notifier should have process_cpu_seconds_total",
        set(),
    ),
    "a-series-per-user-id": (
        Flaws(route="path"),
        "METRICS-HTTP",
        "the route label holds the requested path",
        {"METRICS-CARDINALITY"},
    ),
    "route-label-named-path": (
        Flaws(route_label="path"),
        "METRICS-HTTP",
        "labelled method, route and status",
        {"METRICS-CARDINALITY"},
    ),
    "status-as-a-class": (Flaws(status_class=True), "METRICS-HTTP", 'status="200"', {"METRICS-CARDINALITY"}),
    "durations-in-a-summary": (
        Flaws(summary=True),
        "METRICS-HTTP",
        "no histogram in seconds",
        {"METRICS-CARDINALITY"},
    ),
    "unmatched-paths-as-requested": (
        Flaws(unmatched_path=True),
        "METRICS-CARDINALITY",
        "a label holds the requested path or method",
        set(),
    ),
    "methods-as-sent": (Flaws(raw_method=True), "METRICS-CARDINALITY", "a label holds the requested path", set()),
    "grpc-without-code": (
        Flaws(grpc_code_label=False),
        "METRICS-GRPC",
        "no counter whose series are labelled grpc_method and grpc_code",
        set(),
    ),
    "grpc-failures-not-counted": (
        Flaws(grpc_failures=False),
        "METRICS-GRPC",
        "one that ended NOT_FOUND should each count",
        set(),
    ),
    "consumed-not-counted": (
        Flaws(consumed_counted=False),
        "METRICS-NOTIFIER",
        "…_events_consumed_total should grow by 3",
        set(),
    ),
    "no-retried-counter": (Flaws(retried_counter=False), "METRICS-NOTIFIER", "…_events_retried_total", set()),
    "trace-not-answered": (
        Flaws(echo_trace=False),
        "TRACE-ID",
        "should carry a traceparent header",
        {"TRACE-GRPC"},
    ),
    "trace-lost-on-the-way": (
        Flaws(trace_in_event=False),
        "TRACE-ID",
        "the notification's trace_id should be the registration's trace id",
        {"TRACE-GRPC"},
    ),
    "trace-not-answered-over-grpc": (
        Flaws(grpc_echo_trace=False),
        "TRACE-GRPC",
        "should carry a traceparent in its metadata",
        set(),
    ),
    "gauge-never-falls": (Flaws(gauge_falls=False), "METRICS-WEBSOCKET", "should move by -2", set()),
    "deliveries-not-counted": (
        Flaws(count_out=False),
        "METRICS-WEBSOCKET",
        'should grow by 1 in its series direction="out"',
        set(),
    ),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_broken_service_loses_exactly_what_it_breaks(variant):
    flaws, failed, says, skipped = VARIANTS[variant]
    failed = {failed} if isinstance(failed, str) else failed
    run = grade_tiny(flaws)
    assert run.by_status("fail") == failed, describe(run)
    for result in run.results:
        assert result.id not in failed or says in result.message, describe(run)
    assert run.by_status("skipped") == skipped, describe(run)
    assert run.by_status("error") == set(), describe(run)
    assert run.duration < 15


def test_a_failure_shows_the_series_that_grew():
    run = grade_tiny(Flaws(status_class=True), only={"METRICS-ENDPOINT", "METRICS-HTTP"})
    message = next(r.message for r in run.results if r.id == "METRICS-HTTP")
    _, sent, got, hint = message.splitlines()
    assert sent.startswith("sent: POST /users registered users ") and sent.endswith(
        "then GET /metrics of the users service"
    )
    assert 'http_server_request_duration_seconds_count{method="GET",route="/users/<user_id>",status="2xx"} +3' in got
    assert hint.startswith("hint: observe each request")


def test_other_clients_calling_the_service_meanwhile_never_matter():
    """Counters are compared before and after, never read as values: traffic of others only adds to them."""
    with tiny_lab6() as (_, found):
        stop = threading.Event()

        def others() -> None:
            with requests.Session() as session:
                user = session.post(f"{found.rest_url}/users", json={"name": "Other", "email": "o@example.com"}).json()
                while not stop.is_set():
                    session.get(f"{found.rest_url}/users/{user['id']}")
                    session.get(f"{found.rest_url}/users/{user['id']}-gone")

        worker = threading.Thread(target=others, daemon=True)
        worker.start()
        try:
            run = grade(TINY, found, on_their_own(monitoring_requirements()), Options(timeout=TIMEOUT))
        finally:
            stop.set()
            worker.join(5)
    assert run.by_status("pass") == EVERY, describe(run)


def test_a_silent_notifier_leaves_the_users_services_metrics_graded():
    with tiny_lab6() as (_, found):
        silent = f"http://127.0.0.1:{harness.free_port()}"
        addresses = Addresses(found.rest_url, found.grpc_target, silent)
        run = grade(TINY, addresses, on_their_own(monitoring_requirements()), Options(timeout=TIMEOUT))
    not_graded = {"METRICS-PROCESS", "METRICS-NOTIFIER", "TRACE-ID", "TRACE-GRPC"}
    assert run.by_status("fail") == not_graded and run.by_status("pass") == EVERY - not_graded, describe(run)
    for result in run.results:
        assert result.id not in not_graded or result.message.startswith(f"not graded: nothing answers at {silent}")


def test_a_page_in_the_text_format_is_read_by_sample_and_anything_else_refused():
    samples, types = monitoring.parse('# TYPE a_seconds histogram\na_seconds_count{method="GET"} 2\n')
    assert samples == {("a_seconds_count", (("method", "GET"),)): 2.0} and types == {"a_seconds": "histogram"}
    with pytest.raises(ValueError):
        monitoring.parse("this is { not a metric\n")

"""Lab 5's notifier is graded: each NOTIFY requirement catches the bug it is about, every wait for a
notification is bounded, and the notifier's address is lab 5's only.

The broken variants are TinyLab5: a users service and a notifier on the standard library alone,
written apart from the reference lab, with an in-process queue where a broker would be.
Each flag of `Flaws` breaks one thing, as a student's service might; without a flag it keeps the
contract, in a style of its own (UUID ids, Go-style times), and passes. It has no lab 3 tokens and
no gRPC side, so it is graded as a lab of REST and a notifier (TINY); the requirement about gRPC
runs in a Python of its own (lab 5's generated gRPC code cannot be imported beside lab 2's, which
test_grader.py loads: one proto file name per process), against TinyLab5 with a gRPC side and
against the reference lab, started with RabbitMQ names and a notifier record of its own, deleted
at the end.
"""

from __future__ import annotations

import itertools
import json
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from common import harness
from common.grader.addresses import Addresses
from common.grader.checks import notifications as notify
from common.grader.context import Context
from common.grader.evidence import CheckFailed
from common.grader.labs import LABS, Lab, resolve
from common.grader.registry import Requirement, builtin
from common.grader.rest_client import RestClient
from common.grader.results import RunResult
from common.grader.runner import Options, grade
from common.pytest_plugin import in_ci

LAB = "lab5_broker"
TIMEOUT = 0.5  # seconds per request here, so that a wait shows at once
DELIVERY_TIMEOUTS = 2  # here a notification is waited for two request timeouts (the grader waits four)
WAITED = DELIVERY_TIMEOUTS * TIMEOUT
TINY = Lab(LAB, ("rest",), features=("notifications",))  # TinyLab5 as graded here: no gRPC, no tokens
TINY_GRPC = Lab(LAB, ("rest", "grpc"), stubs_package=LAB, features=("notifications",))
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
RACE_WINDOW = 0.05  # seconds a racy publish takes: registrations sent together overlap in it, one at a time never
REDELIVERY = 0.3  # seconds after an event was handled that it comes back: after the check first sees it


@pytest.fixture(autouse=True)
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variants that are never notified wait one second, not twenty."""
    monkeypatch.setattr(notify, "DELIVERY_TIMEOUTS", DELIVERY_TIMEOUTS)


def notify_requirements(lab: Lab = TINY) -> list[Requirement]:
    return [req for req in builtin(lab.protocols, lab.features) if req.feature == "notifications"]


def describe(run: RunResult) -> str:
    return "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)


# --- which labs, which addresses ------------------------------------------------------------------


def test_labs_from_5_on_are_graded_on_notifications_and_at_a_notifier_address():
    notifying = {req.id for req in notify_requirements(resolve(LAB))}
    assert len(notifying) == 9 and all(req.sides[-1] == "notifier" for req in notify_requirements(resolve(LAB)))
    for lab in LABS:
        graded = {req.id for req in builtin(lab.protocols, lab.features)}
        notifies = int(lab.number[3:]) >= 5
        assert (notifying <= graded) == notifies, lab.name
        assert ("notifier" in lab.sides) == notifies, lab.name
        assert not (notifying & graded) or notifies, lab.name


def test_list_shows_the_notification_requirements_of_lab5():
    result = subprocess.run(
        [sys.executable, "-m", "common.grader", "list", "lab5"], cwd=harness.ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for known in ("NOTIFY-REGISTERED", "NOTIFY-GRPC", "WS-TEXT", "AUTH-GRPC-LOGIN", "REST-CREATE"):
        assert known in result.stdout


# --- TinyLab5 ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flaws:
    """The broken variants: each flag breaks one thing, as a student's users service or notifier might."""

    silent: bool = False  # publishes nothing: nobody is ever notified
    twice: bool = False  # records each event twice (two handlers, no dedupe)
    redelivered: bool = False  # each event comes back once, a while after it was handled, and is recorded again
    racy_publisher: bool = False  # one publisher for every request, unlocked: an event sent during another is lost
    lag: float = 0.0  # seconds from a registration to its notification (events handled side by side)
    on_update: bool = False  # a PUT publishes user.registered again
    on_delete: bool = False  # a DELETE publishes user.registered again
    ignores_filter: bool = False  # ?user_id= ignored: every user's notifications
    unknown_404: bool = False  # ?user_id= of a user with no notification: 404
    one_event_id: bool = False  # every event's id is "1" (and recorded all the same)
    numeric_ids: bool = False  # users numbered 1, 2, ... (as strings), and the notifier's user_id a JSON number
    channels: tuple[str, ...] = ("record",)
    healthz_status: int = 200
    healthz_broker: str | None = "in-process"  # None: /healthz names no broker
    starting: float = 0.0  # seconds /healthz answers 503 {"status": "starting"} before "ok"
    grpc_publishes: bool = True  # (with a gRPC side) CreateUser publishes as POST /users does; False: only REST


def go_time() -> str:
    """Now as Go's time.RFC3339Nano prints it: the fraction's trailing zeros trimmed, "Z"."""
    moment = datetime.now(UTC)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


@dataclass
class Event:
    id: str
    user: dict
    due: float
    again: bool = False  # a redelivery


@dataclass
class TinyLab5:
    """Users in a dict, events in a queue, and one consumer thread that records notifications."""

    flaws: Flaws
    users: dict[str, dict] = field(default_factory=dict)
    notifications: list[dict] = field(default_factory=list)
    events: queue.Queue = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    publishing: int = 0
    born: float = field(default_factory=time.monotonic)

    def register(self, name: str, email: str, publish: bool = True) -> dict:
        with self.lock:
            user_id = str(next(self.numbers)) if self.flaws.numeric_ids else str(uuid.uuid4())
            user = {"id": user_id, "name": name, "email": email}
            self.users[user_id] = user
        if publish and not self.flaws.silent:
            self.publish(user)
        return user

    def publish(self, user: dict) -> None:
        if self.flaws.racy_publisher and self.clashed():
            return  # lost: the bug under test
        event_id = "1" if self.flaws.one_event_id else uuid.uuid4().hex
        self.events.put(Event(event_id, dict(user), time.monotonic() + self.flaws.lag))

    def clashed(self) -> bool:
        """Whether another publish was under way during this one's round trip (widened, so that overlaps show)."""
        with self.lock:
            self.publishing += 1
            clash = self.publishing > 1
        time.sleep(RACE_WINDOW)
        with self.lock:
            self.publishing -= 1
        return clash

    def consume(self) -> None:
        for event in iter(self.events.get, None):
            time.sleep(max(0.0, event.due - time.monotonic()))
            for _ in range(2 if self.flaws.twice else 1):
                self.record(event)
            if self.flaws.redelivered and not event.again:
                self.events.put(Event(event.id, event.user, time.monotonic() + REDELIVERY, again=True))

    def record(self, event: Event) -> None:
        user_id = event.user["id"]
        with self.lock:
            self.notifications.append(
                {
                    "event_id": event.id,
                    "user_id": int(user_id) if self.flaws.numeric_ids else user_id,
                    "message": f"Welcome, {event.user['name']}!",
                    "channels": list(self.flaws.channels),
                    "notified_at": go_time(),
                }
            )

    def listed(self, user_id: str | None) -> tuple[int, object]:
        with self.lock:
            found = list(self.notifications)
        if user_id is not None and not self.flaws.ignores_filter:
            found = [item for item in found if str(item["user_id"]) == user_id]
            if not found and self.flaws.unknown_404:
                return 404, {"error": "no such user"}
        return 200, found

    def health(self) -> tuple[int, object]:
        if time.monotonic() - self.born < self.flaws.starting:
            return 503, {"status": "starting", "broker": self.flaws.healthz_broker}
        body = {"status": "ok"} | ({"broker": self.flaws.healthz_broker} if self.flaws.healthz_broker else {})
        return self.flaws.healthz_status, body


class Handler(BaseHTTPRequestHandler):
    """JSON in, JSON out, for one side of TinyLab5 (`answer` on the server)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def reply(self, status: int, body: object = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> dict | None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        ok = isinstance(data, dict) and all(isinstance(data.get(key), str) for key in ("name", "email"))
        return data if ok else None

    def do_GET(self) -> None:
        self.reply(*self.server.answer(self, "GET"))  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.reply(*self.server.answer(self, "POST"))  # type: ignore[attr-defined]

    def do_PUT(self) -> None:
        self.reply(*self.server.answer(self, "PUT"))  # type: ignore[attr-defined]

    def do_DELETE(self) -> None:
        self.reply(*self.server.answer(self, "DELETE"))  # type: ignore[attr-defined]


def users_side(lab: TinyLab5, request: Handler, method: str) -> tuple[int, object]:
    path = urlsplit(request.path).path
    if method == "POST" and path == "/users":
        data = request.body()
        return (201, lab.register(data["name"], data["email"])) if data else (422, {"error": "name and email"})
    user_id = path.removeprefix("/users/")
    if not path.startswith("/users/") or user_id not in lab.users:
        return 404, {"error": "no such user"}
    if method == "PUT":
        data = request.body()
        if data is None:
            return 422, {"error": "name and email"}
        lab.users[user_id].update(name=data["name"], email=data["email"])
        if lab.flaws.on_update:
            lab.publish(lab.users[user_id])
        return 200, lab.users[user_id]
    if method == "DELETE":
        user = lab.users.pop(user_id)
        if lab.flaws.on_delete:
            lab.publish(user)
        return 204, None
    return (200, lab.users[user_id]) if method == "GET" else (405, {"error": "method"})


def notifier_side(lab: TinyLab5, request: Handler, method: str) -> tuple[int, object]:
    parts = urlsplit(request.path)
    if method == "GET" and parts.path == "/notifications":
        return lab.listed(parse_qs(parts.query).get("user_id", [None])[0])
    if method == "GET" and parts.path == "/healthz":
        return lab.health()
    return 404, {"error": "no such page"}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: forty registrations at once all get in (the default is 5)


@contextmanager
def serving(lab: TinyLab5, side) -> Iterator[str]:
    """One side of TinyLab5 on a free port of 127.0.0.1; yields its base URL."""
    server = Server(("127.0.0.1", 0), Handler)
    server.answer = lambda request, method: side(lab, request, method)  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()  # quick to shut down
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def tiny_lab5(flaws: Flaws = Flaws()) -> Iterator[tuple[TinyLab5, Addresses]]:
    """TinyLab5 with these flaws, its users service and its notifier each on a port of its own."""
    lab = TinyLab5(flaws)
    consumer = threading.Thread(target=lab.consume, daemon=True)
    consumer.start()
    with serving(lab, users_side) as users, serving(lab, notifier_side) as notifier:
        try:
            yield lab, Addresses(rest_url=users, notifier_url=notifier)
        finally:
            lab.events.put(None)


def grade_tiny(flaws: Flaws = Flaws(), only: set[str] | None = None) -> RunResult:
    """The notification requirements (or `only` these) against TinyLab5 with `flaws`."""
    chosen = [req for req in notify_requirements() if only is None or req.id in only]
    with tiny_lab5(flaws) as (_, found):
        return grade(TINY, found, chosen, Options(timeout=TIMEOUT))


# --- TinyLab5 keeps the contract, and each flaw fails what it breaks -------------------------------

EVERY_REST = {req.id for req in notify_requirements()}
AFTER_REGISTERED = EVERY_REST - {"NOTIFY-HEALTHZ", "NOTIFY-REGISTERED"}


def test_tiny_lab5_keeps_the_contract_and_passes_every_notification_requirement():
    run = grade_tiny()
    assert run.by_status("pass") == EVERY_REST, describe(run)
    assert run.duration < 5, "a notifier that keeps up is graded without waiting"


VARIANTS = {
    "never-notifies": (
        Flaws(silent=True),
        "NOTIFY-REGISTERED",
        f"was not notified within {WAITED:g} s",
        AFTER_REGISTERED,
    ),
    "records-twice": (Flaws(twice=True), "NOTIFY-REGISTERED", "was notified 2 times", AFTER_REGISTERED),
    "records-a-redelivery-again": (
        Flaws(redelivered=True),
        "NOTIFY-REGISTERED",
        "was notified 2 times",
        AFTER_REGISTERED,
    ),
    "loses-events-of-overlapping-registrations": (
        Flaws(racy_publisher=True),
        "NOTIFY-CONCURRENT",
        f"of {notify.CROWD} users were not notified within {WAITED:g} s",
        set(),
    ),
    "ignores-the-filter": (
        Flaws(ignores_filter=True),
        "NOTIFY-FILTER",
        "should keep only that user's notifications",
        {"NOTIFY-UNKNOWN-USER"},
    ),
    "notifies-on-update": (Flaws(on_update=True), "NOTIFY-UPDATE-DELETE", "updating user", set()),
    "notifies-on-delete": (Flaws(on_delete=True), "NOTIFY-UPDATE-DELETE", "deleting user", set()),
    "unknown-user-404": (
        Flaws(unknown_404=True),
        "NOTIFY-UNKNOWN-USER",
        "should answer 200 with [] for a user_id nobody has, got 404",
        set(),
    ),
    "one-event-id-for-all": (Flaws(one_event_id=True), "NOTIFY-EVENT-IDS", "distinct event ids", set()),
    "numeric-user-id": (Flaws(numeric_ids=True), "NOTIFY-FIELDS", "the user's id as a string", set()),
    "unknown-channel": (Flaws(channels=("sms",)), "NOTIFY-FIELDS", "'channels' should be", set()),
    "healthz-404": (Flaws(healthz_status=404), "NOTIFY-HEALTHZ", "got 404", set()),
    "healthz-without-broker": (Flaws(healthz_broker=None), "NOTIFY-HEALTHZ", "should name the broker", set()),
    "never-healthy": (Flaws(starting=60), "NOTIFY-HEALTHZ", f'"status": "ok"}} within {WAITED:g} s', set()),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_broken_notifier_loses_exactly_what_it_breaks(variant):
    flaws, failed, says, skipped = VARIANTS[variant]
    run = grade_tiny(flaws)
    assert run.by_status("fail") == {failed}, describe(run)
    assert says in next(r.message for r in run.results if r.id == failed), describe(run)
    assert run.by_status("skipped") == skipped, describe(run)
    assert run.by_status("error") == set(), describe(run)
    assert run.duration < 3 * WAITED + 5


def test_a_failure_names_the_user_what_was_sent_and_what_the_record_held():
    run = grade_tiny(Flaws(twice=True), only={"NOTIFY-REGISTERED"})
    message = run.results[0].message
    reason, sent, got, hint = message.splitlines()
    assert reason.startswith("user ") and reason.endswith(" was notified 2 times")
    user = reason.split()[1]
    assert sent.startswith(f"sent: POST /users registered user {user}; then one more user, ")
    assert got.startswith(f"got:  2 notifications with user_id '{user}' (event ids ")
    assert hint.startswith("hint: publish user.registered")


def test_a_notifier_slower_than_a_request_but_within_the_deadline_passes():
    slow = TIMEOUT + 0.1  # seconds: longer than a request may take, shorter than a notification may
    run = grade_tiny(Flaws(lag=slow, starting=slow), only={"NOTIFY-HEALTHZ", "NOTIFY-REGISTERED"})
    assert run.by_status("pass") == {"NOTIFY-HEALTHZ", "NOTIFY-REGISTERED"}, describe(run)


def test_waiting_for_a_notification_that_never_comes_takes_the_deadline_and_no_longer():
    with tiny_lab5(Flaws(silent=True)) as (_, found):
        ctx = Context(
            TIMEOUT, RestClient(found.rest_url, TIMEOUT), notifier_client=RestClient(found.notifier_url, TIMEOUT)
        )
        user = notify.register(ctx, "Nobody")
        began = time.monotonic()
        with pytest.raises(CheckFailed, match=f"user {user} was not notified within {WAITED:g} s"):
            notify.wait_notified(ctx, [user], "registered")
        assert WAITED <= time.monotonic() - began < WAITED + 1


def test_the_record_of_other_users_never_matters():
    """Notifications of users the checks did not register (every registration is notified) are read past."""
    with tiny_lab5() as (lab, found):
        for i in range(50):
            lab.register(f"Someone {i}", f"someone-{i}@example.com")
        run = grade(TINY, found, notify_requirements(), Options(timeout=TIMEOUT))
    assert run.by_status("pass") == EVERY_REST, describe(run)


# --- the notifier's address -----------------------------------------------------------------------


def test_a_silent_notifier_address_fails_its_requirements_only():
    with tiny_lab5() as (_, found):
        silent = f"http://127.0.0.1:{harness.free_port()}"
        run = grade(TINY, Addresses(rest_url=found.rest_url, notifier_url=silent), notify_requirements())
    assert run.error is None and set(run.unreachable) == {"notifier"}
    assert run.by_status("fail") == EVERY_REST
    for result in run.results:
        assert result.message.startswith(f"not graded: nothing answers at {silent}: connection refused")


def test_a_started_lab5_gets_a_notifier_port_and_is_graded_there(tmp_path: Path):
    from common.grader.launch import started

    listen = (
        "import os, socket, time; "
        "held = [socket.create_server(('127.0.0.1', int(os.environ[name]))) "
        "for name in ('HTTP_PORT', 'GRPC_PORT', 'NOTIFIER_HTTP_PORT')]; time.sleep(60)"
    )
    with started(f'{sys.executable} -c "{listen}"', resolve(LAB), tmp_path / "service.log") as found:
        port = int(found.notifier_url.rsplit(":", 1)[1])
        assert found.notifier_url == f"http://127.0.0.1:{port}" and harness.port_open(port)
        assert found.rest_url != found.notifier_url
    stopped_by = time.monotonic() + 5  # the group got SIGTERM; its last process may take a moment to exit
    while harness.port_open(port) and time.monotonic() < stopped_by:
        time.sleep(0.05)
    assert not harness.port_open(port), "the started command should be stopped after grading"


# --- gRPC, and the reference lab, each in a Python of its own ------------------------------------


def grade_tiny_over_grpc(grpc_publishes: str) -> dict[str, list]:
    """(In a Python of its own) NOTIFY-REGISTERED and NOTIFY-GRPC against TinyLab5 with a gRPC side."""
    from concurrent import futures

    import grpc

    from lab5_broker.users.v1 import users_pb2, users_pb2_grpc

    notify.DELIVERY_TIMEOUTS = DELIVERY_TIMEOUTS  # this Python's own: no fixture runs here

    class Users(users_pb2_grpc.UserServiceServicer):
        def __init__(self, lab: TinyLab5) -> None:
            self.lab = lab

        def CreateUser(self, request, context):  # the .proto's name
            user = self.lab.register(request.name, request.email, publish=self.lab.flaws.grpc_publishes)
            return users_pb2.User(id=user["id"], name=user["name"], email=user["email"])

    with tiny_lab5(Flaws(grpc_publishes=grpc_publishes == "yes")) as (lab, found):
        server = grpc.server(futures.ThreadPoolExecutor(4))
        users_pb2_grpc.add_UserServiceServicer_to_server(Users(lab), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            addresses = Addresses(found.rest_url, f"127.0.0.1:{port}", found.notifier_url)
            wanted = [req for req in notify_requirements(TINY_GRPC) if req.id in {"NOTIFY-REGISTERED", "NOTIFY-GRPC"}]
            run = grade(TINY_GRPC, addresses, wanted, Options(timeout=TIMEOUT))
        finally:
            server.stop(0)
    return {r.id: [r.status, r.message] for r in run.results}


def grade_reference(rest_url: str, grpc_target: str, notifier_url: str) -> dict[str, list]:
    """(In a Python of its own) every notification requirement against the reference lab, as lab 5 is graded."""
    lab = resolve(LAB)
    run = grade(lab, Addresses(rest_url, grpc_target, notifier_url), notify_requirements(lab))
    return {r.id: [r.status, r.message] for r in run.results}


def in_a_python_of_its_own(function: str, *args: str) -> dict[str, list]:
    """Call `function` of this module in a new Python (for lab 5's gRPC stubs); what it returns."""
    code = f"import json, sys\nfrom {__name__} import {function}\nprint(json.dumps({function}(*sys.argv[1:])))"
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=harness.ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_user_created_over_grpc_must_be_notified_too():
    published = in_a_python_of_its_own("grade_tiny_over_grpc", "yes")
    assert published == {"NOTIFY-REGISTERED": ["pass", None], "NOTIFY-GRPC": ["pass", None]}
    silent = in_a_python_of_its_own("grade_tiny_over_grpc", "no")
    assert silent["NOTIFY-REGISTERED"] == ["pass", None]
    status, message = silent["NOTIFY-GRPC"]
    assert status == "fail" and f"was not notified within {WAITED:g} s" in message
    assert "CreateUser (gRPC) created user" in message


def delete_rabbitmq_names(prefix: str) -> None:
    """Delete the exchange and queues a lab 5 started with BROKER_PREFIX=`prefix` declared, as lab 5's tests do."""
    import pika

    from lab5_broker import rabbitmq
    from lab5_broker.settings import Settings

    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    channel = connection.channel()
    exchange, *queues = rabbitmq.names(Settings(broker_prefix=prefix))
    for name in queues:
        channel.queue_delete(name)
    channel.exchange_delete(exchange)
    connection.close()


@pytest.fixture(scope="module")
def reference_lab() -> Iterator[harness.LabProcess]:
    """Lab 5 on the machine's RabbitMQ, with names and a notifier record of its own (both gone afterwards)."""
    if not harness.port_open(5672):
        if in_ci():
            pytest.fail(f"RabbitMQ is not running at {RABBITMQ_URL}")
        pytest.skip(f"RabbitMQ is not running at {RABBITMQ_URL}")
    prefix = f"test-{secrets.token_hex(4)}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            env = {"BROKER_PREFIX": prefix, "NOTIFIER_DB": f"{folder}/notifier.sqlite3"}
            with harness.running(LAB, env) as lab:
                yield lab
    finally:
        delete_rabbitmq_names(prefix)


def test_the_reference_lab_passes_every_notification_requirement(reference_lab: harness.LabProcess):
    notifier_url = f"http://{reference_lab.host}:{reference_lab.env['NOTIFIER_HTTP_PORT']}"
    results = in_a_python_of_its_own("grade_reference", reference_lab.http_url, reference_lab.grpc_target, notifier_url)
    assert results == {req.id: ["pass", None] for req in notify_requirements(resolve(LAB))}

"""Lab 7: what a running lab tells the outside about itself, read as Prometheus and Kibana would read it.

Every test runs the lab as a process, with its notifier, on the machine's RabbitMQ, and reads
what it exposes: the text of GET /metrics (parsed by prometheus_client's own parser), the
``traceparent`` headers and metadata it answers with, and its log, line by line. Metrics are
compared before and after, never as absolute values: other tests may have used the same process.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack

import ecs_logging
import grpc
import pytest
import requests
from websockets.sync.client import connect

from common import harness, rawhttp
from common.grader.checks.monitoring import parse

from .. import logs
from ..events import user_registered
from ..settings import load
from ..users.v1 import users_pb2, users_pb2_grpc
from .conftest import ADMIN_EMAIL, LAB, WAIT, publish_raw, register_and_login, require_rabbitmq

PASSWORD = "a password that must never be logged"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ECS_FIELDS = ("@timestamp", "log.level", "message", "ecs.version", "service.name")


@pytest.fixture(scope="module")
def observed() -> Iterator[harness.LabProcess]:
    """One lab process (users service and notifier) for this module's tests."""
    require_rabbitmq(load({}, service="notifier"))
    with harness.running(LAB, {"ADMIN_EMAIL": ADMIN_EMAIL}) as lab:
        yield lab


def notifier_url(lab: harness.LabProcess) -> str:
    return f"http://127.0.0.1:{lab.env['NOTIFIER_HTTP_PORT']}"


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]  # by name and sorted labels


def samples(url: str) -> Samples:
    """Every sample of GET url/metrics, read as the grader reads it (prometheus_client's parser)."""
    reply = requests.get(f"{url}/metrics", timeout=5)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/plain"), reply.text[:200]
    return parse(reply.text)[0]


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def series(found: Samples, name: str, label: str) -> set[str]:
    """The values `label` takes across the series of `name`."""
    return {dict(labels)[label] for (sample, labels) in found if sample == name and label in dict(labels)}


def eventually(check, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"not within {WAIT:g} s: {what}"
        time.sleep(0.1)


def notification_of(lab: harness.LabProcess, user_id: str) -> dict | None:
    found = requests.get(f"{notifier_url(lab)}/notifications", params={"user_id": user_id}, timeout=5).json()
    return found[0] if found else None


def test_http_requests_are_one_series_per_route_whatever_the_path(observed: harness.LabProcess) -> None:
    url = observed.http_url
    before = samples(url)
    for user_id in ("1", "2", "999999"):
        requests.get(f"{url}/users/{user_id}", timeout=5)
    for _ in range(20):
        assert requests.get(f"{url}/no-such-{secrets.token_hex(4)}", timeout=5).status_code == 404
    after = samples(url)
    count = "flask_http_request_duration_seconds_count"
    routes = series(after, count, "route")
    assert "/users/<user_id>" in routes and "unmatched" in routes
    assert not any("no-such" in route or route.endswith("999999") for route in routes), routes
    gets = sum(v for (name, labels), v in after.items() if name == count and ("route", "/users/<user_id>") in labels)
    gets_before = sum(
        v for (name, labels), v in before.items() if name == count and ("route", "/users/<user_id>") in labels
    )
    assert gets - gets_before == 3
    assert (
        value(after, count, method="GET", route="unmatched", status="404")
        - value(before, count, method="GET", route="unmatched", status="404")
        == 20
    )


def test_a_made_up_method_is_refused_and_adds_no_series(observed: harness.LabProcess) -> None:
    url = observed.http_url
    reply = requests.request("BREW", f"{url}/users", timeout=5)
    assert reply.status_code == 405 and "method" in reply.json()["detail"] and "GET" in reply.headers["Allow"]
    assert "BREW" not in series(samples(url), "flask_http_request_duration_seconds_count", "method")


def test_traceparent_is_joined_when_valid_and_started_when_not(observed: harness.LabProcess) -> None:
    url = observed.http_url
    joined = requests.get(f"{url}/healthz", headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}, timeout=5)
    version, trace, span, _ = joined.headers["traceparent"].split("-")
    assert (version, trace) == ("00", TRACE) and span != "00f067aa0ba902b7", "the same trace, a span of its own"
    for bad in ("rubbish", f"00-{'0' * 32}-00f067aa0ba902b7-01", f"00-{TRACE.upper()}-00f067aa0ba902b7-01"):
        started = requests.get(f"{url}/healthz", headers={"traceparent": bad}, timeout=5).headers["traceparent"]
        assert started.split("-")[1] not in (TRACE, "0" * 32) and len(started.split("-")[1]) == 32


def test_grpc_calls_are_counted_by_method_and_code_and_traced(observed: harness.LabProcess) -> None:
    before = samples(observed.http_url)
    token = register_and_login(observed.http_url, f"grpc-{secrets.token_hex(4)}@example.com", PASSWORD)
    with grpc.insecure_channel(observed.grpc_target) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        metadata = (("authorization", f"Bearer {token}"), ("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01"))
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetUser(users_pb2.GetUserRequest(id="999999"), metadata=metadata)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert dict(missing.value.initial_metadata()).get("traceparent", "").split("-")[1:2] == [TRACE], (
            missing.value.initial_metadata()
        )
        stub.ListUsers(users_pb2.ListUsersRequest(), metadata=metadata)
        unknown = channel.unary_unary(f"/users.v1.UserService/Made{secrets.token_hex(4)}")
        with pytest.raises(grpc.RpcError) as unimplemented:
            unknown(b"")
        assert unimplemented.value.code() == grpc.StatusCode.UNIMPLEMENTED
    after = samples(observed.http_url)
    handled = "grpc_server_handled_total"
    service = {"grpc_type": "unary", "grpc_service": "users.v1.UserService"}
    for method, code in (("GetUser", "NOT_FOUND"), ("ListUsers", "OK")):
        labels = {**service, "grpc_method": method, "grpc_code": code}
        assert value(after, handled, **labels) - value(before, handled, **labels) == 1, (method, code)
    assert value(after, "grpc_server_handling_seconds_count", **service, grpc_method="GetUser") >= 1
    assert not any(m.startswith("Made") for m in series(after, handled, "grpc_method")), "no series for made-up methods"


def test_websocket_connections_and_messages_are_counted(observed: harness.LabProcess) -> None:
    url = observed.http_url
    before = samples(url)
    tokens = [register_and_login(url, f"ws-{secrets.token_hex(4)}@example.com", PASSWORD) for _ in range(2)]
    room = f"metrics-{secrets.token_hex(3)}"
    address = f"{url.replace('http://', 'ws://')}/ws?room={room}"
    with ExitStack() as stack:
        headers = [{"Authorization": f"Bearer {token}"} for token in tokens]
        clients = [stack.enter_context(connect(address, additional_headers=h, open_timeout=WAIT)) for h in headers]
        clients[0].recv(WAIT)  # the second member's join notice reaches the first: both are in the room
        eventually(lambda: value(samples(url), "microlabs_websocket_connections") >= 2, "two connections counted")
        clients[0].send("hello")
        clients[0].send(b"\x00\x01")
        received = [clients[1].recv(WAIT) for _ in range(2)]
        assert b"\x00\x01" in received
    after = samples(url)
    messages = "microlabs_websocket_messages_total"
    for direction in ("in", "out"):
        for kind in ("text", "binary"):
            grew = value(after, messages, direction=direction, type=kind) - value(
                before, messages, direction=direction, type=kind
            )
            assert grew >= 1, (direction, kind)
    eventually(
        lambda: (
            value(samples(url), "microlabs_websocket_connections") == value(before, "microlabs_websocket_connections")
        ),
        "connections closed",
    )


def test_the_pipeline_is_counted_on_both_sides(observed: harness.LabProcess) -> None:
    users, notifier = observed.http_url, notifier_url(observed)
    before_users, before_notifier = samples(users), samples(notifier)
    reply = requests.post(
        f"{users}/users", json={"name": "Counted", "email": f"c-{secrets.token_hex(4)}@example.com"}, timeout=5
    )
    assert reply.status_code == 201
    eventually(lambda: notification_of(observed, reply.json()["id"]) is not None, "the registration notified")
    settings = load(observed.env, service="notifier")
    again = user_registered(reply.json()["id"], "Counted", reply.json()["email"])
    publish_raw(settings, again.to_json())
    publish_raw(settings, again.to_json())  # a redelivery: a duplicate
    publish_raw(settings, b"not an event")  # poison
    consumed = "microlabs_events_consumed_total"

    def counted() -> bool:
        now = samples(notifier)
        return (
            value(now, consumed, outcome="duplicate") - value(before_notifier, consumed, outcome="duplicate") >= 1
            and value(now, "microlabs_events_dead_lettered_total", reason="poison")
            - value(before_notifier, "microlabs_events_dead_lettered_total", reason="poison")
            >= 1
        )

    eventually(counted, "a duplicate and a dead letter counted")
    after_users, after_notifier = samples(users), samples(notifier)
    assert (
        value(after_users, "microlabs_events_published_total") - value(before_users, "microlabs_events_published_total")
        >= 1
    )
    assert (
        value(after_notifier, consumed, outcome="notified") - value(before_notifier, consumed, outcome="notified") >= 2
    )
    delays = "microlabs_notification_delay_seconds_count"
    assert value(after_notifier, delays) - value(before_notifier, delays) >= 2
    assert value(after_notifier, "microlabs_consumer_connected") == 1
    assert value(after_users, "microlabs_outbox_events") >= 0
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"):
        assert value(after_users, name) > 0 and value(after_notifier, name) > 0, name


def test_every_log_line_is_ecs_and_one_trace_id_follows_a_registration(tmp_path) -> None:
    require_rabbitmq(load({}, service="notifier"))
    lab = harness.start(LAB, {"ADMIN_EMAIL": ADMIN_EMAIL})
    try:
        email = f"trail-{secrets.token_hex(4)}@example.com"
        traceparent = f"00-{TRACE}-00f067aa0ba902b7-01"
        reply = requests.post(
            f"{lab.http_url}/users", json={"name": "Trail", "email": email, "password": PASSWORD},
            headers={"traceparent": traceparent}, timeout=10,
        )  # fmt: skip
        assert reply.status_code == 201, reply.text
        token = register_and_login(lab.http_url, email, PASSWORD)
        grpc_trace = secrets.token_hex(16)
        with grpc.insecure_channel(lab.grpc_target) as channel:
            created = users_pb2_grpc.UserServiceStub(channel).CreateUser(
                users_pb2.CreateUserRequest(name="Trail by gRPC", email=f"g-{email}"),
                metadata=(("traceparent", f"00-{grpc_trace}-00f067aa0ba902b7-01"),),
            )
        for user_id, trace in ((reply.json()["id"], TRACE), (created.id, grpc_trace)):
            eventually(lambda u=user_id, t=trace: (notification_of(lab, u) or {}).get("trace_id") == t, "traced")
    finally:
        assert lab.stop() == 0
    lines = [json.loads(line) for line in lab.log().splitlines() if line.strip()]  # each line is one JSON object
    for line in lines:
        flat = flatten(line)
        assert all(field in flat for field in ECS_FIELDS), line
        assert flat["service.name"] in ("users", "notifier")
    trail = [flatten(line) for line in lines if flatten(line).get("trace.id") == TRACE]
    said = {(line["service.name"], line["message"].split(" ")[0]) for line in trail}
    assert {("users", "registered"), ("users", "POST"), ("users", "published"), ("notifier", "notified")} <= said, said
    grpc_trail = [flatten(line) for line in lines if flatten(line).get("trace.id") == grpc_trace]
    assert {line["service.name"] for line in grpc_trail} == {"users", "notifier"}
    assert any(line.get("rpc.method") == "CreateUser" for line in grpc_trail)
    log = lab.log()
    for secret in (PASSWORD, token, lab.env["JWT_SECRET"], "guest:guest"):
        assert secret not in log, "a secret was logged"


def flatten(document: dict, prefix: str = "") -> dict[str, object]:
    """ECS nests dotted names ({"service": {"name": ...}}): one level, dotted again."""
    flat: dict[str, object] = {}
    for key, item in document.items():
        if isinstance(item, dict):
            flat |= flatten(item, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = item
    return flat


@pytest.mark.parametrize(("variable", "value"), [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "chatty")])
def test_a_log_setting_the_lab_cannot_use_stops_the_start_naming_it(variable: str, value: str) -> None:
    for module in (LAB, f"{LAB}.notifier"):
        ended = harness.run_to_exit(module, {"JWT_SECRET": "s" * 32, variable: value})
        assert ended.returncode == 2 and variable in ended.stderr and "Traceback" not in ended.stderr, ended.stderr


@pytest.mark.parametrize(("log_format", "level"), [("text", "info"), ("ecs", "warning")])
def test_log_format_and_level_choose_what_is_written(log_format: str, level: str) -> None:
    """LOG_FORMAT=text writes lab 5's lines; LOG_LEVEL=warning leaves out the info lines, Gunicorn's too."""
    require_rabbitmq(load({}, service="notifier"))
    lab = harness.start(LAB, {"LOG_FORMAT": log_format, "LOG_LEVEL": level})
    try:
        requests.get(f"{lab.http_url}/healthz", timeout=5)
        requests.get(f"{lab.http_url}/x%0A2026-01-01 00:00:00,000 ERROR forged: a line of its own", timeout=5)
        head = b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
        assert rawhttp.request(lab.http_url, head).status == 413  # and a warning in the log
    finally:
        assert lab.stop() == 0
    lines = [line for line in lab.log().splitlines() if line.strip()]
    warned = [line for line in lines if "refused a body" in line]
    assert len(warned) == 1, lines[-5:]
    assert not any(line.startswith("2026-01-01") for line in lines), "a request wrote a line of its own"
    if log_format == "text":
        assert not any(line.startswith("{") for line in lines) and any("GET /healthz 200" in line for line in lines)
        assert any("/x%0A2026-01-01" in line for line in lines), "the path is logged as it arrived, encoded"
    else:
        levels = {json.loads(line)["log.level"] for line in lines}
        assert levels <= {"warning", "error", "critical"}, levels


def test_the_lab_formatter_writes_the_document_ecs_logging_writes() -> None:
    """logs.Formatter builds the document in one pass: the same one as the library's own, field for field."""
    library = ecs_logging.StdlibFormatter(exclude_fields=["log.origin", "log.original"])
    access = logging.LogRecord("lab.edge", logging.INFO, "edge.py", 1, "%s %s %d", ("GET", "/users/1", 200), None)
    extras = {"http.request.method": "GET", "url.path": "/users/1", "http.response.status_code": 200}
    for name, value in {**extras, "event.duration": 1234, "service.name": "users", "trace.id": TRACE}.items():
        setattr(access, name, value)
    try:
        raise ValueError("a failure, with its stack")
    except ValueError:
        failed = logging.LogRecord("lab.relay", logging.ERROR, "relay.py", 2, "it failed", None, sys.exc_info())
    plain = logging.LogRecord("lab", logging.WARNING, "lab.py", 3, "100% plain", None, None)
    for record in (access, failed, plain):
        assert json.loads(logs.Formatter().format(record)) == json.loads(library.format(record))

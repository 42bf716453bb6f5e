"""Registrations become notifications, end to end, through each broker: REST in, the notifier's record out.

Each test starts the lab (the users service and its notifier) with exchanges, queues or topics of
its own, registers users over REST and reads the notifier's ``GET /notifications`` until every user
is there, exactly once. The faults of the lesson are each a test, on both brokers: the broker
unreachable during a burst of registrations, the notifier killed mid-stream, an event delivered
twice, a poison message among good ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

from common import harness
from common.bench import descendants
from common.kafka_broker import running_kafka
from common.tcp_proxy import Proxy, proxy_to

from .. import brokers
from ..events import USER_REGISTERED, Event, user_registered
from ..settings import load
from .conftest import LAB, dead_letters, delete_rabbitmq_names, publish_raw, require_rabbitmq

WAIT = 30.0
BROKERS = ["rabbitmq", "kafka"]


@pytest.fixture(params=BROKERS)
def broker_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a lab on this broker, with names of its own (deleted afterwards on RabbitMQ)."""
    prefix = f"test-{secrets.token_hex(4)}"
    env = {"BROKER": request.param, "BROKER_PREFIX": prefix, "NOTIFIER_DB": str(tmp_path / "notifier.sqlite3")}
    if request.param == "kafka":
        env["KAFKA_BOOTSTRAP_SERVERS"] = request.getfixturevalue("kafka_bootstrap_servers")
    else:
        require_rabbitmq(load(env, service="notifier"))
    yield env
    if request.param == "rabbitmq":
        delete_rabbitmq_names(prefix)


@pytest.fixture
def pipeline(broker_env: dict[str, str]) -> Iterator[harness.LabProcess]:
    with harness.running(LAB, broker_env) as lab:
        yield lab


@pytest.fixture
def cuttable(broker_env: dict[str, str]) -> Iterator[tuple[dict[str, str], Proxy]]:
    """The broker behind a proxy the test can cut: the machine's RabbitMQ, or a Tansu of its own that
    advertises the proxy (Kafka clients go where the broker says, not where they bootstrapped)."""
    if broker_env["BROKER"] == "rabbitmq":
        with proxy_to("127.0.0.1", 5672) as proxy:
            yield {**broker_env, "RABBITMQ_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"}, proxy
        return
    port = harness.free_port()
    with proxy_to("127.0.0.1", port) as proxy, running_kafka(port, advertised_port=proxy.port):
        yield {**broker_env, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{proxy.port}"}, proxy


@pytest.fixture
def users_alone(broker_env: dict[str, str]) -> Iterator[tuple[harness.LabProcess, dict[str, str]]]:
    """The users service without its notifier child (SERVICES=users); the env to start notifiers with."""
    env = {**broker_env, "SERVICES": "users"}
    with harness.running(LAB, env) as lab:
        yield lab, {**lab.env, **env}


def notifier_url(lab: harness.LabProcess) -> str:
    return f"http://{lab.host}:{lab.env['NOTIFIER_HTTP_PORT']}"


def register(lab: harness.LabProcess, count: int) -> list[str]:
    ids = []
    with requests.Session() as http:
        for i in range(count):
            email = f"user{i}-{secrets.token_hex(3)}@pipeline.example"
            reply = http.post(f"{lab.http_url}/users", json={"name": f"User {i}", "email": email}, timeout=10)
            assert reply.status_code == 201, reply.text
            ids.append(reply.json()["id"])
    return ids


def health(lab: harness.LabProcess) -> str:
    """What the notifier's /healthz says about its broker."""
    return requests.get(f"{notifier_url(lab)}/healthz", timeout=5).json()["status"]


def notified(lab: harness.LabProcess, expected: int) -> Counter[str]:
    return notified_at(notifier_url(lab), expected)


def notified_at(url: str, expected: int) -> Counter[str]:
    """Users notified, with how many times, once `expected` notifications are there (or WAIT has passed)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = requests.get(f"{url}/notifications", timeout=5).json()
        if len(found) >= expected or time.monotonic() > deadline:
            return Counter(item["user_id"] for item in found)
        time.sleep(0.1)


def test_every_registration_is_notified_exactly_once(pipeline: harness.LabProcess) -> None:
    ids = register(pipeline, 50)
    counts = notified(pipeline, 50)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}


def test_the_notifier_filters_by_user_pages_and_answers_health(pipeline: harness.LabProcess) -> None:
    first, second = register(pipeline, 2)
    notified(pipeline, 2)
    url = f"{notifier_url(pipeline)}/notifications"
    mine = requests.get(url, params={"user_id": first}, timeout=5).json()
    assert [item["user_id"] for item in mine] == [first]
    assert mine[0]["channels"] == ["record"] and mine[0]["event_id"] and "email" not in mine[0]
    assert requests.get(url, params={"user_id": "no such user"}, timeout=5).json() == []
    everything = requests.get(url, timeout=5).json()  # in the order notified (Kafka: not always registered)
    assert sorted(item["user_id"] for item in everything) == sorted([first, second])
    assert requests.get(url, params={"limit": "1", "offset": "1"}, timeout=5).json() == everything[1:]
    for field, bad in (("limit", "0"), ("limit", "1001"), ("offset", "-1"), ("limit", "many")):
        refused = requests.get(url, params={field: bad}, timeout=5)
        assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == field, refused.text
    health = requests.get(f"{notifier_url(pipeline)}/healthz", timeout=5).json()
    assert health == {"status": "ok", "broker": pipeline.env["BROKER"]}


def test_registrations_during_a_broker_outage_are_all_notified_once_it_is_back(cuttable) -> None:
    """The broker unreachable during a burst: every registration succeeds, and every user is notified
    exactly once after the broker is back; the outbox held the events meanwhile."""
    env, proxy = cuttable
    with harness.running(LAB, env) as lab:
        before = register(lab, 5)
        assert len(notified(lab, 5)) == 5
        proxy.cut()
        during = register(lab, 30)  # every one answered 201: the broker is not on the request's path
        lab.wait_until(lambda: "events wait in the outbox" in lab.log(), WAIT)
        lab.wait_until(lambda: health(lab) == "the broker is unreachable", WAIT)
        proxy.restore()
        counts = notified(lab, 35)
        lab.wait_until(lambda: health(lab) == "ok", WAIT)
        assert sorted(counts) == sorted(before + during)
        assert set(counts.values()) == {1}


def kill_tree(process: harness.LabProcess) -> None:
    """SIGKILL a lab's Gunicorn worker (where the consumer runs), then its master: nothing gets to clean up.

    The harness's own clean-up (deleting the lab's broker names) waits for the test's `stop()`."""
    for task in Path(f"/proc/{process.pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            os.kill(int(child), signal.SIGKILL)
    harness.stop_process(process.process, signal.SIGKILL)


def start_notifier(env: dict[str, str]) -> harness.LabProcess:
    """The notifier alone in a process of its own; ready once its /healthz answers."""
    return harness.start(f"{LAB}.notifier", env, ready_port="NOTIFIER_HTTP_PORT")


def test_a_notifier_killed_mid_stream_and_restarted_notifies_everyone_once(users_alone) -> None:
    """A mail server that takes 20 ms a message keeps the notifier busy for seconds: the kill lands mid-stream."""
    lab, env = users_alone
    ids = register(lab, 200)
    smtp = Controller(Inbox(delay=0.02), hostname="127.0.0.1", port=harness.free_port())
    smtp.start()
    env = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)}
    try:
        notifier = start_notifier(env)
        url = f"http://127.0.0.1:{env['NOTIFIER_HTTP_PORT']}/notifications"
        notifier.wait_until(lambda: requests.get(url, params={"limit": "1"}, timeout=5).json() != [], WAIT)
        kill_tree(notifier)  # mid-stream: some events handled, some delivered but not acked yet
        notifier.stop()
        with contextlib.closing(sqlite3.connect(env["NOTIFIER_DB"])) as record:
            [(handled_before,)] = record.execute("SELECT count(*) FROM notifications").fetchall()
        assert 0 < handled_before < 200, f"the kill came after {handled_before} of 200: not mid-stream"
        restarted = start_notifier(env)
        try:
            counts = notified_at(f"http://127.0.0.1:{env['NOTIFIER_HTTP_PORT']}", 200)
            assert sorted(counts) == sorted(ids)
            assert set(counts.values()) == {1}
        finally:
            restarted.stop()
    finally:
        smtp.stop()


def test_the_same_event_delivered_twice_notifies_once_and_poison_goes_to_the_dead_letters(users_alone) -> None:
    lab, env = users_alone
    settings = load(env)  # the lab's own settings: the same broker and names
    notifier = start_notifier(env)
    try:
        event = user_registered("9999", "Twice", "twice@pipeline.example")
        publisher = brokers.publisher(settings)
        publisher.publish([event, event])  # a publisher's retry after a lost confirm looks like this
        publisher.close()
        publish_raw(settings, b"not json at all")
        ids = register(lab, 3)
        counts = notified_at(f"http://127.0.0.1:{env['NOTIFIER_HTTP_PORT']}", 4)
        assert counts == Counter({"9999": 1, **{user_id: 1 for user_id in ids}})
        assert dead_letters(settings, 1) == [b"not json at all"]
    finally:
        notifier.stop()


class Inbox:
    """An aiosmtpd handler that keeps every message a real SMTP server received."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = delay  # seconds each message takes: a slow mail server

    async def handle_DATA(self, server, session, envelope) -> str:  # the name aiosmtpd calls
        await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content, _class=EmailMessage, policy=policy.default))
        return "250 OK"


# The channel, not the broker, is under test; and RabbitMQ's one queue keeps the order the check relies on.
@pytest.mark.parametrize("broker_env", ["rabbitmq"], indirect=True)
def test_with_smtp_host_set_each_new_user_gets_one_welcome_email(broker_env: dict[str, str]) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=harness.free_port())
    smtp.start()
    try:
        env = {**broker_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_FROM": "hello@lab.example"}
        with harness.running(LAB, env) as lab, requests.Session() as http:
            email = f"ada-{secrets.token_hex(3)}@pipeline.example"
            reply = http.post(f"{lab.http_url}/users", json={"name": "Ada Lovelace", "email": email}, timeout=10)
            assert reply.status_code == 201, reply.text
            assert notified(lab, 1) == Counter({reply.json()["id"]: 1})
            [record] = requests.get(f"{notifier_url(lab)}/notifications", timeout=5).json()
            assert record["channels"] == ["email", "record"]
            # The same event again (a publisher's retry): the notifier must not email a second time.
            again = Event(USER_REGISTERED, {"id": record["user_id"], "name": "Ada Lovelace", "email": email},
                          record["event_id"])  # fmt: skip
            publisher = brokers.publisher(load(lab.env, service="notifier"))
            publisher.publish([again])
            publisher.close()
            # One queue hands out in order: once a user registered after it is notified, so is the copy.
            marker = http.post(f"{lab.http_url}/users", json={"name": "Marker", "email": "m@x.example"}, timeout=10)
            assert notified(lab, 2) == Counter({record["user_id"]: 1, marker.json()["id"]: 1})
    finally:
        smtp.stop()
    first, second = inbox.messages  # one each: the copy of Ada's event sent no second email
    assert (first["To"], first["From"], second["To"]) == (email, "hello@lab.example", "m@x.example")
    assert first["Subject"] and "Welcome, Ada Lovelace!" in first.get_content()


def test_a_notifier_child_stops_when_the_users_service_is_killed() -> None:
    """SIGKILL leaves no chance to stop the child: it notices its parent is gone, and stops itself."""
    lab = harness.start(LAB)
    notifier = 0
    try:
        notifier = next(pid for pid in descendants(lab.pid) if b"lab6_monitoring.notifier" in cmdline(pid))
        kill_tree(lab)
        deadline = time.monotonic() + WAIT
        while running(notifier) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(notifier), "the notifier lives on without the users service"
    finally:
        lab.stop()
        if notifier and running(notifier):
            os.kill(notifier, signal.SIGTERM)  # by its PID, which this test found


def cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its (gone) parent to collect it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

"""This lab's name and environment for the shared fixtures in common/pytest_plugin.py, gRPC's, and lab 3's tokens.

Lab 3 puts a token in front of almost every call, so the fixtures the copied tests of labs 1-2
use (`http`, `stub`) call as the lab's admin: the tests about users keep testing users. The
tests about authentication itself (test_auth_*.py) use `anonymous`, `login` and `forge` instead.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import pytest
import requests
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from common import harness, postgres
from common.kafka_broker import running_kafka
from common.pytest_plugin import in_ci

from .. import broker, kafka, rabbitmq
from ..settings import Settings
from ..users.v1 import users_pb2_grpc

LAB = Path(__file__).resolve().parents[1].name
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin password for tests"
WAIT = 20.0  # seconds for a broker to deliver what a test waits for


@pytest.fixture(scope="session")
def lab_name() -> str:
    return LAB


# Lab 7: what compose.yaml requires from the deployer's shell, JWT_SECRET and POSTGRES_PASSWORD.
COMPOSE_SECRETS = ("JWT_SECRET", "POSTGRES_PASSWORD")


@pytest.fixture(scope="module", autouse=True)
def compose_secret(request: pytest.FixtureRequest) -> Iterator[None]:
    """compose.yaml refuses to resolve without its secrets: the container and deployment tests get random ones
    for those that are missing.

    Only those modules: every lab process the other tests start keeps a fresh secret of its own.
    """
    name = request.module.__name__
    missing = [secret for secret in COMPOSE_SECRETS if not os.environ.get(secret)]
    if ("container" not in name and "deploy" not in name) or not missing:
        yield
        return
    for secret in missing:
        os.environ[secret] = secrets.token_hex(32)
    try:
        yield
    finally:
        for secret in missing:
            os.environ.pop(secret, None)


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    """Every test process of the lab has a first admin (the harness gives each a JWT_SECRET)."""
    return {"ADMIN_EMAIL": ADMIN_EMAIL}


def require_rabbitmq(settings: Settings) -> None:
    """Skip the test when RabbitMQ is not there (say why); under CI=true, where it must be, fail it."""
    try:
        rabbitmq.connect(settings).close()
    except broker.BrokerUnavailable as exc:
        if in_ci():
            pytest.fail(f"RabbitMQ is not running: {exc}")
        pytest.skip(f"RabbitMQ is not running: {exc}")


def delete_rabbitmq_names(prefix: str) -> None:
    """Delete the exchange and queues that labs started with `prefix` declared (labs the harness starts
    without a BROKER_PREFIX get one of their own, deleted when they stop)."""
    harness.delete_broker_names(LAB, {"BROKER_PREFIX": prefix})


@pytest.fixture
def database_url() -> Iterator[str]:
    """Lab 7: an empty PostgreSQL database of the test's own on the machine's server, dropped after the test."""
    with postgres.scratch_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_lab(lab_name: str, lab_env: dict[str, str]) -> Iterator[harness.LabProcess]:
    """Lab 7: a second shared process of the lab, keeping its users in a scratch PostgreSQL database."""
    with postgres.scratch_database() as url, harness.running(lab_name, {**lab_env, "DATABASE_URL": url}) as lab:
        yield lab


@pytest.fixture(scope="session")
def kafka_bootstrap_servers() -> Iterator[str]:
    """A Kafka-protocol broker (Tansu) for the whole session; each test uses topics of its own."""
    with running_kafka() as bootstrap:
        yield bootstrap


def publish_raw(settings: Settings, body: bytes) -> None:
    """Put a message on the broker without the publisher: what a buggy or hostile producer might send."""
    if settings.broker == "kafka":
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        producer.send(kafka.topics(settings)[0], body).get(WAIT)
        producer.close()
        return
    connection = rabbitmq.connect(settings)
    channel = connection.channel()
    rabbitmq.declare(channel, settings)
    channel.basic_publish(rabbitmq.names(settings)[0], "user.registered", body)
    connection.close()


def dead_letters(settings: Settings, count: int) -> list[bytes]:
    """The first `count` messages of the dead-letter queue or topic."""
    deadline = time.monotonic() + WAIT
    found: list[bytes] = []
    if settings.broker == "kafka":
        consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
        topic = kafka.topics(settings)[1]
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        while len(found) < count and time.monotonic() < deadline:
            for records in consumer.poll(500).values():
                found += [record.value for record in records]
        consumer.close()
        return found
    connection = rabbitmq.connect(settings)
    channel = connection.channel()
    while len(found) < count and time.monotonic() < deadline:
        method, _, body = channel.basic_get(rabbitmq.names(settings)[2], auto_ack=True)
        if method is None:
            connection.sleep(0.1)
            continue
        found.append(body)
    connection.close()
    return found


def register_and_login(base_url: str, email: str, password: str, name: str = "Test User") -> str:
    """Register (if not yet) and log in over REST; the access token."""
    requests.post(f"{base_url}/users", json={"name": name, "email": email, "password": password}, timeout=10)
    reply = requests.post(f"{base_url}/auth/login", json={"email": email, "password": password}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


class AdminAuth(requests.auth.AuthBase):
    """Adds the admin's token of whichever lab process a request goes to (registered and logged in once each)."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def token(self, base_url: str) -> str:
        with self._lock:
            if base_url not in self._tokens:
                self._tokens[base_url] = register_and_login(base_url, ADMIN_EMAIL, ADMIN_PASSWORD, "Admin")
            return self._tokens[base_url]

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url)
        if "Authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.token(f'{parts.scheme}://{parts.netloc}')}"
        return request


ADMIN = AdminAuth()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that calls as the admin of the lab it talks to."""
    with requests.Session() as session:
        session.auth = ADMIN
        yield session


@pytest.fixture
def anonymous() -> Iterator[requests.Session]:
    """A session that sends no token of its own."""
    with requests.Session() as session:
        yield session


class _Metadata(grpc.UnaryUnaryClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call (call credentials need a secure channel)."""

    def __init__(self, token: str) -> None:
        self._metadata = (("authorization", f"Bearer {token}"),)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = tuple(client_call_details.metadata or ()) + self._metadata
        return continuation(client_call_details._replace(metadata=metadata), request)


def with_token(channel: grpc.Channel, token: str) -> grpc.Channel:
    return grpc.intercept_channel(channel, _Metadata(token))


@pytest.fixture(scope="session")
def grpc_target(shared_lab: harness.LabProcess) -> str:
    return shared_lab.grpc_target


@pytest.fixture(scope="session")
def admin_token(shared_lab: harness.LabProcess) -> str:
    return ADMIN.token(shared_lab.http_url)


@pytest.fixture(scope="session")
def plain_channel(grpc_target: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(grpc_target) as open_channel:
        yield open_channel


@pytest.fixture(scope="session")
def channel(plain_channel: grpc.Channel, admin_token: str) -> grpc.Channel:
    """The shared lab's channel, every call carrying the admin's token."""
    return with_token(plain_channel, admin_token)


@pytest.fixture
def stub(channel: grpc.Channel) -> users_pb2_grpc.UserServiceStub:
    return users_pb2_grpc.UserServiceStub(channel)

"""Both brokers through the one interface, on real connections: the same tests for RabbitMQ and Kafka.

RabbitMQ is the one running on this machine (127.0.0.1:5672): each test uses exchanges and queues
of its own (a unique prefix) and deletes them afterwards. Kafka is a Tansu broker started for this
module on a free port (common/kafka_broker.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from .. import broker, brokers, rabbitmq
from ..events import PoisonEvent, parse, user_registered
from ..settings import Settings
from .conftest import dead_letters, publish_raw, require_rabbitmq

WAIT = 20.0


@pytest.fixture(params=["rabbitmq", "kafka"])
def settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    prefix = f"test-{secrets.token_hex(4)}"
    if request.param == "kafka":
        bootstrap = request.getfixturevalue("kafka_bootstrap_servers")
        yield Settings(broker="kafka", broker_prefix=prefix, kafka_bootstrap_servers=bootstrap)
        return
    chosen = Settings(broker="rabbitmq", broker_prefix=prefix)
    require_rabbitmq(chosen)
    yield chosen
    rabbitmq.delete_names(chosen)


class Crash(BaseException):
    """The consumer's process dies here: not an error the consumer handles, so nothing is acked."""


class Consuming:
    """A consumer running in its own thread, recording what its handler accepted."""

    def __init__(self, settings: Settings, handler: Callable[[bytes], None] | None = None) -> None:
        self.handled: list[str] = []
        self.stop = threading.Event()
        self._handler = handler
        self._thread = threading.Thread(target=self._run, args=(brokers.consumer(settings),), daemon=True)
        self._thread.start()

    def _run(self, consumer: broker.Consumer) -> None:
        with contextlib.suppress(Crash):
            consumer.run(self._handle, self.stop)

    def _handle(self, body: bytes) -> None:
        if self._handler is not None:
            self._handler(body)
        self.handled.append(parse(body).id)

    def wait_for(self, count: int) -> list[str]:
        deadline = time.monotonic() + WAIT
        while len(self.handled) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.handled) >= count, f"handled {len(self.handled)} of {count}"
        return self.handled

    def end(self) -> None:
        self.stop.set()
        self._thread.join(WAIT)


def events(n: int) -> list:
    return [user_registered(str(i), f"User {i}", f"user{i}@example.com") for i in range(n)]


def test_every_published_event_is_handled_once(settings: Settings) -> None:
    """Once each (Kafka keeps order per key, one user's events, not across users: so no order here)."""
    consuming = Consuming(settings)
    published = events(20)
    publisher = brokers.publisher(settings)
    publisher.publish(published)
    publisher.close()
    try:
        assert sorted(consuming.wait_for(20)) == sorted(event.id for event in published)
    finally:
        consuming.end()


def test_a_poison_message_goes_to_the_dead_letters_and_the_rest_flows(settings: Settings) -> None:
    consuming = Consuming(settings)
    publisher = brokers.publisher(settings)
    good = events(3)
    try:
        publisher.publish(good[:1])
        publish_raw(settings, b'{"not": "an event"}')
        publisher.publish(good[1:])
        assert sorted(consuming.wait_for(3)) == sorted(event.id for event in good)
        assert dead_letters(settings, 1) == [b'{"not": "an event"}']
    finally:
        publisher.close()
        consuming.end()


def test_a_failing_handler_is_retried_until_it_succeeds(settings: Settings) -> None:
    failures = [RuntimeError("the mail server is down"), RuntimeError("still down")]

    def flaky(body: bytes) -> None:
        if failures:
            raise failures.pop(0)

    consuming = Consuming(settings, flaky)
    publisher = brokers.publisher(settings)
    try:
        publisher.publish(events(1))
        assert len(consuming.wait_for(1)) == 1 and not failures
    finally:
        publisher.close()
        consuming.end()


def test_what_a_stopped_consumer_had_not_finished_is_delivered_again(settings: Settings) -> None:
    """At least once: the handler of a consumer that stops before acking sees its message again."""
    first_seen = threading.Event()

    def crash(body: bytes) -> None:
        first_seen.set()
        raise Crash

    published = events(1)
    publisher = brokers.publisher(settings)
    publisher.publish(published)
    publisher.close()
    dying = Consuming(settings, crash)
    assert first_seen.wait(WAIT)
    dying.end()
    again = Consuming(settings)
    try:
        assert again.wait_for(1) == [published[0].id]
    finally:
        again.end()


def test_an_unreachable_broker_is_brokerunavailable_at_once(settings: Settings) -> None:
    from common.harness import free_port

    port = free_port()
    gone = dataclasses.replace(
        settings, rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{port}/%2F", kafka_bootstrap_servers=f"127.0.0.1:{port}"
    )
    publisher = brokers.publisher(gone)
    started = time.monotonic()
    with pytest.raises(broker.BrokerUnavailable):
        publisher.publish(events(1))
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("settings", ["rabbitmq"], indirect=True)  # a Kafka topic takes every event
def test_an_event_no_queue_takes_comes_back_and_is_not_called_published(settings: Settings) -> None:
    """RabbitMQ's `mandatory`: an event routed nowhere comes back, and the publisher says so (it stays outboxed)."""
    publisher = brokers.publisher(settings)
    try:
        publisher.publish(events(1))  # the publisher has declared and bound the queue
        connection = rabbitmq.connect(settings)
        exchange, queue, _ = rabbitmq.names(settings)
        connection.channel().queue_unbind(queue, exchange, routing_key="user.registered")
        connection.close()
        with pytest.raises(broker.BrokerUnavailable, match="reached no queue"):
            publisher.publish(events(1))
    finally:
        publisher.close()


# handle_with_retries alone, with a clock the test reads: how many attempts, how long between them.


def attempts(failures: list[BaseException]) -> tuple[str | None, list[float], int]:
    """(the verdict, the waits between attempts, the calls) for a handler that raises `failures` in turn."""
    waits: list[float] = []
    calls = 0

    def handler(body: bytes) -> None:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)

    return broker.handle_with_retries(handler, b"{}", waits.append), waits, calls


def test_a_handler_that_always_fails_is_tried_five_times_with_backoff_then_dead():
    why, waits, calls = attempts([RuntimeError("the mail server is down")] * 10)
    assert why is not None and why.startswith("failed 5 times")
    assert calls == broker.MAX_ATTEMPTS == 5 and waits == [0.1, 0.2, 0.4, 0.8]


def test_poison_is_dead_at_once_and_a_passing_failure_is_retried():
    why, waits, calls = attempts([PoisonEvent("not JSON")])
    assert why == "poison: not JSON" and waits == [] and calls == 1
    why, waits, calls = attempts([RuntimeError("once"), RuntimeError("twice")])
    assert why is None and waits == [0.1, 0.2] and calls == 3

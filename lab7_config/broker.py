"""One small interface to a message broker, so the services do not care which one carries their events.

A `Publisher` hands events to the broker and returns only once the broker has taken responsibility
for every one of them (RabbitMQ: a publisher confirm for a persistent message routed to a durable
queue; Kafka: `acks=all` from every in-sync replica); otherwise it raises `BrokerUnavailable` and
the caller (the outbox relay) tries again later.

A `Consumer` calls a handler for each message and tells the broker the message is done (RabbitMQ:
ack; Kafka: commit) only after the handler returned. A handler that raises `PoisonEvent` sends the
message to the dead letters at once; any other error is retried with backoff, `MAX_ATTEMPTS` times
in all, then dead-lettered too. So a message is delivered at least once, and the handler must be
idempotent (the notifier remembers event ids).

`BROKER` chooses the implementation (brokers.py): rabbitmq.py (pika) or kafka.py (kafka-python).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry

from .events import Event, PoisonEvent
from .metrics import NotifierMetrics

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # deliveries of one message to the handler before it goes to the dead letters
FIRST_BACKOFF = 0.1  # seconds before the second attempt; doubled each time, at most MAX_BACKOFF
MAX_BACKOFF = 5.0

Handler = Callable[[bytes], None]


class BrokerUnavailable(RuntimeError):
    """The broker cannot be reached, or did not confirm: nothing is lost, try again later."""


class Publisher(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Hand every event to the broker and wait for its confirmation; BrokerUnavailable otherwise."""

    def close(self) -> None: ...


class Consumer(Protocol):
    def run(self, handle: Handler, stop: threading.Event, connected: threading.Event | None = None) -> None:
        """Deliver messages to `handle` until `stop` is set; raises BrokerUnavailable when the broker goes away.

        `connected`, when given, is set while the consumer is connected to the broker (the notifier's /healthz).
        """

    def close(self) -> None: ...


def quiet_clients() -> None:
    """pika and kafka-python log every connection, and a lost one as tracebacks: the outbox relay and the
    consumer say in one line when the broker goes away and when it is back."""
    for chatty in ("pika", "kafka"):
        logging.getLogger(chatty).setLevel(logging.CRITICAL)


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt number `attempt` + 1 (exponential, capped)."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1))


@functools.cache
def _unread() -> NotifierMetrics:
    """Counters that nobody reads, for a handler run without metrics (a unit test's)."""
    return NotifierMetrics(CollectorRegistry())


def handle_with_retries(
    handle: Handler, body: bytes, sleep: Callable[[float], None] = time.sleep, metrics: NotifierMetrics | None = None
) -> str | None:
    """Run the handler, retrying with backoff; None when it succeeded, else why the message is a dead letter.

    Lab 6: `metrics` counts the failed attempts, the retries and the dead letters, by reason.
    """
    metrics = metrics or _unread()
    # >>> lab 5 · handle_with_retries: PoisonEvent: dead now; else retry after backoff(attempt), MAX_ATTEMPTS in all
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            handle(body)
            return None
        except PoisonEvent as exc:
            metrics.dead_lettered.labels("poison").inc()
            return f"poison: {exc}"
        except Exception as exc:  # a failure that may pass: the mail server is down, say
            metrics.failed.inc()
            log.warning("handling failed (attempt %d of %d): %s", attempt, MAX_ATTEMPTS, exc)
            if attempt < MAX_ATTEMPTS:
                sleep(backoff(attempt))
                metrics.retried.inc()
    metrics.dead_lettered.labels("failed").inc()
    return f"failed {MAX_ATTEMPTS} times"
    # <<< lab 5

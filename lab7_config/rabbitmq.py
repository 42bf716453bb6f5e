"""RabbitMQ with pika: a queue, with publisher confirms going in and acks coming out.

The topology, declared (idempotently) by both sides, so either may start first:

    exchange <prefix>.users (topic, durable)
      --user.registered--> queue <prefix>.notifications (durable)
    queue <prefix>.notifications.dead-letter (durable): what the notifier could not handle

Publishing: persistent messages, `mandatory` (a message no queue would take comes back, and is an
error, not a silent drop), with publisher confirms: RabbitMQ acks a message once its durable queue
has it. A batch goes out at once and its confirms are awaited together (RabbitPublisher).
Consuming: manual acks, a prefetch of 50; a message that cannot be handled is published to the
dead-letter queue (with the reason in a header), confirmed, and only then acked.

A pika connection is not thread-safe, and a BlockingConnection answers the broker's heartbeats only
while it is called: each side here owns its connection in one thread, and the consumer waits
through `connection.sleep` / `process_data_events`, never `time.sleep`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Sequence

import pika
import pika.exceptions

from .broker import BrokerUnavailable, Handler, handle_with_retries
from .events import USER_REGISTERED, Event
from .metrics import NotifierMetrics
from .settings import Settings

log = logging.getLogger(__name__)

PREFETCH = 50
HEARTBEAT_SECONDS = 30
CONNECT_SECONDS = 5
CONFIRM_SECONDS = 10  # for a batch's confirms
PERSISTENT = pika.DeliveryMode.Persistent


def names(settings: Settings) -> tuple[str, str, str]:
    """(exchange, queue, dead-letter queue)."""
    prefix = settings.broker_prefix
    return f"{prefix}.users", f"{prefix}.notifications", f"{prefix}.notifications.dead-letter"


def parameters(settings: Settings) -> pika.URLParameters:
    chosen = pika.URLParameters(settings.rabbitmq_url)
    chosen.heartbeat = HEARTBEAT_SECONDS
    chosen.blocked_connection_timeout = CONNECT_SECONDS
    chosen.socket_timeout = CONNECT_SECONDS
    chosen.connection_attempts = 1
    return chosen


def connect(settings: Settings) -> pika.BlockingConnection:
    chosen = parameters(settings)
    try:
        return pika.BlockingConnection(chosen)
    except pika.exceptions.AMQPError as exc:
        raise BrokerUnavailable(f"RabbitMQ at {chosen.host}:{chosen.port}: {exc!r}") from None


def properties(event: Event) -> pika.BasicProperties:
    return pika.BasicProperties(
        content_type="application/cloudevents+json", delivery_mode=PERSISTENT, message_id=event.id, type=event.type
    )


def declare(channel: pika.adapters.blocking_connection.BlockingChannel, settings: Settings) -> None:
    exchange, queue, dead_letters = names(settings)
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key=USER_REGISTERED)
    channel.queue_declare(dead_letters, durable=True)


def delete_names(settings: Settings) -> None:
    """Delete the exchange and both queues (and what they hold): the tests leave the broker as they found it."""
    with contextlib.closing(connect(settings)) as connection:
        channel = connection.channel()
        exchange, queue, dead_letters = names(settings)
        channel.queue_delete(queue)
        channel.queue_delete(dead_letters)
        channel.exchange_delete(exchange)


class RabbitPublisher:
    """Publishes with publisher confirms, pipelined: a whole batch goes out, then its confirms come back.

    pika's BlockingConnection waits for each confirm before the next message goes out, a round trip
    per message (about 1,300 messages/s here). So the publisher drives pika's asynchronous
    SelectConnection in a thread of its own (`_Link`), which also answers the broker's heartbeats
    while the relay is idle. `publish` hands it a batch and returns once RabbitMQ has acked every
    message of it (one ack may cover many: `multiple`). A nack, a message returned as unroutable
    (`mandatory`: the return comes before its ack), a lost connection, or no confirm within
    CONFIRM_SECONDS raise BrokerUnavailable; the next call connects again.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._link: _Link | None = None

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        try:
            if self._link is None or self._link.failure is not None:
                self.close()
                self._link = _Link(self.settings)
            self._link.publish(events)
        except BrokerUnavailable:
            self.close()
            raise

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
        self._link = None


class _Link:
    """One connection and confirm-mode channel, owned by an I/O thread; `publish` waits for a batch's confirms.

    Every pika call happens in the I/O thread: the caller's thread only hands it work through
    `add_callback_threadsafe` and waits on an Event.
    """

    def __init__(self, settings: Settings) -> None:
        self._exchange = names(settings)[0]
        with contextlib.closing(connect(settings)) as setup:  # the topology, once, the simple way
            declare(setup.channel(), settings)
        self.failure: str | None = None
        self._channel: pika.channel.Channel | None = None
        self._published = 0  # delivery tag of the last message sent (the channel numbers them from 1)
        self._unconfirmed: set[int] = set()
        self._returned = 0
        self._settled = threading.Event()  # the channel is ready, or the batch confirmed, or it failed
        self._connection = pika.SelectConnection(
            parameters(settings),
            on_open_callback=lambda connection: connection.channel(on_open_callback=self._on_channel),
            on_open_error_callback=lambda _, error: self._fail(f"cannot connect: {error!r}"),
            on_close_callback=lambda _, reason: self._fail(f"the connection closed: {reason!r}"),
        )
        self._thread = threading.Thread(target=self._connection.ioloop.start, name="rabbitmq publisher", daemon=True)
        self._thread.start()
        self._wait("the channel did not open")

    def publish(self, events: Sequence[Event]) -> None:
        self._settled.clear()
        self._connection.ioloop.add_callback_threadsafe(functools.partial(self._send, list(events)))
        self._wait("RabbitMQ did not confirm the batch")
        if self._returned:
            returned, self._returned = self._returned, 0
            raise BrokerUnavailable(f"{returned} events reached no queue (is the notifications queue bound?)")

    def close(self) -> None:
        self._connection.ioloop.add_callback_threadsafe(self._shut)
        self._thread.join(CONNECT_SECONDS)

    def _wait(self, what: str) -> None:
        if not self._settled.wait(CONFIRM_SECONDS):
            self.failure = f"{what} within {CONFIRM_SECONDS} s"
        if self.failure is not None:
            raise BrokerUnavailable(f"RabbitMQ: {self.failure}")

    # The rest runs in the I/O thread.

    def _on_channel(self, channel: pika.channel.Channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(lambda _, reason: self._fail(f"the channel closed: {reason!r}"))
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=lambda _: self._settled.set())

    def _send(self, events: list[Event]) -> None:
        assert self._channel is not None
        try:
            for event in events:
                self._channel.basic_publish(self._exchange, event.type, event.to_json(), properties(event), True)
                self._published += 1
                self._unconfirmed.add(self._published)
        except pika.exceptions.AMQPError as exc:
            self._fail(f"publishing failed: {exc!r}")

    def _on_confirm(self, frame: pika.frame.Method) -> None:
        confirm = frame.method
        if isinstance(confirm, pika.spec.Basic.Nack):
            self._fail("RabbitMQ refused a message (nack)")
            return
        tag = confirm.delivery_tag
        self._unconfirmed -= {t for t in self._unconfirmed if t <= tag} if confirm.multiple else {tag}
        if not self._unconfirmed:
            self._settled.set()

    def _on_return(self, *returned: object) -> None:
        self._returned += 1

    def _fail(self, why: str) -> None:
        if self.failure is None:
            self.failure = why
        self._settled.set()
        if self._connection.is_closed:
            self._connection.ioloop.stop()

    def _shut(self) -> None:
        if self._connection.is_closed:
            self._connection.ioloop.stop()
        elif not self._connection.is_closing:
            self._connection.close()  # its on_close_callback stops the loop


class RabbitConsumer:
    """Consumes the notifications queue; acks after the handler, dead-letters what it cannot handle."""

    def __init__(self, settings: Settings, metrics: NotifierMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics  # lab 6: failures, retries, dead letters
        self._connection: pika.BlockingConnection | None = None

    def run(self, handle: Handler, stop: threading.Event, connected: threading.Event | None = None) -> None:
        _, queue, dead_letters = names(self.settings)
        try:
            self._connection = connect(self.settings)
            channel = self._connection.channel()
            declare(channel, self.settings)
            channel.basic_qos(prefetch_count=PREFETCH)
            channel.confirm_delivery()  # a dead letter is confirmed before its original is acked
            if connected is not None:
                connected.set()  # a lost connection raises below
            for method, properties, body in channel.consume(queue, inactivity_timeout=0.5):
                if stop.is_set():
                    break
                if method is None:
                    continue  # nothing arrived for half a second: look at `stop` again
                why = handle_with_retries(handle, body, self._connection.sleep, self.metrics)
                if why is not None:
                    headers = {**(properties.headers or {}), "x-dead-letter-reason": why}
                    dead = pika.BasicProperties(
                        content_type=properties.content_type, delivery_mode=PERSISTENT, headers=headers
                    )
                    channel.basic_publish("", dead_letters, body, dead)
                    log.warning("dead letter (%s): a message of %d bytes", why, len(body))  # not its personal data
                channel.basic_ack(method.delivery_tag)
            if not stop.is_set():  # the broker cancelled the consumer (its queue was deleted): back off, then declare
                raise BrokerUnavailable("RabbitMQ cancelled the consumer")
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise BrokerUnavailable(f"RabbitMQ went away: {exc!r}") from None
        finally:
            self.close()

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                self._connection.close()
        self._connection = None

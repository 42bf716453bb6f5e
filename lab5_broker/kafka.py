"""Kafka with kafka-python: a log, with `acks=all` going in and committed offsets coming out.

Topics, created (idempotently) by both sides, so either may start first: `<prefix>.user-registered`
(the events, keyed by user id, so one user's events stay in order; PARTITIONS partitions) and
`<prefix>.user-registered.dead-letter`.

Publishing: an idempotent producer (`enable_idempotence`, so a retried send is not written twice)
with `acks=all`; `publish` waits for every send's acknowledgement. Consuming: a consumer group
(`<prefix>.notifier`), auto-commit off: offsets are committed after each batch has been handled,
so a notifier that dies re-reads what it had not finished (and the handler's idempotence makes that
harmless). The group's session timeout is 6 s and its heartbeat 1 s: a restarted notifier rejoins
in about 3 s instead of about 20 with the defaults. A KafkaConsumer is not thread-safe: the
consumer's thread alone touches it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from .broker import BrokerUnavailable, Handler, handle_with_retries
from .events import Event
from .settings import Settings

log = logging.getLogger(__name__)

SEND_SECONDS = 5  # for a send to be acknowledged, or to reach the broker at all
POLL_MS = 500
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_MS = 1000
PARTITIONS = 3  # the most consumers of one group that can share the work


def topics(settings: Settings) -> tuple[str, str]:
    """(events, dead letters)."""
    return f"{settings.broker_prefix}.user-registered", f"{settings.broker_prefix}.user-registered.dead-letter"


def declare(settings: Settings) -> None:
    """Create both topics unless they exist: a consumer waiting on a topic nobody has created yet gets
    no partitions, and would only see the first events once its metadata is next refreshed."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        request_timeout_ms=SEND_SECONDS * 1000,
        bootstrap_timeout_ms=SEND_SECONDS * 1000,  # an unreachable broker is an error in seconds, not minutes
    )
    try:
        for name in topics(settings):
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        admin.close()


class KafkaPublisher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: KafkaProducer | None = None

    def publish(self, events: Sequence[Event]) -> None:
        topic, _ = topics(self.settings)
        try:
            producer = self._open()
            sends = [producer.send(topic, event.to_json(), key=event.data["id"].encode()) for event in events]
            producer.flush(SEND_SECONDS)
            for send in sends:
                send.get(SEND_SECONDS)
        except KafkaError as exc:
            self.close()
            raise BrokerUnavailable(f"Kafka did not acknowledge: {exc!r}") from None

    def _open(self) -> KafkaProducer:
        if self._producer is None:
            declare(self.settings)
            self._producer = KafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                acks="all",
                enable_idempotence=True,
                linger_ms=2,
                request_timeout_ms=SEND_SECONDS * 1000,
                max_block_ms=SEND_SECONDS * 1000,
                reconnect_backoff_max_ms=1000,
                bootstrap_timeout_ms=SEND_SECONDS * 1000,
            )
        return self._producer

    def close(self) -> None:
        """Let go of the producer; what it still held is dropped (the outbox still has it: published again)."""
        if self._producer is not None:
            with contextlib.suppress(KafkaError):  # it flushes first, and a broker that is gone times that out
                self._producer.close(timeout=1)
        self._producer = None


class KafkaEventConsumer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._consumer: KafkaConsumer | None = None
        self._dead_letters: KafkaProducer | None = None

    def run(self, handle: Handler, stop: threading.Event, connected: threading.Event | None = None) -> None:
        topic, dead_topic = topics(self.settings)
        try:
            declare(self.settings)
            self._consumer = KafkaConsumer(
                topic,
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                group_id=f"{self.settings.broker_prefix}.notifier",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=SESSION_TIMEOUT_MS,
                heartbeat_interval_ms=HEARTBEAT_MS,
                max_poll_records=100,
            )
            while not stop.is_set():
                batches = self._consumer.poll(POLL_MS)
                if connected is not None:  # kafka-python reconnects inside poll and raises nothing meanwhile
                    self._report(connected)
                for partition, records in batches.items():
                    for record in records:
                        why = handle_with_retries(handle, record.value)
                        if why is not None:
                            self._dead_letter(dead_topic, record.key, record.value or b"", why)
                    self._commit(partition, records[-1].offset + 1)
        except KafkaError as exc:
            raise BrokerUnavailable(f"Kafka went away: {exc!r}") from None
        finally:
            self.close()

    def _report(self, connected: threading.Event) -> None:
        """Set `connected` while the client holds a connection to the broker (from its own metrics) and
        the group has given it partitions to read (a new member has none for its first seconds)."""
        assert self._consumer is not None
        if self._consumer.metrics()["consumer-metrics"]["connection-count"] > 0 and self._consumer.assignment():
            connected.set()
        else:
            connected.clear()

    def _commit(self, partition: TopicPartition, offset: int) -> None:
        assert self._consumer is not None
        self._consumer.commit({partition: OffsetAndMetadata(offset, None, -1)})

    def _dead_letter(self, topic: str, key: bytes | None, body: bytes, why: str) -> None:
        if self._dead_letters is None:
            self._dead_letters = KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all")
        headers = [("x-dead-letter-reason", why.encode())]
        self._dead_letters.send(topic, body, key=key, headers=headers).get(SEND_SECONDS)
        log.warning("dead letter (%s): a message of %d bytes", why, len(body))  # its text may be personal data

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
        if self._dead_letters is not None:
            with contextlib.suppress(KafkaError):
                self._dead_letters.close(timeout=1)
        self._consumer = self._dead_letters = None

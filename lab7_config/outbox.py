"""The outbox relay: publish the events the store recorded with each registration, until the broker confirms.

A registration must not fail because the broker is down, and its event must not be lost either. So
the users service never publishes while it answers: the store records the user and its event
together (store.py), and this relay, a component of its own, takes pending events in batches,
publishes them and removes them from the outbox only once the broker has confirmed each one. While
the broker is unreachable it waits, with exponential backoff, and tries again: registrations go on,
the outbox grows, and it drains when the broker is back. An event may be published twice (the
broker confirmed, and the relay stopped before removing it): consumers must be idempotent.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from . import tracing
from .broker import BrokerUnavailable, Publisher
from .domain import Unavailable
from .events import Event
from .metrics import UsersMetrics
from .store import Store

log = logging.getLogger(__name__)

BATCH = 500  # events published per round trip of confirmations
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 5.0


class OutboxRelay:
    """The lab's component that empties the outbox into the broker."""

    name = "outbox relay"

    def __init__(
        self, store: Store, publisher: Callable[[], Publisher], metrics: UsersMetrics | None = None
    ) -> None:
        self.store = store
        self.metrics = metrics or UsersMetrics(CollectorRegistry())  # lab 6: events published, outbox backlog
        self.metrics.watch_outbox(self._backlog)
        self._make_publisher = publisher
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def begin_stop(self, grace: float) -> None:
        self._stop.set()
        self.store.event_recorded.set()  # wake the relay: it publishes what is pending, then ends

    def wait_stopped(self, timeout: float) -> None:
        self._thread.join(timeout)
        if left := self._backlog():
            log.warning("%.0f events are still in the outbox (the broker did not confirm them in time)", left)

    def _backlog(self) -> float:
        """Events in the outbox; NaN when the store cannot say (lab 7: a database out of reach), which
        Prometheus reads as "no value", not as an empty outbox."""
        try:
            return self.store.outbox_size()
        except Unavailable:
            return math.nan

    def _run(self) -> None:
        publisher = self._make_publisher()
        backoff = 0.0
        try:
            while True:
                if backoff and self._stop.wait(backoff):
                    return
                try:
                    batch = self.store.pending_events(BATCH)  # lab 7: the store may fail too (a database away)
                    if not batch:
                        if self._stop.is_set():
                            return
                        self.store.event_recorded.wait(1.0)
                        self.store.event_recorded.clear()
                        continue
                    self._publish(publisher, batch)
                except Exception as exc:  # BrokerUnavailable, Unavailable, or a client's bug: the relay lives on
                    backoff = min(MAX_BACKOFF, max(FIRST_BACKOFF, backoff * 2))
                    waiting = self._backlog()
                    log.warning("%.0f events wait in the outbox: %s (next try in %.1f s)", waiting, exc, backoff)
                    if not isinstance(exc, BrokerUnavailable | Unavailable):
                        log.exception("the publisher failed unexpectedly: it starts afresh")
                        publisher.close()  # it connects again on the next publish
                    continue
                if backoff:
                    log.info("the broker is back: publishing the outbox again")
                backoff = 0.0
        finally:
            publisher.close()

    def _publish(self, publisher: Publisher, batch: list[Event]) -> None:
        """Hand the batch to the broker; only once it has confirmed every event do they leave the outbox."""
        # >>> lab 5 · OutboxRelay._publish: publisher.publish(batch) returns once confirmed; then mark_published the ids
        publisher.publish(batch)
        self.store.mark_published([event.id for event in batch])
        # <<< lab 5
        self.metrics.events_published.inc(len(batch))
        for event in batch:  # lab 6: one line per event, in its registration's trace
            with tracing.traced(event.traceparent):
                log.info("published event %s", event.id)

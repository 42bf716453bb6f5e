"""The outbox and its relay, with a publisher the test controls: an event leaves the outbox only once
published, stays while the broker is away, and is published again when it is back."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence

from ..broker import BrokerUnavailable
from ..domain import UserFields
from ..events import Event
from ..outbox import OutboxRelay
from ..store import UserStore

WAIT = 10.0
NUMBERS = itertools.count(1)


class Publisher:
    """Takes what it is given, or refuses everything while `down` is set; `published` holds what it took."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.down = threading.Event()
        self.tried = threading.Event()
        self.closed = 0

    def publish(self, events: Sequence[Event]) -> None:
        self.tried.set()
        if self.down.is_set():
            raise BrokerUnavailable("down for the test")
        self.published += [event.id for event in events]

    def close(self) -> None:
        self.closed += 1


def register(store: UserStore, count: int) -> None:
    for _ in range(count):
        number = next(NUMBERS)
        store.create(UserFields(name=f"User {number}", email=f"user{number}@outbox.example"))


def until(condition: Callable[[], bool]) -> bool:
    """Poll `condition` until it holds (True) or WAIT has passed (False)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_registration_leaves_the_outbox_once_published_and_only_then():
    store, publisher = UserStore(), Publisher()
    relay = OutboxRelay(store, lambda: publisher)
    publisher.down.set()
    relay.start()
    try:
        register(store, 3)
        assert until(publisher.tried.is_set)
        assert store.outbox_size() == 3, "refused events stay in the outbox"
        publisher.down.clear()
        assert until(lambda: store.outbox_size() == 0), "the relay publishes them once the broker is back"
        assert len(publisher.published) == 3 == len(set(publisher.published))
        register(store, 2)
        assert until(lambda: len(publisher.published) == 5 and store.outbox_size() == 0)
    finally:
        relay.begin_stop(1.0)
        relay.wait_stopped(5.0)
    assert publisher.closed == 1


def test_a_stopping_relay_publishes_what_is_pending_first():
    store, publisher = UserStore(), Publisher()
    relay = OutboxRelay(store, lambda: publisher)
    register(store, 4)
    relay.start()
    relay.begin_stop(1.0)
    relay.wait_stopped(5.0)
    assert len(publisher.published) == 4 and store.outbox_size() == 0

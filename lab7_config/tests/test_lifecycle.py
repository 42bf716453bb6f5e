"""Unit tests of the lifecycle with stand-in components: order, failure at start, one grace period."""

from __future__ import annotations

import time

import pytest

from ..lifecycle import Lifecycle, StartError


class Component:
    """A stand-in that records what the lifecycle asks of it."""

    def __init__(self, name: str, calls: list[str], fails: bool = False, drain: float = 0.0) -> None:
        self.name, self.calls, self.fails, self.drain = name, calls, fails, drain
        self.stop_requested_at: float | None = None

    def start(self) -> None:
        self.calls.append(f"start {self.name}")
        if self.fails:
            raise StartError(f"{self.name} cannot start")

    def begin_stop(self, grace: float) -> None:
        self.calls.append(f"begin_stop {self.name} {grace}")
        self.stop_requested_at = time.monotonic()

    def wait_stopped(self, timeout: float) -> None:
        self.calls.append(f"wait {self.name}")
        time.sleep(min(self.drain, timeout))


def test_components_start_in_order_and_stop_together():
    calls: list[str] = []
    lifecycle = Lifecycle([Component("a", calls), Component("b", calls)], grace=2.0)
    lifecycle.start()
    lifecycle.stop()
    # Lab 7: waited for in reverse order: "a" may serve "b" until "b" has stopped.
    assert calls == ["start a", "start b", "begin_stop a 2.0", "begin_stop b 2.0", "wait b", "wait a"]


def test_a_component_that_cannot_start_stops_those_already_started():
    calls: list[str] = []
    lifecycle = Lifecycle([Component("a", calls), Component("b", calls, fails=True), Component("c", calls)], 1.0)
    with pytest.raises(StartError, match="b cannot start"):
        lifecycle.start()
    assert calls == ["start a", "start b", "begin_stop a 1.0", "wait a"]


def test_a_second_stop_request_changes_nothing():
    calls: list[str] = []
    lifecycle = Lifecycle([Component("a", calls)], grace=1.0)
    lifecycle.begin_stop()
    lifecycle.begin_stop()
    assert calls == ["begin_stop a 1.0"]


def test_every_component_shares_one_grace_period():
    calls: list[str] = []
    slow = [Component(name, calls, drain=5.0) for name in ("a", "b", "c")]
    lifecycle = Lifecycle(slow, grace=0.3)
    started = time.monotonic()
    lifecycle.stop()
    assert time.monotonic() - started < 1.0, "three slow components must not get a grace period each"

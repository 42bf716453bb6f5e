"""Start the lab's components in order, and stop them all together within one grace period.

A component is anything the lab runs beside the HTTP API: from lab 2 the gRPC server, later a
WebSocket hub, a broker consumer, a metrics endpoint. `__main__` lists them; the HTTP server
starts them once its worker process exists and stops them when it stops, so that no component
needs to know about another.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

log = logging.getLogger(__name__)


class Component(Protocol):
    """What the lifecycle needs of a component."""

    name: str

    def start(self) -> None:
        """Start serving; return once ready. Raise StartError if it cannot."""

    def begin_stop(self, grace: float) -> None:
        """Refuse new work at once (say so to health checks) and give work in progress `grace` seconds."""

    def wait_stopped(self, timeout: float) -> None:
        """Block until the component has stopped, or `timeout` seconds have passed."""


class StartError(RuntimeError):
    """A component cannot start; the message names the setting to change."""


class Lifecycle:
    """The lab's components, started in order and stopped together."""

    def __init__(self, components: Sequence[Component], grace: float) -> None:
        self.components = list(components)
        self.grace = grace
        self._stopping_since: float | None = None

    def start(self) -> None:
        """Start each component in order; if one fails, stop those already started and raise."""
        started: list[Component] = []
        for component in self.components:
            try:
                component.start()
            except Exception:
                Lifecycle(started, self.grace).stop()
                raise
            started.append(component)

    def begin_stop(self) -> None:
        """Tell every component to stop taking work; returns at once. A second call changes nothing."""
        if self._stopping_since is not None:
            return
        self._stopping_since = time.monotonic()
        for component in self.components:
            component.begin_stop(self.grace)

    def stop(self) -> None:
        """Stop every component and wait, at most the grace period from the first stop request.

        Lab 7: waited for in reverse start order. What started first may serve the others until they
        have stopped: the PostgreSQL store closes its connections only once the relay and gRPC are done.
        """
        self.begin_stop()
        assert self._stopping_since is not None
        deadline = self._stopping_since + self.grace
        for component in reversed(self.components):
            component.wait_stopped(max(deadline - time.monotonic(), 0.0))
            log.info("%s stopped", component.name)

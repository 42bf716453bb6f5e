"""The lab's metrics, which Prometheus scrapes from ``GET /metrics`` on each service's HTTP port.

Each process keeps its metrics in a registry of its own, not in prometheus_client's global one:
two apps in one process (a test starts several) would otherwise share, and collide on, the same
names. A metric is a number that only the process can know at any moment, kept cheaply as it
changes; Prometheus takes a snapshot every few seconds and keeps the history.

- USE, of the process itself: CPU seconds, resident memory, open file descriptors.
- RED, of what it serves: the rate of requests, of errors among them, and their duration as a
  histogram (buckets, so that any percentile can be computed later, across processes too). HTTP
  comes from prometheus-flask-exporter, grouped by route: ``/users/<user_id>`` is one series,
  however many users there are, because every label value makes a series of its own (cardinality).
  gRPC comes from grpc_observe.py, by method and status code.
- What this lab does: WebSocket connections and messages, and the event pipeline from the outbox
  to the notification (published, waiting, consumed, failed, retried, dead-lettered, and the delay).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_flask_exporter import PrometheusMetrics

NAMESPACE = "microlabs"
# Seconds: a request here takes from under a millisecond (a read) to ~100 ms (a password hash).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds from a registration to its notification: milliseconds normally, minutes after an outage.
DELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
UNMATCHED = "unmatched"  # the route of a request no route matches: one series for all of them


def registry() -> CollectorRegistry:
    """A new registry holding the process's own metrics (CPU, memory, file descriptors, Python's GC)."""
    disable_created_metrics()  # a counter's creation time as a series of its own: Prometheus does not need it
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def route(req: Request) -> str:
    """The label of an HTTP request: its route's rule, never its raw path (which has an id in it)."""
    return req.url_rule.rule if req.url_rule is not None else UNMATCHED


def install(app: Flask, registry: CollectorRegistry) -> None:
    """HTTP RED for every route of `app`, and GET /metrics serving `registry` (this process's metrics)."""
    PrometheusMetrics(
        app,
        registry=registry,
        path=None,  # served below, by a view of the lab's own (the starter leaves it to write)
        group_by=route,
        buckets=LATENCY_BUCKETS,
        excluded_paths=["^/ws$"],  # a WebSocket connection lasts minutes: websocket_* measures it instead
    )

    def metrics() -> Response:
        """This process's metrics, in Prometheus's text format (for Prometheus: not in the API's document)."""
        # >>> lab 6 · metrics: answer every sample of `registry`, in the text format Prometheus reads
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
        # <<< lab 6

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])


class UsersMetrics:
    """What the users service measures beyond HTTP: gRPC, WebSocket, and its side of the pipeline."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        grpc_labels = ("grpc_type", "grpc_service", "grpc_method")
        # The names gRPC's own Prometheus middleware uses (go-grpc-prometheus), so dashboards carry over.
        self.grpc_started = Counter("grpc_server_started_total", "gRPC calls started.", grpc_labels, registry=registry)
        self.grpc_handled = Counter(
            "grpc_server_handled_total", "gRPC calls finished, by status code.", (*grpc_labels, "grpc_code"),
            registry=registry,
        )  # fmt: skip
        self.grpc_seconds = Histogram(
            "grpc_server_handling_seconds", "gRPC call duration in seconds.", grpc_labels,
            buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.websocket_connections = Gauge(
            "websocket_connections", "WebSocket connections open now.", namespace=NAMESPACE, registry=registry
        )
        self.websocket_messages = Counter(
            "websocket_messages", "WebSocket messages received (in) and delivered to each member (out).",
            ("direction", "type"), namespace=NAMESPACE, registry=registry,
        )  # fmt: skip
        for direction in ("in", "out"):
            for kind in ("text", "binary"):
                self.websocket_messages.labels(direction, kind)
        self.events_published = Counter(
            "events_published", "Events the broker confirmed.", namespace=NAMESPACE, registry=registry
        )
        self.outbox_events = Gauge(
            "outbox_events", "Events waiting in the outbox for the broker.", namespace=NAMESPACE, registry=registry
        )

    def watch_outbox(self, size: Callable[[], int]) -> None:
        """The backlog is read when Prometheus scrapes, not counted as it changes."""
        self.outbox_events.set_function(size)


class NotifierMetrics:
    """What the notifier measures: its side of the pipeline."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.consumed = Counter(
            "events_consumed", "Events handled: notified, or a duplicate of one already notified.", ("outcome",),
            namespace=NAMESPACE, registry=registry,
        )  # fmt: skip
        self.failed = Counter(
            "events_failed", "Attempts to handle an event that failed (poison aside).",
            namespace=NAMESPACE, registry=registry,
        )  # fmt: skip
        self.retried = Counter(
            "events_retried", "Attempts made again after a failure.", namespace=NAMESPACE, registry=registry
        )
        self.dead_lettered = Counter(
            "events_dead_lettered", "Messages sent to the dead letters: poison, or failed every attempt.",
            ("reason",), namespace=NAMESPACE, registry=registry,
        )  # fmt: skip
        self.delay = Histogram(
            "notification_delay_seconds", "Seconds from the registration (the event's time) to its notification.",
            buckets=DELAY_BUCKETS, namespace=NAMESPACE, registry=registry,
        )  # fmt: skip
        self.connected = Gauge(
            "consumer_connected", "1 while the notifier consumes from the broker, else 0.",
            namespace=NAMESPACE, registry=registry,
        )  # fmt: skip
        for outcome in ("notified", "duplicate"):
            self.consumed.labels(outcome)
        for reason in ("poison", "failed"):
            self.dead_lettered.labels(reason)

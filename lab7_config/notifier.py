"""The notifications service: ``python -m lab7_config.notifier`` (``python -m lab7_config`` starts it too).

It consumes `user.registered` events from the broker (BROKER: rabbitmq or kafka) and notifies each
new user once: an email through SMTP_HOST when it is set, and always a record that
``GET /notifications`` (``?user_id=``) shows on NOTIFIER_HTTP_PORT, beside ``/healthz``. The broker
is told a message is done only after the notification is recorded; a redelivered event finds its
record and is acked without notifying twice. When the broker goes away, the consumer reconnects
with backoff; the HTTP side keeps answering (``/healthz`` says whether it is consuming).

Lab 7: SIGHUP re-reads the notifier's settings and applies LOG_LEVEL (http_server.py, logs.reload),
whether it runs alone or as the child of ``python -m lab7_config``, which passes its own SIGHUP on.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from prometheus_client import CollectorRegistry

from . import broker, brokers, logs, metrics, rest_observe, tracing
from .domain import FieldError
from .events import Event, parse
from .http_server import listen, serve
from .lifecycle import Lifecycle, StartError
from .mailer import Mailer
from .metrics import NotifierMetrics
from .notifications import Notifications, welcome
from .rest_errors import problem, register_error_handlers
from .settings import Settings, SettingsError, load

log = logging.getLogger(f"{__package__}.notifier")  # not "__main__" under python -m

PAGE = 1000  # notifications per page, at most
RECONNECT_BACKOFF = (0.2, 5.0)  # first and longest wait between reconnections, seconds
READY_SECONDS = 30.0


class Notifier:
    """Handles one event: notify (email, then the record), once per event id."""

    def __init__(self, notifications: Notifications, mailer: Mailer, metrics: NotifierMetrics | None = None) -> None:
        self.notifications = notifications
        self.mailer = mailer
        self.metrics = metrics or NotifierMetrics(CollectorRegistry())

    def handle(self, body: bytes) -> None:
        event = parse(body)  # PoisonEvent: straight to the dead letters
        with tracing.traced(tracing.joined(event.traceparent)):  # lab 6: logged with the registration's trace id
            try:
                outcome = self.notify(event)
            except Exception as exc:
                log.warning("notifying user %s failed: %s", event.data["id"], exc)  # in its trace; retried
                raise
        try:
            self.count(event, outcome)
        except NotImplementedError:  # a starter's part not written yet: the notification is done all the same
            pass
        except Exception:  # a metric must never undo (nor repeat) the work it measures
            log.exception("counting event %s failed", event.id)

    def count(self, event: Event, outcome: str) -> None:
        """Lab 6: the event, handled ("notified" or "duplicate"), in the metrics; a notification's delay too."""
        # >>> lab 6 · Notifier.count: count the event by its outcome; for a notification, record how late it came
        self.metrics.consumed.labels(outcome).inc()
        if outcome == "notified":
            self.metrics.delay.observe(seconds_since(event.time))
        # <<< lab 6

    def notify(self, event: Event) -> str:
        """Notify once: "notified", or "duplicate" for an event already notified."""
        # >>> lab 5 · Notifier.notify: an event id already seen: log, "duplicate"; else email if enabled, then record
        if self.notifications.seen(event.id):
            log.info("event %s was delivered again: already notified", event.id)
            return "duplicate"
        channels: tuple[str, ...] = ("record",)
        if self.mailer.enabled:
            self.mailer.send(event.data["email"], "Welcome", welcome(event))  # an error here is retried
            channels = ("email", "record")
        if not self.notifications.record(event, channels):
            return "duplicate"  # recorded meanwhile by another delivery
        log.info("notified user %s of event %s (%s)", event.data["id"], event.id, ", ".join(channels))
        return "notified"
        # <<< lab 5


def seconds_since(time: str) -> float:
    """Seconds from an event's time (RFC 3339) until now; never negative, whatever the clocks say."""
    return max(0.0, (datetime.now(UTC) - datetime.fromisoformat(time)).total_seconds())


class EventConsumer:
    """The notifier's component: consumes in a thread of its own, reconnecting while the broker is away."""

    name = "event consumer"

    def __init__(self, settings: Settings, notifier: Notifier) -> None:
        self.settings = settings
        self.notifier = notifier
        self.consuming = threading.Event()
        notifier.metrics.connected.set_function(self.consuming.is_set)  # lab 6: read at each scrape
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event consumer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def begin_stop(self, grace: float) -> None:
        self._stop.set()

    def wait_stopped(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        wait, longest = RECONNECT_BACKOFF
        while not self._stop.is_set():
            try:
                consumer = brokers.consumer(self.settings, self.notifier.metrics)
                consumer.run(self.notifier.handle, self._stop, self.consuming)
                wait = RECONNECT_BACKOFF[0]
            except Exception as exc:  # BrokerUnavailable, or a bug: either way, the consumer lives on
                self.consuming.clear()
                if not isinstance(exc, broker.BrokerUnavailable):
                    log.exception("the consumer failed unexpectedly")
                log.warning("%s; reconnecting in %.1f s", exc, wait)
                self._stop.wait(wait)
                wait = min(longest, wait * 2)


def create_app(notifications: Notifications, consumer: EventConsumer) -> Flask:
    app = Flask(__name__)
    metrics.install(app, consumer.notifier.metrics.registry)  # lab 6: GET /metrics, and HTTP RED by route
    rest_observe.install(app)  # lab 6: each request traced and logged
    register_error_handlers(app)  # problem+json for 404, 405 and the rest, as the users service answers

    @app.get("/notifications")
    def list_notifications():
        """Oldest first; ?user_id= filters; ?limit= (1 to PAGE) and ?offset= ask for a page, else it is all."""
        try:
            limit = _whole(request.args["limit"], "limit", 1, PAGE) if "limit" in request.args else -1
            offset = _whole(request.args.get("offset", "0"), "offset", 0, 10**9)
        except ValueError as bad:
            field, message = bad.args
            return problem(422, "Unprocessable Content", f"{field}: {message}", [FieldError(field, message)])
        page = notifications.list(request.args.get("user_id"), limit, offset)
        return jsonify([n.to_json() for n in page])

    @app.get("/healthz")
    def healthz():
        status = "ok" if consumer.consuming.is_set() else "the broker is unreachable"
        return jsonify({"status": status, "broker": consumer.settings.broker})

    return app


def _whole(raw: str, field: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValueError(field, f"a whole number from {low} to {high}")
    return int(raw)


class NotifierProcess:
    """The notifier as a child of ``python -m lab7_config``: started with it, ready before it, stopped with it."""

    name = "notifier (child process)"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", f"{__package__}.notifier", "--parent", str(os.getpid())]
        self._process = subprocess.Popen(command)
        url = f"http://{self.settings.address(self.settings.notifier_http_port)}/healthz"
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StartError(f"the notifier stopped at start (exit status {self._process.returncode}): see above")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise StartError(f"the notifier did not answer {url} within {READY_SECONDS:g} s")

    def reload(self) -> None:
        """Lab 7: pass a SIGHUP on; the notifier re-reads its own settings (its master, then its worker)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGHUP)

    def begin_stop(self, grace: float) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float) -> None:
        if self._process is None:
            return
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def stop_when_orphaned(parent: int) -> None:
    """A child notifier stops (SIGTERM to itself: a clean stop) once its parent is gone, even killed with
    SIGKILL, instead of living on with its port: the parent's own stop would have ended it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        log.warning("the users service (pid %d) is gone: stopping", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan watch", daemon=True).start()


def main(argv: list[str]) -> int:
    try:
        settings = load(service="notifier")
    except SettingsError as exc:
        for problem in exc.problems:  # lab 7: every bad variable at once, one line each
            print(f"{__package__}.notifier: {problem}", file=sys.stderr)
        return 2
    logs.setup(settings, "notifier")  # lab 6: ECS JSON lines on stdout
    if argv[:1] == ["--parent"]:  # started by python -m lab7_config (NotifierProcess)
        stop_when_orphaned(int(argv[1]))
    try:
        listener = listen(settings, "NOTIFIER_HTTP_PORT", alone=True)
    except (SettingsError, RuntimeError) as exc:
        print(f"{__package__}.notifier: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1
    try:
        notifications = Notifications(settings.notifier_db)
    except sqlite3.Error as exc:
        print(f"{__package__}.notifier: NOTIFIER_DB={settings.notifier_db!r} cannot be opened: {exc}", file=sys.stderr)
        return 2
    notifier = Notifier(notifications, Mailer(settings), NotifierMetrics(metrics.registry()))
    consumer = EventConsumer(settings, notifier)
    lifecycle = Lifecycle([consumer], settings.grace_seconds)
    app = create_app(notifications, consumer)
    return serve(app, settings, lifecycle, listener, websockets=None, service="notifier")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

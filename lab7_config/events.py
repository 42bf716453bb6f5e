"""The events the users service publishes: ``user.registered``, as a CloudEvents 1.0 JSON envelope.

An event is a fact, in the past tense, that other services may act on without asking the users
service anything: so it carries what they need (the user's id, name and email), and an `id` that
stays the same however many times the event is delivered (the notifier uses it to notify once).

    {"specversion": "1.0", "id": "9f1c...", "source": "/lab7_config/users", "type": "user.registered",
     "time": "2026-01-31T12:00:00.000+00:00", "datacontenttype": "application/json",
     "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "data": {"id": "1", "name": "Ada Lovelace", "email": "ada@example.com"}}

Lab 6: `traceparent` (CloudEvents' distributed-tracing extension) carries the trace of the request that
registered the user, so the notifier's log lines share its trace id (tracing.py).

The schema is `EVENT_SCHEMA` (JSON Schema, in the README and the contract). A message that is not
such an event (bad JSON, a missing field, another type) is a `PoisonEvent`: retrying cannot fix it,
so the notifier sends it to the dead letters at once.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import tracing

SPEC_VERSION = "1.0"
USER_REGISTERED = "user.registered"
SOURCE = f"/{__package__}/users"  # the events' origin: this lab's users service
REQUIRED = ("specversion", "id", "source", "type", "time", "data")
DATA_FIELDS = ("id", "name", "email")
MAX_NAME, MAX_EMAIL = 200, 320  # longer than the users service accepts: not its event
# An address the mail server can take as it is: one "@", no spaces or line breaks (a header injection).
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")

EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "user.registered (CloudEvents 1.0, JSON format)",
    "type": "object",
    "required": list(REQUIRED),
    "properties": {
        "specversion": {"const": SPEC_VERSION},
        "id": {"type": "string", "minLength": 1, "description": "unique per event; the same on every redelivery"},
        "source": {"type": "string", "minLength": 1},
        "type": {"const": USER_REGISTERED},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "lab 6: W3C Trace Context of the registration"},
        "data": {
            "type": "object",
            "required": list(DATA_FIELDS),
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                "email": {"type": "string", "pattern": f"^{EMAIL.pattern}$", "maxLength": MAX_EMAIL},
            },
        },
    },
}


class PoisonEvent(ValueError):
    """A message that is not a well-formed event: no retry can make it one."""


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, str]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source: str = SOURCE
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    # Lab 6: the trace of the request that caused the event (CloudEvents' distributed-tracing extension).
    traceparent: str | None = None

    @property
    def trace_id(self) -> str | None:
        return tracing.trace_id(self.traceparent)

    def to_json(self) -> bytes:
        envelope = {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "datacontenttype": "application/json",
            "data": self.data,
        }
        if self.traceparent:
            envelope["traceparent"] = self.traceparent
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def user_registered(user_id: str, name: str, email: str) -> Event:
    """Lab 6: the event joins the trace of the request being handled (tracing.py), if there is one."""
    return Event(USER_REGISTERED, {"id": user_id, "name": name, "email": email}, traceparent=tracing.current())


def parse(body: bytes | None) -> Event:
    """The event a message holds; PoisonEvent saying what is wrong with it otherwise."""
    if not isinstance(body, bytes):  # a Kafka record may carry no value at all (a tombstone)
        raise PoisonEvent("no body")
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PoisonEvent(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(envelope, dict):
        raise PoisonEvent("not a JSON object")
    missing = [name for name in REQUIRED if name not in envelope]
    if missing:
        raise PoisonEvent(f"missing {', '.join(missing)}")
    if envelope["specversion"] != SPEC_VERSION or envelope["type"] != USER_REGISTERED:
        raise PoisonEvent(f"not a CloudEvents {SPEC_VERSION} {USER_REGISTERED} event")
    data = envelope["data"]
    if not isinstance(data, dict) or not all(isinstance(data.get(name), str) and data[name] for name in DATA_FIELDS):
        raise PoisonEvent(f"data must hold {', '.join(DATA_FIELDS)} as strings")
    if not EMAIL.fullmatch(data["email"]):
        raise PoisonEvent("data.email is not an email address")
    if len(data["name"]) > MAX_NAME or len(data["email"]) > MAX_EMAIL:
        raise PoisonEvent("data.name or data.email is too long")
    for name in ("id", "source", "time"):
        if not isinstance(envelope[name], str) or not envelope[name]:
            raise PoisonEvent(f"{name} must be a non-empty string")
    try:
        zoned = datetime.fromisoformat(envelope["time"]).tzinfo is not None
    except ValueError:
        zoned = False
    if not zoned:  # RFC 3339 names the zone: a time without one is not a moment anyone can compare with
        raise PoisonEvent("time is not an RFC 3339 time (with its zone)")
    traceparent = envelope.get("traceparent")
    if "traceparent" in envelope and not isinstance(traceparent, str):
        raise PoisonEvent("traceparent must be a string")
    fields = {name: data[name] for name in DATA_FIELDS}
    # A traceparent that is not W3C's is kept out of the logs: the notifier starts a trace of its own.
    traceparent = traceparent if tracing.trace_id(traceparent) else None
    return Event(envelope["type"], fields, envelope["id"], envelope["source"], envelope["time"], traceparent)

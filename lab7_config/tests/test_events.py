"""The event's envelope, its schema and its parser agree: what the users service publishes is valid, and
what the notifier refuses as poison the schema refuses too."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest

from .. import tracing
from ..events import EVENT_SCHEMA, PoisonEvent, parse, user_registered

VALIDATOR = jsonschema_rs.validator_for(EVENT_SCHEMA, validate_formats=True)
GOOD = json.loads(user_registered("7", "Ada Lovelace", "ada@example.com").to_json())


def test_a_published_event_matches_its_schema_and_parses_back():
    event = user_registered("7", "Ada Lovelace", "ada@example.com")
    assert VALIDATOR.is_valid(json.loads(event.to_json()))
    assert parse(event.to_json()) == event


def changed(**fields: object) -> bytes:
    return json.dumps(GOOD | fields).encode()


POISON = {
    "not JSON": b"not json at all",
    "not an object": b"[1, 2]",
    "no id": json.dumps({k: v for k, v in GOOD.items() if k != "id"}).encode(),
    "another type": changed(type="user.deleted"),
    "another spec version": changed(specversion="0.3"),
    "an empty id": changed(id=""),
    "no email": changed(data={"id": "7", "name": "Ada"}),
    "a number for a name": changed(data={"id": "7", "name": 7, "email": "ada@example.com"}),
    "a header in the email": changed(data={"id": "7", "name": "Ada", "email": "ada@example.com\r\nBcc: all@x.org"}),
    "no @ in the email": changed(data={"id": "7", "name": "Ada", "email": "ada"}),
    "no time": changed(time=None),
    "an object for a time": changed(time={}),
    "a number for a time": changed(time=5),
    "a word for a time": changed(time="yesterday"),
    "a time without its zone": changed(time="2026-01-31T12:00:00"),
    "an empty source": changed(source=""),
    "a name too long": changed(data={"id": "7", "name": "A" * 201, "email": "ada@example.com"}),
    "nested too deep": b"[" * 100_000,
    "a number for a traceparent": changed(traceparent=5),
    "a null traceparent": changed(traceparent=None),
}


def test_a_message_without_a_body_is_poison():
    with pytest.raises(PoisonEvent):
        parse(None)  # a Kafka record may have no value


@pytest.mark.parametrize("body", POISON.values(), ids=POISON.keys())
def test_poison_is_refused_by_the_parser_and_by_the_schema(body: bytes):
    with pytest.raises(PoisonEvent):
        parse(body)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: nothing for a schema to look at
    assert not VALIDATOR.is_valid(document)


def test_an_event_carries_the_trace_of_the_request_that_made_it():
    """Lab 6: made while a request is handled, the event joins its trace; the notifier reads it back."""
    traceparent = tracing.joined("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    with tracing.traced(traceparent):
        event = user_registered("7", "Ada Lovelace", "ada@example.com")
    assert VALIDATOR.is_valid(json.loads(event.to_json()))
    assert parse(event.to_json()).trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert user_registered("8", "Grace", "grace@example.com").traceparent is None, "outside a request: no trace"


def test_a_traceparent_that_is_not_w3c_is_not_poison_but_not_followed():
    """A producer's bad trace context must not lose a notification: the event is handled in a new trace."""
    for bad in ("rubbish", "00-" + "0" * 32 + "-00f067aa0ba902b7-01", "x" * 10_000):
        body = changed(traceparent=bad)
        assert VALIDATOR.is_valid(json.loads(body)) and parse(body).traceparent is None

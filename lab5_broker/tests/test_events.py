"""The event's envelope, its schema and its parser agree: what the users service publishes is valid, and
what the notifier refuses as poison the schema refuses too."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest

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

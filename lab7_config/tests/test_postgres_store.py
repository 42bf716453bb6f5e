"""Lab 7: what only the PostgreSQL store must prove (test_store.py runs the tests both stores share).

The database, not a lock, keeps the promises here: the unique index, the transaction that holds a
user and its event, ids that the API's strings cannot turn into database errors, and times that
come back in UTC whatever the server's time zone.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC

import psycopg
import pytest

from .. import postgres_store, tracing
from ..domain import EmailTaken, UserNotFound
from ..events import Event, user_registered
from ..lifecycle import StartError
from ..outbox import OutboxRelay
from ..postgres_store import PostgresStore, masked
from .test_outbox import Publisher, register, until
from .test_store import fields, race

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def store(database_url: str) -> Iterator[PostgresStore]:
    started = PostgresStore(database_url)
    started.start()
    yield started
    started.wait_stopped(5)


def query(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(statement).fetchall()


def test_a_second_start_finds_the_tables_and_the_users_in_them(database_url, store):
    user = store.create(fields())
    again = PostgresStore(database_url)
    again.start()  # CREATE TABLE IF NOT EXISTS: nothing to do, no error
    try:
        assert again.get(user.id) == user
        assert again.login_record("ADA@example.com") == (user.id, None, "user")
    finally:
        again.wait_stopped(5)


def test_emails_are_unique_by_an_index_on_their_case_folded_key(database_url, store):
    [(definition,)] = query(database_url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_key'")
    assert definition.startswith("CREATE UNIQUE INDEX") and definition.endswith("(email_key)")
    store.create(fields(email="Ada@Example.com"))
    with pytest.raises(EmailTaken):
        store.create(fields(email="aDA@eXAMPLE.COM"))
    assert query(database_url, "SELECT email, email_key FROM users") == [("Ada@Example.com", "ada@example.com")]


def test_a_user_whose_event_cannot_be_recorded_is_not_kept_either(store, monkeypatch):
    first = store.create(fields(email="first@example.com"))
    [pending] = store.pending_events(10)

    def same_id(user_id: str, name: str, email: str) -> Event:  # the outbox refuses a second event with one id
        return Event(pending.type, {"id": user_id, "name": name, "email": email}, id=pending.id)

    monkeypatch.setattr(postgres_store, "user_registered", same_id)
    with pytest.raises(psycopg.errors.UniqueViolation):
        store.create(fields(email="second@example.com"))
    assert store.list() == [first] and store.login_record("second@example.com") is None
    assert store.pending_events(10) == [pending]


BAD_IDS = ["", "abc", "0", "007", "-1", "+1", " 1", "1 ", "1.0", "1e3", "1_000", "\u0661", str(2**63), "9" * 40]


def test_an_id_no_row_can_have_is_not_found_never_a_database_error(store):
    store.create(fields())  # id "1": an id that int() reads as 1 ("+1", " 1", "\u0661") must not find it
    for user_id in BAD_IDS:
        for call in (store.get, store.delete, lambda bad: store.update(bad, fields(email="x@example.com"))):
            with pytest.raises(UserNotFound):
                call(user_id)
        assert store.exists(user_id) is False, user_id
    assert len(store) == 1


def test_registrations_of_one_email_through_two_pools_let_exactly_one_win(database_url, store):
    """As two processes would: each has its own connections, and only the index stands between them."""
    other = PostgresStore(database_url)
    other.start()
    try:
        stores = [store, other]
        results = race(lambda i: stores[i % 2].create(fields(name=f"Racer {i}", email="race@example.com")), 16)
    finally:
        other.wait_stopped(5)
    assert sum(not isinstance(result, Exception) for result in results) == 1, results
    assert sum(isinstance(result, EmailTaken) for result in results) == 15, results
    assert len(store) == 1 and store.outbox_size() == 1


def test_an_event_comes_out_of_the_outbox_as_it_went_in(store, monkeypatch):
    recorded: list[Event] = []

    def spy(user_id: str, name: str, email: str) -> Event:
        recorded.append(user_registered(user_id, name, email))
        return recorded[-1]

    monkeypatch.setattr(postgres_store, "user_registered", spy)
    with tracing.traced(TRACEPARENT):
        store.create(fields(name="Ada \u00e9\u00e8 \u4e2d", email="ada@example.com"))
    store.create(fields(email="bob@example.com"))  # outside any trace: no traceparent
    pending = store.pending_events(10)
    assert pending == recorded and [event.to_json() for event in pending] == [e.to_json() for e in recorded]
    assert pending[0].traceparent == TRACEPARENT and pending[1].traceparent is None
    store.mark_published([pending[0].id])
    assert store.pending_events(10) == recorded[1:] and store.outbox_size() == 1


def test_times_are_utc_whatever_the_servers_time_zone(database_url):
    tokyo = PostgresStore(f"{database_url}?options=-c%20TimeZone%3DAsia/Tokyo")
    tokyo.start()
    try:
        user = tokyo.create(fields())
        stored = tokyo.get(user.id)
    finally:
        tokyo.wait_stopped(5)
    assert stored == user and stored.created_at.tzinfo is UTC
    assert stored.to_dict()["created_at"].endswith("+00:00") and stored.to_dict()["updated_at"].endswith("+00:00")


def test_the_relay_empties_the_outbox_oldest_first_once_the_broker_is_back(store):
    publisher = Publisher()
    publisher.down.set()
    relay = OutboxRelay(store, lambda: publisher)
    relay.start()
    try:
        register(store, 3)
        assert until(publisher.tried.is_set) and store.outbox_size() == 3
        order = [event.id for event in store.pending_events(10)]
        publisher.down.clear()
        assert until(lambda: store.outbox_size() == 0)
        assert publisher.published == order
    finally:
        relay.begin_stop(1.0)
        relay.wait_stopped(5.0)


def test_an_unreachable_database_stops_the_start_naming_the_setting_without_the_password():
    with socket.socket() as closed:  # a port that nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"postgresql://ada:s3cret-word@127.0.0.1:{closed.getsockname()[1]}/users"
        with pytest.raises(StartError) as error:
            PostgresStore(url).start()
    message = str(error.value)
    assert message.startswith(f"DATABASE_URL={masked(url)}: ") and "s3cret" not in message
    assert masked(url) == url.replace("s3cret-word", "****") and "\n" not in message


def test_an_email_with_a_nul_logs_nobody_in_never_a_database_error(store):
    """PostgreSQL's text cannot hold NUL: such an email names no stored user (a 401 at login, not a 500)."""
    store.create(fields(email="ada@example.com"), "hash")
    assert store.login_record("ada@example.com\x00") is None
    assert store.login_record("ADA@example.com") is not None

"""Unit tests of the store and the validation rules, without HTTP (the contract tests go through HTTP).

Lab 7: every test of a store runs on both: the in-memory store, and PostgreSQL (a scratch database).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ..domain import EmailTaken, InvalidInput, UserNotFound, parse_user_fields
from ..postgres_store import PostgresStore
from ..store import Store, UserStore


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def fields(name: str = "Ada", email: str = "ada@example.com"):
    return parse_user_fields({"name": name, "email": email})


@pytest.fixture(params=["memory", "postgresql"])
def make_store(request: pytest.FixtureRequest) -> Iterator[Callable[..., Store]]:
    """Lab 7: makes an empty store of each kind in turn; make_store(clock=...) passes the clock on."""
    url = request.getfixturevalue("database_url") if request.param == "postgresql" else None
    started: list[PostgresStore] = []

    def make(**options) -> Store:
        if url is None:
            return UserStore(**options)
        started.append(PostgresStore(url, **options))
        started[-1].start()
        return started[-1]

    yield make
    for store in started:
        store.wait_stopped(5)


def test_ids_count_up_and_are_never_reused(make_store):
    store = make_store()
    first = store.create(fields(email="a@example.com"))
    store.delete(first.id)
    second = store.create(fields(email="a@example.com"))
    assert (first.id, second.id) == ("1", "2")


def test_update_keeps_created_at_and_moves_updated_at(make_store):
    store = make_store(clock=FakeClock())
    user = store.create(fields())
    updated = store.update(user.id, fields(name="Ada King"))
    assert updated.created_at == user.created_at
    assert updated.updated_at > user.updated_at


def test_update_frees_the_old_email(make_store):
    store = make_store()
    user = store.create(fields(email="old@example.com"))
    store.update(user.id, fields(email="new@example.com"))
    store.create(fields(email="OLD@example.com"))
    with pytest.raises(EmailTaken):
        store.create(fields(email="New@Example.com"))


def test_list_pages_in_creation_order(make_store):
    store = make_store()
    users = [store.create(fields(email=f"u{i}@example.com")) for i in range(5)]
    assert store.list() == users
    assert store.list(limit=2, offset=1) == users[1:3]
    assert store.list(limit=0) == []
    assert store.list(offset=10) == []


def test_missing_users_raise_not_found(make_store):
    store = make_store()
    for call in (store.get, store.delete, lambda user_id: store.update(user_id, fields())):
        with pytest.raises(UserNotFound):
            call("42")


FORBIDDEN = "must not contain control, line-separator or text-direction characters"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "x" * 101, "email": "a@example.com"}, "name", "must be at most 100 characters"),
        ({"name": "Ada\n", "email": "a@example.com"}, "name", FORBIDDEN),
        ({"name": "Ada", "email": "a@example.com\n"}, "email", FORBIDDEN),
        ({"name": "Ada", "email": "a@example.com", "admin": True}, "admin", "is not a field of a user"),
        ({"name": "Ada"}, "email", "is required"),
        (["Ada"], "body", "must be a JSON object"),
        ({"name": "\u00a0\u200b", "email": "a@example.com"}, "name", "must not be blank"),
    ],
    ids=["too long", "newline in name", "newline in email", "unknown field", "missing", "not an object", "blank"],
)
def test_validation_names_the_field_in_plain_words(data, field, message):
    with pytest.raises(InvalidInput) as error:
        parse_user_fields(data)
    assert (field, message) in [(e.field, e.message) for e in error.value.errors]


# --- the lock: races made certain -----------------------------------------------------------------
# The store reads its clock between the check (is this email free? which email does this user
# have?) and the write. A clock that sleeps holds every racing thread inside that gap, so a store
# without its lock fails these tests every time, not once in a while.

RACERS = 8


class SlowClock:
    def __call__(self) -> datetime:
        time.sleep(0.02)
        return datetime.now(UTC)


def race(task, count: int = RACERS) -> list[object]:
    """Run task(i) on `count` threads released together; return each result or the exception it raised."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        start.wait(5)
        try:
            results[i] = task(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    return results


def test_racing_creates_of_one_email_let_exactly_one_win(make_store):
    store = make_store(clock=SlowClock())
    results = race(lambda i: store.create(fields(name=f"Racer {i}", email="race@example.com")))
    winners = [result for result in results if not isinstance(result, Exception)]
    assert len(winners) == 1, f"{len(winners)} users registered one email"
    assert all(isinstance(result, EmailTaken) for result in results if result not in winners), results
    assert len(store) == 1


def test_racing_updates_of_one_user_leave_one_whole_winner_and_a_true_email_index(make_store):
    store = make_store(clock=SlowClock())
    user = store.create(fields(email="before@example.com"))
    results = race(lambda i: store.update(user.id, fields(name=f"N{i}", email=f"e{i}@example.com")))
    assert not [result for result in results if isinstance(result, Exception)], results
    final = store.get(user.id)
    assert final.name == f"N{final.email[1]}", "name and email come from different updates: a torn write"
    for i in range(RACERS):  # every email but the final one is free again
        email = f"e{i}@example.com"
        if email != final.email:
            store.delete(store.create(fields(email=email)).id)
    store.create(fields(email="before@example.com"))
    with pytest.raises(EmailTaken):
        store.create(fields(email=final.email))

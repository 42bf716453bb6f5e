"""Unit tests of the store and the validation rules, without HTTP (the contract tests go through HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ..domain import EmailTaken, InvalidInput, UserNotFound, parse_user_fields
from ..store import UserStore


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def fields(name: str = "Ada", email: str = "ada@example.com"):
    return parse_user_fields({"name": name, "email": email})


def test_ids_count_up_and_are_never_reused():
    store = UserStore()
    first = store.create(fields(email="a@example.com"))
    store.delete(first.id)
    second = store.create(fields(email="a@example.com"))
    assert (first.id, second.id) == ("1", "2")


def test_update_keeps_created_at_and_moves_updated_at():
    store = UserStore(clock=FakeClock())
    user = store.create(fields())
    updated = store.update(user.id, fields(name="Ada King"))
    assert updated.created_at == user.created_at
    assert updated.updated_at > user.updated_at


def test_update_frees_the_old_email():
    store = UserStore()
    user = store.create(fields(email="old@example.com"))
    store.update(user.id, fields(email="new@example.com"))
    store.create(fields(email="OLD@example.com"))
    with pytest.raises(EmailTaken):
        store.create(fields(email="New@Example.com"))


def test_list_pages_in_creation_order():
    store = UserStore()
    users = [store.create(fields(email=f"u{i}@example.com")) for i in range(5)]
    assert store.list() == users
    assert store.list(limit=2, offset=1) == users[1:3]
    assert store.list(limit=0) == []
    assert store.list(offset=10) == []


def test_missing_users_raise_not_found():
    store = UserStore()
    for call in (store.get, store.delete, lambda user_id: store.update(user_id, fields())):
        with pytest.raises(UserNotFound):
            call("42")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "x" * 101, "email": "a@example.com"}, "name", "must be at most 100 characters"),
        ({"name": "Ada\n", "email": "a@example.com"}, "name", "must not contain control characters such as a newline"),
        ({"name": "Ada", "email": "a@example.com\n"}, "email", "must not contain control characters such as a newline"),
        ({"name": "Ada", "email": "a@example.com", "admin": True}, "admin", "is not a field of a user"),
        ({"name": "Ada"}, "email", "is required"),
        (["Ada"], "body", "must be a JSON object"),
    ],
)
def test_validation_names_the_field_in_plain_words(data, field, message):
    with pytest.raises(InvalidInput) as error:
        parse_user_fields(data)
    assert (field, message) in [(e.field, e.message) for e in error.value.errors]

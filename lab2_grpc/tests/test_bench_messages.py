"""The fast message builders give exactly the answers a straightforward build gives.

The service builds protobuf timestamps in integer arithmetic and fills list responses in place, and
`User.to_dict` formats a never-updated user's one datetime once (see the REST vs gRPC study): these
tests hold them to the obvious code, `Timestamp.FromDatetime` and one `isoformat` per field, byte for byte.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf import timestamp_pb2

from lab2_grpc.domain import User
from lab2_grpc.grpc_service import list_response, user_message
from lab2_grpc.users.v1 import users_pb2

MOMENTS = [
    datetime(2026, 11, 28, 21, 30, 42, 960018, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC),  # no microseconds: isoformat must still print them
    datetime(1970, 1, 1, tzinfo=UTC),  # the epoch: seconds and nanos are both 0, so neither is sent
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before the epoch: negative seconds
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2024, 7, 1, 3, 4, 5, 600000, tzinfo=timezone(-timedelta(hours=8))),
    datetime(2025, 3, 30, 1, 59, 59, 500000),  # naive: read as UTC, as FromDatetime does
]


def reference_message(user: User) -> users_pb2.User:
    """The plain way: a Timestamp per field through FromDatetime, a message per user."""

    def stamp(moment: datetime) -> timestamp_pb2.Timestamp:
        result = timestamp_pb2.Timestamp()
        result.FromDatetime(moment)
        return result

    return users_pb2.User(
        id=user.id,
        name=user.name,
        email=user.email,
        create_time=stamp(user.created_at),
        update_time=stamp(user.updated_at),
    )


def reference_dict(user: User) -> dict[str, str]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created_at": user.created_at.isoformat(timespec="microseconds"),
        "updated_at": user.updated_at.isoformat(timespec="microseconds"),
    }


def users() -> list[User]:
    """Never-updated users (one datetime object twice, as the store makes them) and updated ones."""
    made = [User(str(index), f"User {index}", f"user{index}@example.com", m, m) for index, m in enumerate(MOMENTS)]
    for index, (first, second) in enumerate(zip(MOMENTS, reversed(MOMENTS), strict=True)):
        made.append(User(f"u{index}", "Ada Lovelace — ✓", "ada@example.com", first, second))
    # equal moments in two time zones: == but printed differently, so neither may stand in for the other
    utc = datetime(2026, 5, 1, 12, tzinfo=UTC)
    made.append(User("tz", "Zone", "zone@example.com", utc, utc.astimezone(timezone(timedelta(hours=2)))))
    return made


@pytest.mark.parametrize("user", users(), ids=lambda user: user.id)
def test_user_message_is_the_reference_message(user: User) -> None:
    assert user_message(user).SerializeToString() == reference_message(user).SerializeToString()
    assert user_message(user) == reference_message(user)


def test_list_response_is_the_reference_list() -> None:
    everyone = users()
    reference = users_pb2.ListUsersResponse(
        users=[reference_message(user) for user in everyone], next_page_token="next"
    )
    assert list_response(everyone, "next").SerializeToString() == reference.SerializeToString()
    assert list_response([]).SerializeToString() == b""


@pytest.mark.parametrize("user", users(), ids=lambda user: user.id)
def test_to_dict_is_the_reference_dict(user: User) -> None:
    assert user.to_dict() == reference_dict(user)
    assert list(user.to_dict()) == list(reference_dict(user))  # the same keys, in the same order


def test_the_service_lists_what_the_reference_builds() -> None:
    """Through the servicer, with the store's own users: ListUsers answers the reference bytes."""
    from lab2_grpc.domain import parse_user_fields
    from lab2_grpc.grpc_service import UserService
    from lab2_grpc.store import UserStore

    store = UserStore()
    for index in range(5):
        store.create(parse_user_fields({"name": f"Seed {index}", "email": f"seed{index}@example.com"}))
    store.update("2", parse_user_fields({"name": "Changed", "email": "seed1@example.com"}))
    answer = UserService(store).ListUsers(users_pb2.ListUsersRequest(page_size=3), None)  # type: ignore[arg-type]
    expected = users_pb2.ListUsersResponse(
        users=[reference_message(user) for user in store.list(3)], next_page_token=answer.next_page_token
    )
    assert answer.next_page_token
    assert answer.SerializeToString() == expected.SerializeToString()

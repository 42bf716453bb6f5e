"""Payload sizes and encode/decode time for 1, 100 and 1,000 users, in-process (timeit), per format.

This isolates serialisation from everything else on the path: what JSON (as Flask writes it), gzipped JSON
and protobuf cost in bytes and in CPU for the very same users, built by the service's own code.

- encode: stored users to bytes, as each server does: ``to_dict`` + Flask's JSON; ``list_response`` +
  ``SerializeToString``.
- decode: bytes back to Python objects, as a client does: ``json.loads``; ``FromString``. upb, protobuf's C
  core, parses the bytes at once but makes a Python object for a field only when the field is read.
- decode + read: the same, then every field of every user read once (what a client that uses them all pays).
"""

from __future__ import annotations

import gzip
import json
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from google.protobuf import timestamp_pb2

from ..domain import User, parse_user_fields
from ..grpc_service import list_response
from ..store import UserStore
from ..users.v1 import users_pb2
from .scenario import LIST_SIZES, seed_users

FORMATS = ("json", "json+gzip", "protobuf")


@dataclass
class CodecRow:
    users: int
    format: str
    bytes: int
    encode_us: float
    decode_us: float
    decode_read_us: float


def sample_users(count: int) -> list[User]:
    store = UserStore()
    for fields in seed_users(count):
        store.create(parse_user_fields(fields))
    return store.list()


def _best_us(statement: Callable[[], Any], budget: float) -> float:
    """Microseconds per call: best of 5 repeats (the least disturbed), each sized to about budget/5 seconds."""
    timer = timeit.Timer(statement)
    number, elapsed = timer.autorange()
    number = max(1, int(number * (budget / 5) / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def _read_json(users: list[dict[str, str]]) -> int:
    return sum(len(user["id"]) + len(user["name"]) + len(user["email"]) + len(user["created_at"]) for user in users)


def _read_proto(response: users_pb2.ListUsersResponse) -> int:
    total = 0
    for user in response.users:
        created, updated = user.create_time, user.update_time
        total += len(user.id) + len(user.name) + len(user.email) + created.seconds + created.nanos
        total += updated.seconds + updated.nanos
    return total


def measure(budget: float = 0.3) -> list[CodecRow]:
    return [row for count in LIST_SIZES for row in _measure_size(sample_users(count), budget)]


def plain_list_response(users: list[User]) -> users_pb2.ListUsersResponse:
    """The straightforward build the service used before: a Timestamp per field through FromDatetime, a
    message per user, the list copied into the response (tests/test_bench_messages.py holds both to it)."""

    def stamp(moment: datetime) -> timestamp_pb2.Timestamp:
        result = timestamp_pb2.Timestamp()
        result.FromDatetime(moment)
        return result

    return users_pb2.ListUsersResponse(
        users=[
            users_pb2.User(
                id=user.id,
                name=user.name,
                email=user.email,
                create_time=stamp(user.created_at),
                update_time=stamp(user.updated_at),
            )
            for user in users
        ]
    )


def plain_encode_us(count: int = 1000, budget: float = 0.3) -> float:
    """Microseconds to encode `count` users with the plain build, for comparison with the service's."""
    users = sample_users(count)
    return _best_us(lambda: plain_list_response(users).SerializeToString(), budget)


def _measure_size(users: list[User], budget: float) -> list[CodecRow]:
    dumps = Flask(__name__).json.dumps  # Flask's own settings (sorted keys), as jsonify uses

    def encode_json() -> bytes:
        # jsonify adds the compact separators itself outside debug mode; json.dumps alone would not
        return dumps([user.to_dict() for user in users], separators=(",", ":")).encode()

    def encode_proto() -> bytes:
        return list_response(users).SerializeToString()

    text, proto = encode_json(), encode_proto()
    zipped = gzip.compress(text, compresslevel=6)
    count = len(users)
    return [
        CodecRow(
            count,
            "json",
            len(text),
            _best_us(encode_json, budget),
            _best_us(lambda: json.loads(text), budget),
            _best_us(lambda: _read_json(json.loads(text)), budget),
        ),
        CodecRow(
            count,
            "json+gzip",
            len(zipped),
            _best_us(lambda: gzip.compress(encode_json(), 6), budget),
            _best_us(lambda: json.loads(gzip.decompress(zipped)), budget),
            _best_us(lambda: _read_json(json.loads(gzip.decompress(zipped))), budget),
        ),
        CodecRow(
            count,
            "protobuf",
            len(proto),
            _best_us(encode_proto, budget),
            _best_us(lambda: users_pb2.ListUsersResponse.FromString(proto), budget),
            _best_us(lambda: _read_proto(users_pb2.ListUsersResponse.FromString(proto)), budget),
        ),
    ]


def main() -> None:
    """``python -m lab2_grpc.bench.codec``: the serialisation table alone, in a few seconds, without servers."""
    print(f"{'users':>6} {'format':<10} {'bytes':>8} {'encode µs':>10} {'decode µs':>10} {'decode+read µs':>15}")
    for row in measure():
        print(
            f"{row.users:>6,} {row.format:<10} {row.bytes:>8,} {row.encode_us:>10,.1f} {row.decode_us:>10,.1f} "
            f"{row.decode_read_us:>15,.1f}"
        )


if __name__ == "__main__":
    main()

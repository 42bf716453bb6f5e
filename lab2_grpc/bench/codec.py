"""Payload sizes and encode/decode time for 1, 100 and 1,000 users, in-process (timeit), per format.

This isolates serialisation from everything else on the path: what JSON (as Flask writes it), gzipped JSON
and protobuf cost in bytes and in CPU for the very same users the servers hold.
"""

from __future__ import annotations

import gzip
import json
import timeit
from dataclasses import dataclass

from flask import Flask

from ..domain import User, parse_user_fields
from ..servicer import user_message
from ..store import UserStore
from ..users.v1 import users_pb2
from .scenario import LIST_SIZES, seed_users


@dataclass
class CodecRow:
    users: int
    format: str
    bytes: int
    encode_us: float
    decode_us: float


def sample_users(count: int) -> list[User]:
    store = UserStore()
    for fields in seed_users(count):
        store.create(parse_user_fields(fields))
    return store.list()


def _best_us(statement: object, budget: float) -> float:
    """Microseconds per call: best of 5 repeats (the least disturbed), each sized to about budget/5 seconds."""
    timer = timeit.Timer(statement)  # type: ignore[arg-type]
    number, elapsed = timer.autorange()
    number = max(1, int(number * (budget / 5) / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def measure(budget: float = 0.3) -> list[CodecRow]:
    """Encode = domain users to bytes, as each server does; decode = bytes back to Python objects."""
    return [row for count in LIST_SIZES for row in _measure_size(sample_users(count), budget)]


def _measure_size(users: list[User], budget: float) -> list[CodecRow]:
    dumps = Flask(__name__).json.dumps  # Flask's own settings (sorted keys), as jsonify uses

    def encode_json() -> bytes:
        # jsonify adds the compact separators itself outside debug mode; json.dumps alone would not
        return dumps([user.to_dict() for user in users], separators=(",", ":")).encode()

    def encode_proto() -> bytes:
        return users_pb2.ListUsersResponse(users=[user_message(user) for user in users]).SerializeToString()

    text, proto = encode_json(), encode_proto()
    zipped = gzip.compress(text, compresslevel=6)
    count = len(users)
    return [
        CodecRow(count, "json", len(text), _best_us(encode_json, budget), _best_us(lambda: json.loads(text), budget)),
        CodecRow(
            count,
            "json+gzip",
            len(zipped),
            _best_us(lambda: gzip.compress(encode_json(), 6), budget),
            _best_us(lambda: json.loads(gzip.decompress(zipped)), budget),
        ),
        CodecRow(
            count,
            "protobuf",
            len(proto),
            _best_us(encode_proto, budget),
            _best_us(lambda: users_pb2.ListUsersResponse.FromString(proto), budget),
        ),
    ]

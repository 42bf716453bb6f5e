"""Show how protobuf encodes a User, byte by byte: ``python -m lab7_config.wire``.

Each field on the wire is a key, then a value. The key is one varint: field number * 8 + wire
type. Wire type 0 (VARINT) is a number in 7-bit groups, low group first, high bit = "more
follows". Wire type 2 (LEN) is a varint length, then that many bytes: a string, or a nested
message such as the Timestamp. Names never travel: the .proto maps numbers back to them.
"""

from __future__ import annotations

import json

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from google.protobuf.timestamp_pb2 import Timestamp

from .users.v1 import users_pb2

VARINT, LEN = 0, 2
WIRE_TYPE_NAMES = {VARINT: "VARINT", LEN: "LEN"}
HEX_COLUMN = 52


def example_user() -> users_pb2.User:
    moment = Timestamp(seconds=1_700_000_000)  # 2023-11-14T22:13:20Z, whole seconds: nanos stays 0
    return users_pb2.User(id="1", name="Ada Lovelace", email="ada@example.com", create_time=moment, update_time=moment)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The number that starts at data[pos], and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def explain(data: bytes, descriptor: Descriptor, indent: str = "") -> list[str]:
    """One line per field: its bytes in hex, then what they mean."""
    lines, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        field = descriptor.fields_by_number[number]
        label = f"field {number} ({field.name}), {WIRE_TYPE_NAMES[wire_type]}"
        if wire_type == VARINT:
            value, pos = read_varint(data, pos)
            lines.append(_line(indent, data[start:pos], f"{label}: {value}"))
            continue
        length, pos = read_varint(data, pos)
        payload, pos = data[pos : pos + length], pos + length
        if field.message_type is None:
            lines.append(_line(indent, data[start:pos], f"{label} {length}: {payload.decode()!r}"))
        else:
            header = data[start : pos - length]
            lines.append(_line(indent, header, f"{label} {length}: a {field.message_type.name}"))
            lines += explain(payload, field.message_type, indent + "  ")
    return lines


def _line(indent: str, chunk: bytes, meaning: str) -> str:
    return f"{indent + chunk.hex(' '):<{HEX_COLUMN}}{meaning}"


def main() -> None:
    user = example_user()
    data = user.SerializeToString()
    print(f"A User is {len(data)} bytes on the wire:")
    print(data.hex(" "))
    print()
    print("\n".join(explain(data, user.DESCRIPTOR)))
    as_json = json.dumps(json_format.MessageToDict(user), separators=(",", ":"))
    print(f"\nThe same user as compact JSON is {len(as_json.encode())} bytes:\n{as_json}")


if __name__ == "__main__":
    main()

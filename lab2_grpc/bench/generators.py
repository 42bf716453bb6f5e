"""The C load generators: wrk for REST (HTTP/1.1), h2load for gRPC (HTTP/2 in cleartext, "h2c").

A load generator written in Python spends far more CPU per request than the servers it measures: on one
core it runs out before they do, and its ceiling is then its own. wrk and h2load are written in C and
need a few microseconds per request, so on the load core they leave the server core as the only limit.

- wrk runs ``wrk_calls.lua``, which builds each REST call (a new email per create, the next id per delete)
  and ends the run itself, after the window or when the users to delete run out.
- h2load speaks gRPC as plain HTTP/2: a POST to ``/package.Service/Method`` with the headers
  ``content-type: application/grpc`` and ``te: trailers``, and a body of one length-prefixed message (a zero
  byte, 4 bytes of length, the protobuf bytes). It sends the same body every time; for create and delete,
  ``h2load_bodies.c`` (preloaded into h2load) hands it the next of many prepared bodies instead.
- h2load counts HTTP statuses, and a failed gRPC call is still HTTP 200: its grpc-status travels in the
  trailers, with no message before it. So the failures of a gRPC run are counted from the bytes of the
  messages that came back: one message per successful call, of the size the first call's answer had.
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).with_name("wrk_calls.lua")
BODIES_SOURCE = Path(__file__).with_name("h2load_bodies.c")
GRPC_HEADERS = ("content-type: application/grpc", "te: trailers")
TOOLS = {
    "wrk": "Debian/Ubuntu: sudo apt-get install wrk",
    "h2load": "Debian/Ubuntu: sudo apt-get install nghttp2-client",
    "taskset": "Debian/Ubuntu: sudo apt-get install util-linux",
    "cc": "Debian/Ubuntu: sudo apt-get install gcc (it builds h2load_bodies.c, for gRPC create and delete)",
}
_PADDING_FIELD = 15  # an unknown field (number 15, bytes) that evens out request sizes; servers skip it
USER_SERVICE = "/users.v1.UserService/"


@dataclass
class Outcome:
    requests: int
    failures: int
    elapsed: float
    generator_cpu: float
    p50_ms: float = math.nan
    p99_ms: float = math.nan

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


def missing_tools() -> dict[str, str]:
    """The tools the study needs that are not on PATH, with how to install each."""
    return {name: hint for name, hint in TOOLS.items() if shutil.which(name) is None}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> tuple[str, float]:
    """Run a generator to the end; its output and the CPU seconds it (and taskset before it) spent."""
    before = _children_cpu()
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout, _children_cpu() - before


# --- wrk, for REST -------------------------------------------------------------------------------


def wrk_command(url: str, op: str, seconds: float, args: list[str], connections: int, core: int) -> list[str]:
    """One wrk thread (the load core is one core) with `connections` keep-alive connections."""
    cap = f"{math.ceil(seconds) + 60}s"  # the script ends the run; -d is only a safety net
    script = ["-s", str(WRK_SCRIPT), url, "--", op, f"{seconds:g}", *args]
    return ["taskset", "-c", str(core), "wrk", "-t1", f"-c{connections}", f"-d{cap}", *script]


def run_wrk(url: str, op: str, seconds: float, args: list[str], connections: int, core: int) -> Outcome:
    output, cpu = _run(wrk_command(url, op, seconds, args, connections, core))
    line = next((line for line in output.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    result = json.loads(line.removeprefix("RESULT "))
    return Outcome(
        requests=result["requests"],
        failures=result["status_errors"] + result["socket_errors"],
        elapsed=result["duration_us"] / 1e6,
        generator_cpu=cpu,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
    )


# --- h2load, for gRPC ----------------------------------------------------------------------------


def frame(message: bytes) -> bytes:
    """One gRPC message as it travels in an HTTP/2 body: not compressed (0), its length, its bytes."""
    return b"\x00" + struct.pack(">I", len(message)) + message


def even_out(messages: list[bytes]) -> list[bytes]:
    """Messages padded to one size (h2load sends a fixed size) with a field the server does not know.

    protobuf skips fields it does not know, so the server reads the same request; a delete of user 99 and
    one of user 100 differ by one byte of id, and get one and two bytes of padding.
    """
    if len({len(message) for message in messages}) <= 1:
        return messages
    size = max(len(message) for message in messages) + 2
    padded = []
    for message in messages:
        filler = size - len(message) - 2
        if filler >= 128:
            raise ValueError("messages differ too much in size to be evened out")
        padded.append(message + bytes([_PADDING_FIELD << 3 | 2, filler]) + b"\x00" * filler)
    return padded


def grpc_request(
    op: str, prefix: str = "", count: int = 0, pool: tuple[int, int] = (0, 0)
) -> tuple[str, list[bytes], int]:
    """(path, request messages, answer slack) of one operation, as h2load sends it.

    The same users as wrk_calls.lua: user 1 to get, user 2 to update (with its own email, so every update
    succeeds), `count` new users for create (PREFIX-0000001@example.com, ...), the ids `pool` for delete.
    """
    from ..users.v1 import users_pb2  # protobuf only: no grpcio in the study's own process

    if op == "hello":
        from .hello_grpc import METHOD

        return METHOD, [b""], 0
    if op == "get":
        return USER_SERVICE + "GetUser", [users_pb2.GetUserRequest(id="1").SerializeToString()], 0
    if op == "update":
        request = users_pb2.UpdateUserRequest(id="2", name="Updated by h2load", email="seed2@example.com")
        return USER_SERVICE + "UpdateUser", [request.SerializeToString()], 4
    if op == "create":
        messages = [
            users_pb2.CreateUserRequest(name="Bench User", email=f"{prefix}-{i:07d}@example.com").SerializeToString()
            for i in range(1, count + 1)
        ]
        return USER_SERVICE + "CreateUser", messages, 5
    if op == "delete":
        first, last = pool
        messages = [users_pb2.DeleteUserRequest(id=str(i)).SerializeToString() for i in range(first, last + 1)]
        return USER_SERVICE + "DeleteUser", messages, 0
    if op.startswith("list_"):
        size = int(op.removeprefix("list_"))
        return USER_SERVICE + "ListUsers", [users_pb2.ListUsersRequest(page_size=size).SerializeToString()], 0
    raise ValueError(f"unknown operation {op!r}")


@dataclass
class GrpcCall:
    """One gRPC method and the request messages to send to it, in turn (one message: the same every time)."""

    path: str
    messages: list[bytes]
    answer_bytes: int  # DATA bytes of one successful answer (prefix included), from a checked first call
    # How much smaller another successful answer may be: a fresh timestamp's nanos is a varint of 1 to 5 bytes.
    answer_slack: int = 0


class H2load:
    """Runs h2load on the load core, with the body library built once into `workdir` when first needed."""

    def __init__(self, workdir: Path, core: int) -> None:
        self.workdir = workdir
        self.core = core
        self._library: Path | None = None

    def library(self) -> Path:
        if self._library is None:
            target = self.workdir / "h2load_bodies.so"
            cc = ["cc", "-O2", "-shared", "-fPIC", "-o", str(target), str(BODIES_SOURCE), "-ldl"]
            subprocess.run(cc, check=True, capture_output=True)
            self._library = target
        return self._library

    def command(
        self, target: str, path: str, data: Path, connections: int, seconds: float | None, requests: int | None
    ) -> list[str]:
        length = ["-n", str(requests)] if requests else ["-D", f"{round((seconds or 1) * 1000)}ms"]
        headers = [part for header in GRPC_HEADERS for part in ("-H", header)]
        return [
            "taskset",
            "-c",
            str(self.core),
            "h2load",
            "-t1",
            f"-c{connections}",
            "-m1",  # one call in flight per connection, as wrk and Locust do
            *length,
            "-d",
            str(data),
            *headers,
            f"http://{target}{path}",
        ]

    def first_answer(self, target: str, path: str, message: bytes) -> int:
        """Make one call and return the DATA bytes of its answer; fail if it carried no message (an error)."""
        outcome_text, _ = _run(self.command(target, path, self._data(message), 1, None, 1))
        data = _DATA.search(outcome_text)
        received = int(data.group(1)) if data else 0
        if received < 5:
            raise RuntimeError(f"{path} answered without a message (a gRPC error):\n{outcome_text}")
        return received

    def _data(self, message: bytes) -> Path:
        data = self.workdir / "h2load-body.bin"
        data.write_bytes(frame(message))
        return data

    def run(
        self, target: str, call: GrpcCall, connections: int, seconds: float | None = None, requests: int | None = None
    ) -> Outcome:
        messages = even_out(call.messages)
        data = self._data(messages[0])
        env = None
        if len(messages) > 1:
            bodies = self.workdir / "h2load-bodies.bin"
            bodies.write_bytes(b"".join(frame(message) for message in messages))
            env = {
                **os.environ,
                "LD_PRELOAD": str(self.library()),
                "BODIES_FILE": str(bodies),
                "BODIES_DATA": str(data),
                "BODY_SIZE": str(len(frame(messages[0]))),
            }
        output, cpu = _run(self.command(target, call.path, data, connections, seconds, requests), env)
        return _h2load_outcome(output, cpu, call, connections)


_FINISHED = re.compile(r"finished in [\d.]+m?s, ([\d.]+) req/s")
_REQUESTS = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed")
_DATA = re.compile(r"traffic: .*, [\d.]+[KMG]?B \((\d+)\) data")


def _h2load_outcome(output: str, cpu: float, call: GrpcCall, connections: int) -> Outcome:
    finished, counts, data = _FINISHED.search(output), _REQUESTS.search(output), _DATA.search(output)
    if not (finished and counts and data):
        raise RuntimeError(f"h2load printed no result:\n{output}")
    done, http_failed = int(counts.group(3)), int(counts.group(5))
    rate = float(finished.group(1))
    elapsed = done / rate if rate else 0.0  # h2load's own window: -D's length, or first to last call with -n
    received = int(data.group(1))
    # Every successful call brings one message back, a failed one none: count the messages by their bytes.
    answered = (received + done * call.answer_slack) // call.answer_bytes if call.answer_bytes else done
    # h2load leaves the bytes of up to one answer per connection out of its count (at the edges of its
    # window), so a shortfall that small is h2load's counting, not failed calls.
    unanswered = max(0, done - answered - connections)
    return Outcome(requests=done, failures=http_failed + unanswered, elapsed=elapsed, generator_cpu=cpu)


def main(argv: list[str]) -> None:
    """``python -m lab2_grpc.bench.generators body OP > OP.bin``: the file h2load sends for OP (one message)."""
    import sys

    if len(argv) != 2 or argv[0] != "body" or argv[1] in ("create", "delete"):
        raise SystemExit("usage: python -m lab2_grpc.bench.generators body hello|get|list_N|update > FILE")
    path, messages, _ = grpc_request(argv[1])
    sys.stdout.buffer.write(frame(messages[0]))
    print(path, file=sys.stderr)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

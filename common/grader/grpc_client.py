"""gRPC calls with a deadline on every call, each answer kept with the request that caused it.

Checks get a reply for every status code (an error code is an answer to judge, not a crash);
only a missed deadline or a lost connection ends the requirement, as with HTTP timeouts.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import grpc
from google.protobuf import text_format
from google.protobuf.message import Message

from .evidence import CheckFailed, Exchange, preview

SERVICE = "users.v1.UserService"
Metadata = tuple[tuple[str, str | bytes], ...]


def describe_message(message: Message) -> str:
    fields = text_format.MessageToString(message, as_one_line=True, print_unknown_fields=False)
    return f"{type(message).__name__} {{{preview(fields, 250)}}}"


@dataclass
class GrpcReply:
    """The answer to one call: the response message when OK, else the code, message and error."""

    code: grpc.StatusCode
    response: Any
    message: str
    error: grpc.RpcError | None
    exchange: Exchange
    metadata: Metadata = ()  # what the server sent with its answer: headers (initial metadata), then trailers

    def header(self, key: str) -> str | bytes | None:
        """The first value the answer's metadata holds for `key` (lower case, as gRPC sends keys), or None."""
        return next((value for name, value in self.metadata if name == key), None)

    @property
    def ok(self) -> bool:
        return self.code == grpc.StatusCode.OK

    def fail(self, reason: str) -> CheckFailed:
        return CheckFailed(reason, self.exchange)


def answer_metadata(call: Any) -> Metadata:
    """A finished call's headers then trailers (an RpcError is a call too), for checks that read what came back."""
    found: list[tuple[str, str | bytes]] = []
    for part in ("initial_metadata", "trailing_metadata"):
        read = getattr(call, part, None)
        found += [(key, value) for key, value in (read() if read else None) or ()]
    return tuple(found)


class GrpcClient:
    """Calls users.v1.UserService at `target` with the lab's generated stubs and a deadline per call."""

    def __init__(self, target: str, timeout: float, stubs_package: str) -> None:
        self.target = target
        self.timeout = timeout
        self.channel = grpc.insecure_channel(target)
        self.pb: ModuleType = importlib.import_module(f"{stubs_package}.users.v1.users_pb2")
        stubs = importlib.import_module(f"{stubs_package}.users.v1.users_pb2_grpc")
        self.stub = stubs.UserServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def call(self, method: str, request: Message, metadata: tuple[tuple[str, str], ...] = ()) -> GrpcReply:
        """Call UserService/`method`; every status comes back as a reply, a missed deadline fails."""
        sent = f"{method}({describe_message(request)})"
        try:
            response, call = getattr(self.stub, method).with_call(
                request, timeout=self.timeout, metadata=metadata or None
            )
        except grpc.RpcError as error:
            code, details = error.code(), error.details() or ""
            self._raise_if_no_answer(code, sent, details)
            got = Exchange(sent, f"{code.name}: {preview(details)}")
            return GrpcReply(code, None, details, error, got, answer_metadata(error))
        got = Exchange(sent, f"OK {describe_message(response)}")
        return GrpcReply(grpc.StatusCode.OK, response, "", None, got, answer_metadata(call))

    def raw_call(self, method: str, payload: bytes, metadata: tuple[tuple[str, str], ...] = ()) -> GrpcReply:
        """Send `payload` as the request bytes of UserService/`method` (for corrupt-input checks)."""
        sent = f"{method}(raw bytes {payload!r})"
        call = self.channel.unary_unary(f"/{SERVICE}/{method}")
        try:
            answer = call(payload, timeout=self.timeout, metadata=metadata or None)
        except grpc.RpcError as error:
            code, details = error.code(), error.details() or ""
            self._raise_if_no_answer(code, sent, details)
            return GrpcReply(code, None, details, error, Exchange(sent, f"{code.name}: {preview(details)}"))
        return GrpcReply(grpc.StatusCode.OK, answer, "", None, Exchange(sent, f"OK {answer!r:.200}"))

    def _raise_if_no_answer(self, code: grpc.StatusCode, sent: str, details: str) -> None:
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise CheckFailed(f"no answer within {self.timeout:g} s", Exchange(sent, "DEADLINE_EXCEEDED"))
        if code == grpc.StatusCode.UNAVAILABLE:
            raise CheckFailed("the service was unavailable", Exchange(sent, f"UNAVAILABLE: {preview(details)}"))

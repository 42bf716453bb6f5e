"""The gRPC server as a process: health, reflection, deadlines, held calls, ports and a clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from common import harness

from ..settings import Settings
from ..users.v1 import users_pb2, users_pb2_grpc
from .conftest import ADMIN

TIMEOUT = 5.0
USER_SERVICE = "users.v1.UserService"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.mark.parametrize("service_name", ["", USER_SERVICE])
def test_health_reports_serving(channel, service_name):
    health = health_pb2_grpc.HealthStub(channel)
    answer = health.Check(health_pb2.HealthCheckRequest(service=service_name), timeout=TIMEOUT)
    assert answer.status == SERVING


def test_reflection_lists_the_services(channel):
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (answer,) = reflection.ServerReflectionInfo(iter([request]), timeout=TIMEOUT)
    names = {service.name for service in answer.list_services_response.service}
    assert {USER_SERVICE, "grpc.health.v1.Health"} <= names


def test_a_call_still_open_at_its_deadline_is_deadline_exceeded(channel):
    """Health Watch streams until cancelled, so the server is still answering when the deadline passes."""
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=3)
    assert next(watch).status == SERVING
    with pytest.raises(grpc.RpcError) as caught:
        next(watch)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_sigterm_turns_health_not_serving_then_exits_0(lab):
    """A watcher sees NOT_SERVING during the grace period; then the process stops with status 0."""
    with grpc.insecure_channel(lab.grpc_target) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=USER_SERVICE), timeout=15
        )
        assert next(watch).status == SERVING
        lab.send_signal(signal.SIGTERM)
        assert next(watch).status == NOT_SERVING
        watch.cancel()
    assert lab.process.wait(timeout=15) == 0  # no second signal: that would cut the grace period short
    assert "gRPC stopped" in lab.log()


def test_an_open_stream_does_not_hold_the_stop_past_the_grace_period(lab):
    """A client that never hangs up gets cut off after the grace period; the exit is still clean."""
    with grpc.insecure_channel(lab.grpc_target) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=60)
        assert next(watch).status == SERVING
        lab.send_signal(signal.SIGINT)
        assert lab.process.wait(timeout=15) == 0
    assert "gRPC stopped" in lab.log()


def start_with(lab_name: str, **env: str) -> subprocess.CompletedProcess[str]:
    return harness.run_to_exit(lab_name, {"JWT_SECRET": "s" * 32, **env})


def test_a_bad_grpc_port_stops_the_start_in_one_line_with_status_2(lab_name):
    result = start_with(lab_name, GRPC_PORT="fifty")
    assert result.returncode == 2
    assert "GRPC_PORT" in result.stderr and "Traceback" not in result.stderr


def test_a_taken_grpc_port_stops_the_start_in_one_line(lab_name):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = start_with(lab_name, HTTP_PORT=str(harness.free_port()), GRPC_PORT=str(taken.getsockname()[1]))
    assert result.returncode == 1
    assert "GRPC_PORT" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# --- calls that hold a thread -------------------------------------------------------------------
# A client can open a call and never send its message, or open a reflection stream and stay
# silent. The server counts such calls against a budget: past it, calls fail at once with
# RESOURCE_EXHAUSTED, and the health service keeps threads of its own.

SETTINGS = Settings()
SERVICE_BUDGET = SETTINGS.grpc_threads - SETTINGS.grpc_health_threads - SETTINGS.grpc_watch_threads


class Silence:
    """Request iterators that send nothing until released: held calls."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def messages(self) -> Iterator[bytes]:
        self.released.wait(30)
        return
        yield b""


def hold_calls(channel: grpc.Channel, silence: Silence, unary: int, reflection: int) -> list[object]:
    held = [
        channel.stream_unary("/users.v1.UserService/GetUser").future(silence.messages(), timeout=30)
        for _ in range(unary)
    ]
    held += [
        channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")(
            silence.messages(), timeout=30
        )
        for _ in range(reflection)
    ]
    time.sleep(0.5)  # the calls reach the server and take their threads
    return held


def timed_get(stub: users_pb2_grpc.UserServiceStub, user_id: str, token: str) -> tuple[grpc.StatusCode, float]:
    started = time.monotonic()
    try:
        stub.GetUser(users_pb2.GetUserRequest(id=user_id), timeout=5, metadata=[("authorization", f"Bearer {token}")])
        code = grpc.StatusCode.OK
    except grpc.RpcError as error:
        code = error.code()
    return code, time.monotonic() - started


def test_held_calls_and_eight_silent_reflection_streams_do_not_starve_health(lab):
    silence = Silence()
    with grpc.insecure_channel(lab.grpc_target) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        user = stub.CreateUser(users_pb2.CreateUserRequest(name="Held", email="held@example.com"), timeout=5)
        try:
            # Lab 3 has 24 threads (20 for the services): 12 held calls and 8 silent streams fill them.
            held = hold_calls(channel, silence, unary=SERVICE_BUDGET - 8, reflection=8)  # kept: dropped is cancelled
            code, seconds = timed_get(stub, user.id, ADMIN.token(lab.http_url))
            assert code == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{SERVICE_BUDGET} held calls fill the budget"
            assert seconds < 1.0, "a refused call should fail at once, not wait for its deadline"
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
            assert health.status == SERVING
            assert len(held) == SERVICE_BUDGET
        finally:
            silence.released.set()
        deadline = time.monotonic() + 5  # released calls end on their own schedule: wait for it, at most 5 s
        token = ADMIN.token(lab.http_url)
        while timed_get(stub, user.id, token)[0] != grpc.StatusCode.OK and time.monotonic() < deadline:
            time.sleep(0.05)
        assert timed_get(stub, user.id, token)[0] == grpc.StatusCode.OK, (
            "released calls give their threads back"
        )


def test_calls_held_within_the_budget_leave_the_service_answering(lab):
    silence = Silence()
    with grpc.insecure_channel(lab.grpc_target) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        user = stub.CreateUser(users_pb2.CreateUserRequest(name="Budget", email="budget@example.com"), timeout=5)
        try:
            held = hold_calls(channel, silence, unary=SERVICE_BUDGET - 2, reflection=1)  # noqa: F841 - kept open
            code, seconds = timed_get(stub, user.id, ADMIN.token(lab.http_url))
            assert code == grpc.StatusCode.OK and seconds < 1.0
        finally:
            silence.released.set()


def test_open_health_watch_streams_leave_health_checks_answering(lab):
    """Watch streams stay open by design; they have a budget of their own, so Check keeps its threads."""
    with grpc.insecure_channel(lab.grpc_target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watches = [health.Watch(health_pb2.HealthCheckRequest(), timeout=30) for _ in range(6)]
        try:
            statuses = []
            for watch in watches:
                try:
                    statuses.append(next(watch).status)
                except grpc.RpcError as error:
                    statuses.append(error.code())
            assert statuses.count(SERVING) == SETTINGS.grpc_watch_threads
            assert grpc.StatusCode.RESOURCE_EXHAUSTED in statuses
            assert health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == SERVING
        finally:
            for watch in watches:
                watch.cancel()

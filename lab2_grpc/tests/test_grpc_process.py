"""The gRPC server as a process: health, reflection, deadlines, ports and a clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from common import harness

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


def test_a_bad_grpc_port_stops_the_start_naming_the_variable():
    result = subprocess.run(
        [sys.executable, "-m", "lab2_grpc"],
        cwd=harness.ROOT,
        env={"GRPC_PORT": "fifty", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "GRPC_PORT" in result.stderr


def test_a_taken_grpc_port_stops_the_start_naming_the_variable():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {"HOST": "127.0.0.1", "HTTP_PORT": str(harness.free_port()), "PATH": "/usr/bin:/bin"}
        env["GRPC_PORT"] = str(taken.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-m", "lab2_grpc"],
            cwd=harness.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0
    assert "GRPC_PORT" in result.stderr

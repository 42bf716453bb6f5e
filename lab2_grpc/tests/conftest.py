"""This lab's name, for the shared fixtures in common/pytest_plugin.py (shared_lab, lab, rest_url, http), and gRPC's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from common import harness

from ..users.v1 import users_pb2_grpc

LAB = Path(__file__).resolve().parents[1].name


@pytest.fixture(scope="session")
def lab_name() -> str:
    return LAB


@pytest.fixture(scope="session")
def grpc_target(shared_lab: harness.LabProcess) -> str:
    return shared_lab.grpc_target


@pytest.fixture(scope="session")
def channel(grpc_target: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(grpc_target) as open_channel:
        yield open_channel


@pytest.fixture
def stub(channel: grpc.Channel) -> users_pb2_grpc.UserServiceStub:
    return users_pb2_grpc.UserServiceStub(channel)

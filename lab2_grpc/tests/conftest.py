"""Fixtures: the service's address comes from one place, so the same tests can grade any service.

``pytest lab2_grpc`` starts ``python -m lab2_grpc`` on free ports; ``--rest-url URL`` and ``--grpc-target HOST:PORT``
check a service that is already running there instead (a student's, in any language).
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
import requests

from common import harness
from lab2_grpc.users.v1 import users_pb2_grpc

LAB = "lab2_grpc"


@pytest.fixture(scope="session")
def shared_lab() -> Iterator[harness.LabProcess]:
    """One process of this lab for every test that only talks to it (each test uses its own emails)."""
    with harness.running(LAB) as lab:
        yield lab


@pytest.fixture(scope="session")
def rest_url(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> str:
    """The base URL of the service under test: --rest-url, or this lab started on a free port."""
    external = pytestconfig.getoption("--rest-url")
    if external:
        return external.rstrip("/")
    return request.getfixturevalue("shared_lab").http_url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def lab() -> Iterator[harness.LabProcess]:
    """A fresh process of this lab, for tests about the process itself (start, stop, signals)."""
    with harness.running(LAB) as process:
        yield process


@pytest.fixture(scope="session")
def grpc_target(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> str:
    """HOST:PORT of the gRPC service under test: --grpc-target, or the lab started for rest_url."""
    return pytestconfig.getoption("--grpc-target") or request.getfixturevalue("shared_lab").grpc_target


@pytest.fixture(scope="session")
def channel(grpc_target: str) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(grpc_target) as open_channel:
        yield open_channel


@pytest.fixture
def stub(channel: grpc.Channel) -> users_pb2_grpc.UserServiceStub:
    return users_pb2_grpc.UserServiceStub(channel)

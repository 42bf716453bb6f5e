"""Pytest glue shared by every lab: the grader's options, process logs on failure, CI strictness."""

from __future__ import annotations

import os
import shutil

import pytest

from . import harness

LOG_TAIL_CHARS = 6000


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("microlabs", "grading a running service")
    group.addoption(
        "--rest-url",
        default=os.environ.get("LAB_REST_URL"),
        help="test the service already running at this base URL (e.g. a student's) instead of starting the lab",
    )
    group.addoption(
        "--grpc-target",
        default=os.environ.get("LAB_GRPC_TARGET"),
        help="test the gRPC service already running at HOST:PORT instead of starting the lab (labs 2+)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.failed:
        for lab in harness.RUNNING:
            report.sections.append((f"log of {lab.module} (pid {lab.pid})", lab.log()[-LOG_TAIL_CHARS:]))
    return report


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(name: str, install_hint: str) -> str:
    """The path of a command-line tool; outside CI a missing tool skips the test, in CI it fails it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({install_hint})"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path

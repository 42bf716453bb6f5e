"""Pytest glue shared by every lab: the lab under test, process logs on failure, CI strictness.

Each lab's ``tests/conftest.py`` names its lab (derived from its folder); the fixtures here start
that lab on free ports: one process shared by the tests that only talk to it (each test makes its
own data), and a fresh one for the tests about the process itself (start, stop, signals).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from . import bench, harness

LOG_TAIL_CHARS = 6000


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    """Extra environment for the lab's processes; a lab's conftest overrides it (lab 3: ADMIN_EMAIL)."""
    return {}


@pytest.fixture(scope="session")
def shared_lab(lab_name: str, lab_env: dict[str, str]) -> Iterator[harness.LabProcess]:
    """One process of the lab for every test that only talks to it."""
    with harness.running(lab_name, lab_env) as lab:
        yield lab


@pytest.fixture(scope="session")
def rest_url(shared_lab: harness.LabProcess) -> str:
    """The shared lab's base URL. (A student's service is graded by python -m common.grader, not here.)"""
    return shared_lab.http_url


@pytest.fixture
def lab(lab_name: str, lab_env: dict[str, str]) -> Iterator[harness.LabProcess]:
    """A fresh process of the lab, for tests about the process itself (start, stop, signals)."""
    with harness.running(lab_name, lab_env) as process:
        yield process


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One lab per process: two labs' generated protobuf code cannot be imported into one."""
    tops = {item.path.relative_to(config.rootpath).parts[0] for item in items}
    labs = {top for top in tops if top.startswith("lab")}
    if len(labs) > 1:
        raise pytest.UsageError(f"these tests span {len(labs)} labs; run one lab per process: ./run_all.sh test")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """A lab's benchmark smoke test (tests/test_bench.py) runs the benchmark, which pins processes to cores 0
    and 1: labs' test processes running side by side (./run_all.sh test) take turns at them. Outermost
    (tryfirst), so the wait does not count against the test's timeout."""
    if item.path.name != "test_bench.py":
        return (yield)
    with bench.cores_to_ourselves():
        return (yield)


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
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        message = f"{name} is not installed ({install_hint})"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path

"""Fixtures: the service's address comes from one place, so the same tests can grade any service.

``pytest lab1_rest`` starts ``python -m lab1_rest`` on a free port; ``pytest lab1_rest/tests/test_contract.py
--rest-url URL`` checks a service that is already running there (a student's, in any language).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from common import harness

LAB = "lab1_rest"


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

"""This lab's name, for the shared fixtures in common/pytest_plugin.py (shared_lab, lab, rest_url, http)."""

from __future__ import annotations

from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[1].name


@pytest.fixture(scope="session")
def lab_name() -> str:
    return LAB

"""Assertions the contract tests share, so that a grader reads the same rule the same way in every lab."""

from __future__ import annotations

import uuid

import requests

PROBLEM_JSON = "application/problem+json"


def unique_email(prefix: str = "user") -> str:
    """An email no other test uses, so tests can share one running service (a student's too)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def assert_problem(response: requests.Response, status: int, field: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status; with `field`, its errors name that field."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON), response.headers["Content-Type"]
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    if field is not None:
        named = [error["field"] for error in problem.get("errors", [])]
        assert field in named, f"errors should name {field!r}, named {named}"
    return problem

"""The data and the operations both transports are measured on, defined once so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterator

SEED_USERS = 1000  # every server starts with these, so list 1,000 and get/update hit the same records
LIST_SIZES = (1, 100, 1000)
OPERATIONS = ("create", "get", "list_1", "list_100", "list_1000", "update", "delete")
SINGLE_USER_OPERATIONS = ("create", "get", "update", "delete")  # the ones held to 0.8x their floor
FLOOR = "hello"
# The Locust worker (load.py) marks its answer line with this; the study reads it without importing Locust,
# whose import patches the standard library for gevent.
RESULT_PREFIX = "RESULT "


def seed_user(index: int) -> dict[str, str]:
    """The index-th seeded user's fields: the same on every server and in every run."""
    return {"name": f"Seed User {index}", "email": f"seed{index}@example.com"}


def seed_users(count: int = SEED_USERS) -> Iterator[dict[str, str]]:
    return (seed_user(index) for index in range(1, count + 1))


def list_size(operation: str) -> int | None:
    """1, 100 or 1000 for a list operation, None for the others."""
    prefix, _, size = operation.partition("_")
    return int(size) if prefix == "list" else None

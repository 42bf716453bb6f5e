"""A scratch PostgreSQL database for a test: created empty, handed over as a URL, dropped afterwards.

From lab 7 the users may live in PostgreSQL (DATABASE_URL). The tests use the machine's own server
(127.0.0.1:5432, as the current user, trust authentication). Each test that needs a database gets
one of its own, so that no test sees another's rows or ids, and drops it when it is done, with
every session still open on it (a lab killed mid-test leaves some): the server stays as it was found.

Without a server the test is skipped, saying why; under CI=true, where there must be one, it fails.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql

from .pytest_plugin import in_ci

SERVER = "postgresql://127.0.0.1:5432"
MAINTENANCE_URL = f"{SERVER}/postgres"  # the database to connect to while creating or dropping another
PREFIX = "microlabs_test_"  # every scratch database's name starts so: a leftover is easy to recognise


@contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new, empty database for the `with` block; dropped when the block ends."""
    name = PREFIX + secrets.token_hex(6)
    _run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{SERVER}/{name}"
    finally:
        _run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run(statement: sql.Composed) -> None:
    """One statement on the maintenance database, in autocommit: CREATE DATABASE cannot run in a transaction."""
    try:
        connection = psycopg.connect(MAINTENANCE_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _unavailable(f"PostgreSQL is not running at {MAINTENANCE_URL}: {' '.join(str(exc).split())}")
    with connection:
        connection.execute(statement)


def _unavailable(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)

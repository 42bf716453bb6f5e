"""Lab 7: the store `DATABASE_URL` names: memory:// (store.py, the default) or PostgreSQL (postgres_store.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .postgres_store import PostgresStore
from .settings import Settings
from .store import UserStore


def open_store(settings: Settings) -> UserStore | PostgresStore:
    """The store, not yet connected: a PostgresStore opens its pool when the lifecycle starts it (in the worker)."""
    if urlsplit(settings.database_url).scheme in ("postgresql", "postgres"):
        return PostgresStore(settings.database_url, settings.database_pool_size)
    return UserStore()

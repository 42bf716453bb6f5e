"""A thread-safe, in-memory user store.

The server answers requests on several threads at once. Every method takes one lock for the
whole read-check-write, so two requests can never both claim one email or overwrite each
other's update. The data lives in this process's memory: run one process (threads, not
worker processes), or each process would hold a different set of users.

The clock is injected: tests pass a fake one, and a slow one that widens the gap between the
check and the write, so that a store without its lock fails every time, not once in a while.

Lab 7: `Store` names what the rest of the lab calls on a store, so that DATABASE_URL can choose
this one (memory://) or postgres_store.PostgresStore (postgresql://...) without any other change.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from .domain import EmailTaken, User, UserFields, UserNotFound
from .events import Event, user_registered


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store(Protocol):
    """Lab 7: what REST, gRPC, the tokens and the outbox relay need of a store, whichever holds the users."""

    event_recorded: threading.Event

    def create(self, fields: UserFields, password_hash: str | None = None, role: str = "user") -> User: ...
    def get(self, user_id: str) -> User: ...
    def list(self, limit: int | None = None, offset: int = 0) -> list[User]: ...
    def update(self, user_id: str, fields: UserFields) -> User: ...
    def delete(self, user_id: str) -> None: ...
    def login_record(self, email: str) -> tuple[str, str | None, str] | None: ...
    def exists(self, user_id: str) -> bool: ...
    def __len__(self) -> int: ...
    def pending_events(self, limit: int) -> list[Event]: ...
    def mark_published(self, event_ids: list[str]) -> None: ...
    def outbox_size(self) -> int: ...


class UserStore:
    """Users by id, with a case-insensitive index of emails to keep them unique."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}  # insertion order = creation order
        self._ids_by_email: dict[str, str] = {}
        self._next_id = itertools.count(1)
        # Lab 3: what only the server may see, kept beside the user and never inside it (a User is
        # what the API returns): the password's hash (None: no password) and the role.
        self._secrets: dict[str, tuple[str | None, str]] = {}
        # Lab 5: the outbox. A registration's event is recorded with the user, under the same lock,
        # so there is never a user without its event nor an event without its user; the relay
        # (outbox.py) publishes pending events and removes them once the broker has confirmed.
        self._outbox: dict[str, Event] = {}  # by event id, oldest first
        self.event_recorded = threading.Event()  # set by each registration; wakes the relay

    def create(self, fields: UserFields, password_hash: str | None = None, role: str = "user") -> User:
        # >>> lab 1 · store.create: under the lock, refuse a taken email (EmailTaken), else store and return a new User
        key = fields.email.casefold()
        with self._lock:
            if key in self._ids_by_email:
                raise EmailTaken(fields.email)
            now = self._clock()
            user = User(str(next(self._next_id)), fields.name, fields.email, now, now)
            self._users[user.id] = user
            self._ids_by_email[key] = user.id
            self._secrets[user.id] = (password_hash, role)
            event = user_registered(user.id, user.name, user.email)  # lab 5: in the same critical section
            self._outbox[event.id] = event
            self.event_recorded.set()
            return user
        # <<< lab 1

    def pending_events(self, limit: int) -> list[Event]:
        """Lab 5: up to `limit` events not yet confirmed by the broker, oldest first."""
        with self._lock:
            return list(itertools.islice(self._outbox.values(), limit))

    def mark_published(self, event_ids: list[str]) -> None:
        """Lab 5: the broker confirmed these events: they leave the outbox."""
        with self._lock:
            for event_id in event_ids:
                self._outbox.pop(event_id, None)

    def outbox_size(self) -> int:
        with self._lock:
            return len(self._outbox)

    def get(self, user_id: str) -> User:
        # >>> lab 1 · store.get: return the user with this id, or raise UserNotFound
        with self._lock:
            return self._get(user_id)
        # <<< lab 1

    def list(self, limit: int | None = None, offset: int = 0) -> list[User]:
        """Users oldest first; `limit` None means all of them."""
        # >>> lab 1 · store.list: every user, oldest first, skipping `offset` and returning at most `limit`
        with self._lock:
            users = list(self._users.values())
        end = None if limit is None else offset + limit
        return users[offset:end]
        # <<< lab 1

    def update(self, user_id: str, fields: UserFields) -> User:
        # >>> lab 1 · store.update: under the lock, replace name and email (another user's email: EmailTaken)
        new_key = fields.email.casefold()
        with self._lock:
            old = self._get(user_id)
            owner = self._ids_by_email.get(new_key)
            if owner is not None and owner != user_id:
                raise EmailTaken(fields.email)
            user = User(user_id, fields.name, fields.email, old.created_at, self._clock())
            del self._ids_by_email[old.email.casefold()]
            self._ids_by_email[new_key] = user_id
            self._users[user_id] = user
            return user
        # <<< lab 1

    def delete(self, user_id: str) -> None:
        # >>> lab 1 · store.delete: remove the user and free its email, or raise UserNotFound
        with self._lock:
            user = self._get(user_id)
            del self._users[user_id]
            del self._ids_by_email[user.email.casefold()]
            self._secrets.pop(user_id, None)
        # <<< lab 1

    def login_record(self, email: str) -> tuple[str, str | None, str] | None:
        """Lab 3: (id, password hash, role) of the user with this email, or None: for login only."""
        with self._lock:
            user_id = self._ids_by_email.get(email.casefold())
            if user_id is None:
                return None
            password_hash, role = self._secrets[user_id]
            return user_id, password_hash, role

    def exists(self, user_id: str) -> bool:
        """Lab 3: whether this user is still registered (a deleted user's token opens nothing)."""
        with self._lock:
            return user_id in self._users

    def __len__(self) -> int:
        with self._lock:
            return len(self._users)

    def _get(self, user_id: str) -> User:
        try:
            return self._users[user_id]
        except KeyError:
            raise UserNotFound(user_id) from None

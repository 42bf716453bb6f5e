"""Lab 7: the users in PostgreSQL, behind the same methods as the in-memory store.

With DATABASE_URL=postgresql://... the users outlive the process: a restart, a crash, a new
release find them where they were. Everything above the store (REST, gRPC, tokens, the outbox
relay) calls the same methods and catches the same errors, so none of it changes.

The in-memory store keeps its promises with one lock; here the database keeps them, and they
hold across processes too:

- a unique index on the email's case-folded key refuses a second user with one email, even
  when two registrations race (there is no "check, then insert" gap: the insert is the check);
- a registration inserts the user and its event in one transaction: both are kept or neither;
- each request borrows a connection from a pool, so a burst of requests does not open a
  burst of connections.

The store is also a component of the lifecycle: Gunicorn makes it in its master process and
forks the worker, and a connection (or the pool's threads) must not cross a fork. So the
constructor only remembers the URL; `start`, in the worker, opens the pool and creates the
tables if they are missing.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import errors
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool, PoolTimeout

from .domain import EmailTaken, Unavailable, User, UserFields, UserNotFound
from .events import Event, user_registered
from .lifecycle import StartError
from .settings import MASK, shown

log = logging.getLogger(__name__)

CONNECT_SECONDS = 5  # how long a start waits for the database before it gives up, naming DATABASE_URL
# How long a request waits for a connection of the pool (the database gone, or every connection busy)
# before it is answered 503 / UNAVAILABLE: a few seconds, not the pool's default 30, which would hold
# the server's threads while the database is away.
WAIT_SECONDS = 5
# How long the schema's statements wait for a lock held by another session (a long transaction of the
# previous release, during a rolling update) before the start gives up, naming DATABASE_URL.
LOCK_SECONDS = 5
MAX_ID = 2**63 - 1  # the largest bigint
EMAIL_INDEX = "users_email_key"

# Run at every start: IF NOT EXISTS makes a second start (or a restart) a no-op.
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    -- email.casefold(), written by the store: the key that makes emails unique. Not an index on
    -- lower(email): lower() and casefold() disagree ('Straße' is 'straße' to one, 'strasse' to the
    -- other), and lower() follows the database's locale. The in-memory store's rule must not change.
    email_key text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    password_hash text,  -- NULL: registered without a password, cannot log in
    role text NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS {EMAIL_INDEX} ON users (email_key);
-- Events recorded with their registration, waiting for the broker's confirmation (outbox.py).
CREATE TABLE IF NOT EXISTS outbox (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- the order they were recorded in
    id text NOT NULL UNIQUE,  -- the event's own id, the same on every delivery
    type text NOT NULL,
    source text NOT NULL,
    time text NOT NULL,  -- as the event carries it: it is published exactly as it was recorded
    data json NOT NULL,  -- json, not jsonb: its keys keep their order
    traceparent text
);
"""
USER_COLUMNS = "id, name, email, created_at, updated_at"
EVENT_COLUMNS = "type, data, id, source, time, traceparent"  # the order of Event's fields


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PostgresStore:
    """Users in a PostgreSQL database; the same methods and errors as store.UserStore."""

    name = "PostgreSQL store"

    def __init__(self, url: str, pool_size: int = 10, clock: Callable[[], datetime] = _utc_now) -> None:
        self.url = url
        self.pool_size = pool_size
        self._clock = clock
        self._pool: ConnectionPool | None = None  # opened by start(), in the process that serves
        self.event_recorded = threading.Event()  # set by each registration; wakes the relay

    # --- the lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Create the tables if they are missing, then open the pool; StartError if the database is out of reach."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_SECONDS) as connection:
                connection.execute(f"SET lock_timeout = '{LOCK_SECONDS}s'")
                connection.execute(SCHEMA)
            pool = ConnectionPool(
                self.url,
                min_size=self.pool_size,  # and as many at most: all of them opened now, none per request
                open=False,
                # A connection the server has closed (a restart of PostgreSQL) is found before a request gets it.
                check=ConnectionPool.check_connection,
                timeout=WAIT_SECONDS,
                kwargs={"connect_timeout": CONNECT_SECONDS},  # a database that is back is found again soon
            )
            pool.open(wait=True, timeout=CONNECT_SECONDS)
        except (psycopg.Error, ValueError, UnicodeError) as exc:  # PoolTimeout is one too; a URL libpq cannot read
            raise StartError(f"DATABASE_URL={masked(self.url)}: cannot use the database: {self._reason(exc)}") from None
        self._pool = pool

    def begin_stop(self, grace: float) -> None:
        """Nothing yet: the components still draining (gRPC calls, the relay) need the database until they stop."""

    def wait_stopped(self, timeout: float) -> None:
        """Close the connections: the lifecycle waits for this component last, once the others have stopped."""
        if self._pool is not None:
            self._pool.close(timeout)

    # --- users -----------------------------------------------------------------------------------

    def create(self, fields: UserFields, password_hash: str | None = None, role: str = "user") -> User:
        """The user and its event, in one transaction (both or neither); a taken email is EmailTaken (the index's
        unique violation, through `_unique_email`). Then `event_recorded` wakes the relay, as UserStore.create does."""
        # >>> lab 7 · PostgresStore.create: one transaction: the user, then _record its event; then wake the relay
        now = self._clock()
        insert = (
            "INSERT INTO users (name, email, email_key, created_at, updated_at, password_hash, role)"
            f" VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {USER_COLUMNS}"
        )
        values = (fields.name, fields.email, fields.email.casefold(), now, now, password_hash, role)
        with _unique_email(fields.email), self._connection() as connection, connection.transaction():
            user = _user(connection.execute(insert, values).fetchone())
            _record(connection, user_registered(user.id, user.name, user.email))
        self.event_recorded.set()
        return user
        # <<< lab 7

    def get(self, user_id: str) -> User:
        row = self._one(f"SELECT {USER_COLUMNS} FROM users WHERE id = %s", _row_id(user_id))
        if row is None:
            raise UserNotFound(user_id)
        return _user(row)

    def list(self, limit: int | None = None, offset: int = 0) -> list[User]:
        """Users oldest first; `limit` None means all of them."""
        query = f"SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT %s OFFSET %s"
        with self._connection() as connection:
            return [_user(row) for row in connection.execute(query, (limit, offset))]

    def update(self, user_id: str, fields: UserFields) -> User:
        # >>> lab 7 · PostgresStore.update: one UPDATE ... RETURNING; no row: UserNotFound, a taken email: EmailTaken
        query = (
            "UPDATE users SET name = %s, email = %s, email_key = %s, updated_at = %s WHERE id = %s"
            f" RETURNING {USER_COLUMNS}"
        )
        values = (fields.name, fields.email, fields.email.casefold(), self._clock(), _row_id(user_id))
        with _unique_email(fields.email):
            row = self._one(query, *values)
        if row is None:
            raise UserNotFound(user_id)
        return _user(row)
        # <<< lab 7

    def delete(self, user_id: str) -> None:
        """The user's events stay in the outbox: a registration happened, and it is still news."""
        if self._one("DELETE FROM users WHERE id = %s RETURNING id", _row_id(user_id)) is None:
            raise UserNotFound(user_id)

    def login_record(self, email: str) -> tuple[str, str | None, str] | None:
        """Lab 3: (id, password hash, role) of the user with this email, or None: for login only."""
        if "\x00" in email:  # PostgreSQL's text cannot hold it, so no stored email does: nobody to log in
            return None
        row = self._one("SELECT id, password_hash, role FROM users WHERE email_key = %s", email.casefold())
        return None if row is None else (str(row[0]), row[1], row[2])

    def exists(self, user_id: str) -> bool:
        """Lab 3: whether this user is still registered (a deleted user's token opens nothing)."""
        try:
            return self._one("SELECT 1 FROM users WHERE id = %s", _row_id(user_id)) is not None
        except UserNotFound:
            return False

    def __len__(self) -> int:
        return self._one("SELECT count(*) FROM users")[0]

    # --- the outbox ------------------------------------------------------------------------------

    def pending_events(self, limit: int) -> list[Event]:
        """Lab 5: up to `limit` events not yet confirmed by the broker, oldest first."""
        query = f"SELECT {EVENT_COLUMNS} FROM outbox ORDER BY position LIMIT %s"
        with self._connection() as connection:
            return [Event(*row) for row in connection.execute(query, (limit,))]

    def mark_published(self, event_ids: list[str]) -> None:
        """Lab 5: the broker confirmed these events: they leave the outbox."""
        with self._connection() as connection:
            connection.execute("DELETE FROM outbox WHERE id = ANY(%s)", (event_ids,))

    def outbox_size(self) -> int:
        return self._one("SELECT count(*) FROM outbox")[0]

    # --- helpers ---------------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection of the pool for one `with` block; what the block did is committed at its end.

        A database out of reach (no connection within WAIT_SECONDS, or one lost on the way) is
        Unavailable: the caller is answered 503 / UNAVAILABLE, and the driver's words stay in the log.
        """
        if self._pool is None:
            raise RuntimeError("the store is not started: it opens its pool in start()")
        try:
            with self._pool.connection() as connection:
                yield connection
        except (PoolTimeout, psycopg.OperationalError) as exc:
            log.warning("the database is unavailable: %s", self._reason(exc))
            raise Unavailable() from None

    def _one(self, query: str, *values: object) -> tuple[Any, ...] | None:
        """The first row of one statement, in a transaction of its own."""
        with self._connection() as connection:
            return connection.execute(query, values).fetchone()

    def _reason(self, exc: Exception) -> str:
        """The database's reason on one line, without the password (a URL that does not parse is quoted)."""
        reason = " ".join(str(exc).split()) or type(exc).__name__
        try:
            password = urlsplit(self.url).password
        except ValueError:  # a URL urlsplit cannot read: libpq said why, and the reason holds no URL
            return reason
        return reason.replace(password, MASK) if password else reason


@contextmanager
def _unique_email(email: str) -> Iterator[None]:
    """The email index's unique violation as EmailTaken: the database decides, not a check made before."""
    try:
        yield
    except errors.UniqueViolation as exc:
        if exc.diag.constraint_name != EMAIL_INDEX:
            raise
        raise EmailTaken(email) from None


def _record(connection: psycopg.Connection[Any], event: Event) -> None:
    """Put the event in the outbox, in the caller's transaction."""
    query = f"INSERT INTO outbox ({EVENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"
    connection.execute(query, (event.type, Json(event.data), event.id, event.source, event.time, event.traceparent))


def _user(row: tuple[Any, ...]) -> User:
    """A row as the API's User: the id as a string, the times in UTC whatever the server's time zone."""
    user_id, name, email, created_at, updated_at = row
    return User(str(user_id), name, email, created_at.astimezone(UTC), updated_at.astimezone(UTC))


ID = re.compile(r"[1-9][0-9]{0,18}")  # the decimal digits of a positive bigint, with no sign, space or leading zero


def _row_id(user_id: str) -> int:
    """The row id an API id names. "abc", "007" or 2**64 name no user: UserNotFound, never a database error."""
    if not ID.fullmatch(user_id) or int(user_id) > MAX_ID:
        raise UserNotFound(user_id)
    return int(user_id)


def masked(url: str) -> str:
    """The URL with its password masked, as the settings show it: it goes into error messages and logs."""
    return shown("DATABASE_URL", url)

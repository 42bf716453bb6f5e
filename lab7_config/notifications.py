"""The notifier's record: one notification per event, however many times the event is delivered.

A broker delivers each message at least once: after a crash, a lost ack or a publisher's retry,
the same `user.registered` event may arrive again. The record is keyed by the event's id, so the
second delivery finds it and does nothing (the consumer is idempotent). It is kept in SQLite, a
file (NOTIFIER_DB): a notifier killed and restarted still knows what it has done, and the broker's
redelivery of what it had not acked yet notifies nobody twice. (The email, sent before the record
is written, can be sent twice if the notifier dies between the two: at least once, never zero.)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from .events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    event_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    message TEXT NOT NULL,
    channels TEXT NOT NULL,
    event_time TEXT NOT NULL,
    notified_at TEXT NOT NULL,
    trace_id TEXT
)
"""


@dataclass(frozen=True)
class Notification:
    event_id: str
    user_id: str
    email: str
    message: str
    channels: tuple[str, ...]  # "record" always; "email" when it was sent by SMTP
    event_time: str  # when the users service recorded the registration: notified_at - event_time is the delay
    notified_at: str
    trace_id: str | None  # lab 6: the registration's trace (its log lines share it); None if it had none

    def to_json(self) -> dict[str, object]:
        """What GET /notifications shows: not the email address, which only the mail server needs to see."""
        shown = asdict(self) | {"channels": list(self.channels)}
        del shown["email"]
        return shown


def welcome(event: Event) -> str:
    return f"Welcome, {event.data['name']}! Your account is ready."


class Notifications:
    """Thread-safe: the consumer's thread writes, the HTTP threads read (one connection, one lock)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # WAL with synchronous=NORMAL: a commit survives the notifier's crash (what idempotence needs),
        # not a power cut; fsyncing every notification would cost 7 times as much.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)
        self._db.execute("CREATE INDEX IF NOT EXISTS notifications_by_user ON notifications (user_id)")

    def seen(self, event_id: str) -> bool:
        with self._lock:
            found = self._db.execute("SELECT 1 FROM notifications WHERE event_id = ?", (event_id,)).fetchone()
        return found is not None

    def record(self, event: Event, channels: tuple[str, ...]) -> bool:
        """Record the event's notification; False if it was already recorded (a redelivery)."""
        row = (
            event.id, event.data["id"], event.data["email"], welcome(event), json.dumps(channels), event.time,
            datetime.now(UTC).isoformat(timespec="milliseconds"), event.trace_id,
        )  # fmt: skip
        with self._lock:
            insert = "INSERT INTO notifications VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
            cursor = self._db.execute(insert, row)
            return cursor.rowcount == 1

    def list(self, user_id: str | None = None, limit: int = -1, offset: int = 0) -> list[Notification]:
        """Oldest first; `user_id` filters, `limit` (-1: no limit) and `offset` choose a page."""
        query, args = "SELECT * FROM notifications", ()
        if user_id is not None:
            query, args = query + " WHERE user_id = ?", (user_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY rowid LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
        return [Notification(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7]) for r in rows]

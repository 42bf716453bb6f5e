"""Passwords: stored only as slow hashes, checked in constant time, and guessed only slowly.

- Hashing: Argon2id (argon2-cffi), the winner of the Password Hashing Competition. Slow and
  memory-hungry on purpose, so that a stolen store costs an attacker years instead of seconds.
  The parameters are OWASP's minimum (19 MiB, 2 passes, 1 lane): a login costs tens of
  milliseconds here, not a quarter of a second, and 16 at once fit in memory.
- Timing: an unknown email is checked against a dummy hash, so it takes as long as a wrong
  password and the answer's timing does not tell which emails are registered.
- Guessing: after MAX_FAILURES wrong passwords for one email, that email is locked for
  LOCK_SECONDS, whether or not anyone has it (so the lock does not reveal that either).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the email is unknown, so that "no such user" costs what "wrong password" costs.
_DUMMY_HASH = HASHER.hash("a password nobody has: it only makes unknown emails cost the same time")
MAX_FAILURES = 5
LOCK_SECONDS = 60.0


def hash_password(password: str) -> str:
    """The Argon2id hash to store: it holds its own random salt and parameters."""
    # >>> lab 3 · hash_password: hash with Argon2id (HASHER); store only the hash, never the password
    return HASHER.hash(password)
    # <<< lab 3


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash (unknown email, no password) it costs the same and is False."""
    # >>> lab 3 · verify_password: verify against the stored hash, or the dummy one when there is none; never raise
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
    # <<< lab 3


class LoginThrottle:
    """Counts failed logins per email; after MAX_FAILURES within LOCK_SECONDS, the email is locked for LOCK_SECONDS."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        lock_seconds: float = LOCK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._lock_seconds = lock_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}  # email (case-folded) → times of recent failures

    def retry_after(self, email: str) -> float:
        """Seconds until this email may try again; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            recent = self._recent(email.casefold(), now)
            if len(recent) < self._max:
                return 0.0
            return max(0.0, recent[-self._max] + self._lock_seconds - now)

    def failed(self, email: str) -> None:
        now = self._clock()
        with self._lock:
            key = email.casefold()
            self._failures[key] = [*self._recent(key, now)[1 - self._max :], now] if self._max > 1 else [now]

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(email.casefold(), None)

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self._failures.get(key, []) if now - t < self._lock_seconds]

"""Fire calls at the same instant from many threads, for the requirements about concurrency.

A barrier releases every thread together, so the calls overlap inside the service: that is what
turns a missing lock into a visible bug (two 201s for one email, an update that vanished).

A service may guard itself against load by refusing, at once, the calls over what it can run
together (gRPC RESOURCE_EXHAUSTED, HTTP 503 or 429), asking the client to retry later: lab 2's
gRPC server runs 10 service calls at a time. That is a correct answer, but not the one a race is
judged on, so `WhileBusy` sends such a call again after a short pause: the check then judges what
the calls that were served did (one create wins, no update is lost), not how much load was refused.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, BrokenBarrierError
from typing import Generic, TypeVar

from .evidence import CheckFailed, Exchange

T = TypeVar("T")
MAX_THREADS = 32
FIRST_PAUSE = 0.05  # seconds before a refused call is sent again; the pause doubles after each refusal ...
LONGEST_PAUSE = 1.0  # ... up to this
LONGEST_HINT = 5.0  # seconds: the most a server's own hint (Retry-After) is waited


def all_at_once(task: Callable[[int], T], count: int, start_timeout: float = 10.0) -> list[T | BaseException]:
    """Run task(i) for i in range(count), all released together; each result or the exception it raised."""
    threads = min(count, MAX_THREADS)
    start = Barrier(threads)

    def run(i: int) -> T | BaseException:
        try:
            if i < threads:
                start.wait(start_timeout)
            return task(i)
        except BrokenBarrierError as exc:
            return exc
        except Exception as exc:  # the check judges failures together, after every call has ended
            return exc

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(count)))


def settled(results: list[T | BaseException]) -> list[T]:
    """The results of a parallel run; the first call that got no answer fails the requirement."""
    for result in results:
        if isinstance(result, CheckFailed):
            raise result
        if isinstance(result, BaseException):
            raise CheckFailed(f"a parallel call failed: {type(result).__name__}: {result}")
    return results  # type: ignore[return-value]


class WhileBusy(Generic[T]):
    """Sends a call again, after a short growing pause, while the service refuses it as busy, until `until`.

    `busy` tells a refusal for load from any other answer; `named` names such refusals in a failure
    message ("RESOURCE_EXHAUSTED"); `hint` reads how long the service asked the client to wait
    (Retry-After), if it did. One WhileBusy serves every thread of one parallel run.
    """

    def __init__(
        self,
        busy: Callable[[T], bool],
        until: float,
        named: str,
        hint: Callable[[T], float | None] = lambda answer: None,
    ) -> None:
        self.busy = busy
        self.until = until  # time.monotonic() after which a refused call is not sent again
        self.named = named
        self.hint = hint
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._refusals = 0

    @property
    def refusals(self) -> int:
        """How many times a call was refused as busy, and sent again."""
        with self._lock:
            return self._refusals

    def call(self, send: Callable[[], T]) -> T:
        """send() until an answer that is not a refusal for load; once `until` has passed, the refusal itself."""
        pause = FIRST_PAUSE
        while True:
            answer = send()
            left = self.until - time.monotonic()
            if not self.busy(answer) or left <= 0:
                return answer
            with self._lock:
                self._refusals += 1
            asked = min(self.hint(answer) or 0.0, LONGEST_HINT)
            # Spread the calls refused together, so that they do not all come back at one instant again.
            time.sleep(min(left, max(asked, random.uniform(pause / 2, pause))))
            pause = min(2 * pause, LONGEST_PAUSE)

    def expect_served(self, answers: list[T], exchange_of: Callable[[T], Exchange]) -> None:
        """Fail, clearly, when a call was still refused as busy when the retries ended (the server never served it)."""
        refused = [answer for answer in answers if self.busy(answer)]
        if refused:
            waited = max(0.0, self.until - self.started)
            raise CheckFailed(
                f"{len(refused)} of {len(answers)} calls were still refused as busy ({self.named}) after being "
                f"sent again for {waited:.0f} s: a server may refuse calls while it is busy, but should serve "
                "them once the calls before them have ended",
                exchange_of(refused[0]),
            )

    def note(self) -> str:
        """What the evidence adds when calls were sent again ("" when none was)."""
        refusals = self.refusals
        if not refusals:
            return ""
        return f"; the calls refused as busy ({self.named}) were sent again, {refusals} times in all"

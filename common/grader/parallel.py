"""Fire calls at the same instant from many threads, for the requirements about concurrency.

A barrier releases every thread together, so the calls overlap inside the service: that is what
turns a missing lock into a visible bug (two 201s for one email, an update that vanished).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, BrokenBarrierError
from typing import TypeVar

from .evidence import CheckFailed

T = TypeVar("T")
MAX_THREADS = 32


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

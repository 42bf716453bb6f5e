"""What the study is doing and how long it has left, one line per step, as it goes.

The plan gives each phase its expected seconds and steps (from the options). The time left is the plan
still ahead (the later phases, and the steps of this one not yet begun), scaled by how the study has kept
to its plan so far: a slower machine gets a longer estimate after the first half minute.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_TRUST_AFTER = 20.0  # planned seconds done before the pace so far is used to correct the estimate


def clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class Progress:
    def __init__(self, plan: dict[str, tuple[float, int]], out: TextIO = sys.stdout) -> None:
        self.plan = dict(plan)  # phase -> (seconds, steps)
        self.out = out
        self.started = time.monotonic()
        self.current: str | None = None
        self.steps_begun = 0
        self.finished: list[str] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _planned_done(self) -> float:
        done = sum(self.plan[name][0] for name in self.finished)
        if self.current is not None:
            seconds, steps = self.plan[self.current]
            done += seconds * max(0, self.steps_begun - 1) / max(1, steps)
        return done

    def left(self) -> float:
        """Seconds still to go, by the plan, corrected by the pace so far."""
        total = sum(seconds for seconds, _ in self.plan.values())
        done = self._planned_done()
        pace = min(2.0, max(0.5, self.elapsed() / done)) if done >= _TRUST_AFTER else 1.0
        return pace * max(0.0, total - done)

    def _print(self, text: str) -> None:
        print(f"[{clock(self.elapsed())} elapsed, about {clock(self.left())} left] {text}", file=self.out, flush=True)

    def phase(self, name: str, description: str) -> None:
        if self.current is not None:
            self.finished.append(self.current)
        self.current = name
        self.steps_begun = 0
        self._print(f"{name}: {description}")

    def step(self, label: str) -> None:
        self.steps_begun += 1
        self._print(f"  {self.current}: {label}")

    def resize(self, name: str, seconds: float, steps: int) -> None:
        """A phase whose size is known only once it starts (the profiles follow the misses)."""
        self.plan[name] = (seconds, steps)

    def done(self) -> None:
        if self.current is not None:
            self.finished.append(self.current)
        self.current = None

"""What a run found: one result per requirement, and the scores an instructor records.

Scores are sums of weights: "core" over the requirements the assignment asks for, "extras" over
the course's quality bar. A requirement earns its weight only when it passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .addresses import Addresses
from .labs import Lab
from .registry import Requirement

Status = Literal["pass", "fail", "error", "skipped"]


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    status: Status
    message: str | None = None
    duration: float = 0.0

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass(frozen=True)
class Score:
    earned: float
    possible: float

    @property
    def percent(self) -> float:
        return 100.0 * self.earned / self.possible if self.possible else 100.0

    def __str__(self) -> str:
        return f"{self.earned:g}/{self.possible:g} ({self.percent:.0f}%)"


def score(results: list[RequirementResult]) -> Score:
    return Score(
        sum(r.requirement.weight for r in results if r.passed),
        sum(r.requirement.weight for r in results),
    )


@dataclass
class RunResult:
    """Everything one grading run produced; `error` is set when the service could not be graded at all."""

    lab: Lab
    addresses: Addresses
    results: list[RequirementResult] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0
    error: str | None = None

    @property
    def core(self) -> Score:
        return score([r for r in self.results if r.requirement.core])

    @property
    def extras(self) -> Score:
        return score([r for r in self.results if not r.requirement.core])

    @property
    def core_passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results if r.requirement.core)

    @property
    def extras_passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results if not r.requirement.core)

    @property
    def status(self) -> Literal["pass", "fail", "error"]:
        """Exercism's run status: error when nothing could be graded, pass when every requirement passed."""
        if self.error is not None:
            return "error"
        return "pass" if all(r.passed for r in self.results) else "fail"

    def lost(self) -> set[str]:
        """Ids of the requirements that did not pass (failed, errored or skipped)."""
        return {r.id for r in self.results if not r.passed}

    def by_status(self, status: Status) -> set[str]:
        return {r.id for r in self.results if r.status == status}

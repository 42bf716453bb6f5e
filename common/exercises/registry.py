"""Exercises are check functions registered with their lab and number, one module per lab.

The module of a lab is named after it (``lab1_rest.py``) and imported only when that lab is
checked: lab 2's checks need its generated protobuf code, which lab 1 does not have.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from common.grader import Context
from common.grader.labs import Lab

Check = Callable[[Context], None]
_REGISTERED: dict[tuple[str, int], Exercise] = {}


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lab's README: what done means (`title`), how to get there, and its check."""

    lab: str
    number: int
    title: str
    hint: str
    check: Check


class UnknownExercise(LookupError):
    """The lab has no exercise with that number; the message lists those it has."""


def exercise(lab: str, number: int, *, title: str, hint: str) -> Callable[[Check], Check]:
    """Register the decorated function as exercise `number` of `lab` (the lab's folder name)."""

    def register(check: Check) -> Check:
        if (lab, number) in _REGISTERED:
            raise ValueError(f"exercise {number} of {lab} is registered twice")
        _REGISTERED[lab, number] = Exercise(lab, number, title, hint, check)
        return check

    return register


def exercises_of(lab: Lab) -> list[Exercise]:
    """The lab's exercises in order; a lab without a module here has none."""
    try:
        importlib.import_module(f"{__package__}.{lab.name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{lab.name}":
            raise
    return sorted((found for found in _REGISTERED.values() if found.lab == lab.name), key=lambda e: e.number)


def find(lab: Lab, number: int) -> Exercise:
    known = exercises_of(lab)
    for candidate in known:
        if candidate.number == number:
            return candidate
    numbers = ", ".join(str(e.number) for e in known) or "none"
    raise UnknownExercise(f"{lab.name} has no exercise {number}; its exercises: {numbers}")

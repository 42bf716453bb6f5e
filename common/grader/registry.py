"""Requirements are plain functions registered with a decorator; the registry knows them by id.

Each requirement belongs to one protocol ("rest", "grpc"), and a lab is graded on the
requirements of the protocols it offers, so a later lab adds its requirements by adding a module
and naming its protocol in `labs.py`. Instructors register hidden requirements the same way from
a folder outside the repository: `collecting()` keeps those apart from the built-in ones, so one
run's hidden checks never leak into the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .labs import FEATURE_NEEDS, FEATURE_SIDES, RUN_SIDES

if TYPE_CHECKING:
    from .context import Context

Check = Callable[["Context"], None]
ID_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
PROTOCOLS = ("rest", "grpc")


@dataclass(frozen=True)
class Requirement:
    """One gradable rule of the contract: a stable id, its weight, and the check that proves it."""

    id: str
    protocol: str
    core: bool
    weight: float
    title: str
    hint: str
    check: Check
    depends_on: tuple[str, ...] = ()
    time_limit: float | None = None  # None: the runner's default for one requirement
    hidden: bool = False
    feature: str | None = None  # None: every lab of the protocol; "auth": only labs with that feature
    uses: tuple[str, ...] = ()  # further sides its check talks to (lab 6: a gRPC check reads the HTTP port's /metrics)
    # or needs (lab 7: "database", the PostgreSQL database the grader was given)

    @property
    def kind(self) -> str:
        return "core" if self.core else "extra"

    @property
    def sides(self) -> tuple[str, ...]:
        """The addresses its check talks to: its protocol's, its feature's own (lab 5's notifier), and those it uses;
        and what else it needs to run (lab 7: the start command, a database; labs.RUN_SIDES).

        When nothing answers at one of them, or the grader was not given one, the requirement is not
        graded, and the report says why.
        """
        own = FEATURE_SIDES.get(self.feature or "") or FEATURE_NEEDS.get(self.feature or "")
        return tuple(dict.fromkeys((self.protocol, *((own,) if own else ()), *self.uses)))


class RegistryError(ValueError):
    """A requirement is declared wrongly (bad id, duplicate, unknown protocol or dependency)."""


_BUILTIN: dict[str, Requirement] = {}
_collector: dict[str, Requirement] = _BUILTIN


def requirement(
    id: str,
    *,
    protocol: str,
    core: bool,
    weight: float,
    title: str,
    hint: str,
    depends_on: tuple[str, ...] | list[str] = (),
    time_limit: float | None = None,
    feature: str | None = None,
    uses: tuple[str, ...] | list[str] = (),
) -> Callable[[Check], Check]:
    """Register the decorated function as requirement `id`; it passes unless it raises.

    `uses` names the sides beyond its protocol's that the check talks to ("rest", "grpc",
    "notifier") or needs ("database"), so that it is not graded, rather than failed, when nothing
    answers there or the grader was not given it.
    """
    if not ID_PATTERN.fullmatch(id):
        raise RegistryError(f"requirement id {id!r} must be upper-case words joined by '-', e.g. REST-CREATE")
    if protocol not in PROTOCOLS:
        raise RegistryError(f"{id}: protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if weight < 0:
        raise RegistryError(f"{id}: weight must not be negative")
    sides = (*PROTOCOLS, *FEATURE_SIDES.values(), *RUN_SIDES)
    unknown = [side for side in uses if side not in sides]
    if unknown:
        raise RegistryError(f"{id}: uses must name sides among {', '.join(sides)}, not {unknown[0]!r}")

    def register(check: Check) -> Check:
        if id in _collector or id in _BUILTIN:
            raise RegistryError(f"requirement {id} is registered twice")
        _collector[id] = Requirement(
            id=id,
            protocol=protocol,
            core=core,
            weight=float(weight),
            title=title,
            hint=hint,
            check=check,
            depends_on=tuple(depends_on),
            time_limit=time_limit,
            hidden=_collector is not _BUILTIN,
            feature=feature,
            uses=tuple(uses),
        )
        return check

    return register


@contextmanager
def collecting() -> Iterator[dict[str, Requirement]]:
    """Send registrations made inside the block to a fresh dict (hidden checks), not the built-in set."""
    global _collector
    previous, _collector = _collector, {}
    try:
        yield _collector
    finally:
        _collector = previous


def builtin(protocols: tuple[str, ...], features: tuple[str, ...] = ()) -> list[Requirement]:
    """The built-in requirements of these protocols (and features), in the order their modules declare them."""
    from . import checks

    checks.load(protocols, features)
    return [
        req
        for req in _BUILTIN.values()
        if req.protocol in protocols and (req.feature is None or req.feature in features)
    ]


def in_run_order(requirements: list[Requirement]) -> list[Requirement]:
    """Declaration order, except that a requirement always comes after those it depends on."""
    by_id = {req.id: req for req in requirements}
    for req in requirements:
        for dependency in req.depends_on:
            if dependency not in by_id:
                raise RegistryError(f"{req.id} depends on {dependency}, which this lab does not have")
    ordered: list[Requirement] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(req: Requirement) -> None:
        if req.id in placed:
            return
        if req.id in visiting:
            raise RegistryError(f"{req.id} depends on itself through {sorted(visiting)}")
        visiting.add(req.id)
        for dependency in req.depends_on:
            place(by_id[dependency])
        visiting.discard(req.id)
        placed.add(req.id)
        ordered.append(req)

    for req in requirements:
        place(req)
    return ordered

"""Grading as a function call, for the command line, the class roster and tests alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import addresses as addr
from .labs import Lab, resolve
from .overrides import apply_weights, load_hidden, load_weights
from .registry import Requirement, builtin
from .results import RequirementResult, RunResult
from .runner import Options, grade


def load_requirements(lab: Lab, hidden: Path | None = None, weights: Path | None = None) -> list[Requirement]:
    """The lab's built-in requirements, plus hidden ones, with the weights file applied."""
    requirements = builtin(lab.protocols, lab.features)
    if hidden is not None:
        requirements += [
            req
            for req in load_hidden(hidden)
            if req.protocol in lab.protocols and (req.feature is None or req.feature in lab.features)
        ]
    if weights is not None:
        requirements = apply_weights(requirements, load_weights(weights))
    return requirements


def addresses_for(
    lab: Lab, rest_url: str | None, grpc_target: str | None, notifier_url: str | None = None
) -> addr.Addresses:
    """The addresses checked for shape, and present for every side of the lab (else UsageError)."""
    found = addr.Addresses(
        rest_url=addr.rest_url(rest_url) if rest_url is not None else None,
        grpc_target=addr.grpc_target(grpc_target) if grpc_target is not None else None,
        notifier_url=addr.notifier_url(notifier_url) if notifier_url is not None else None,
    )
    addr.require(lab.sides, found, lab.name)
    return found


def grade_lab(
    lab: str,
    *,
    rest_url: str | None = None,
    grpc_target: str | None = None,
    notifier_url: str | None = None,
    hidden: Path | None = None,
    weights: Path | None = None,
    options: Options | None = None,
    on_result: Callable[[RequirementResult], None] | None = None,
) -> RunResult:
    """Grade the service at these addresses on `lab`'s requirements; raises UsageError for bad arguments.

    Lab 5 also needs `notifier_url`, the notifier's own HTTP port (http://HOST:NOTIFIER_HTTP_PORT).
    """
    resolved = resolve(lab)
    found = addresses_for(resolved, rest_url, grpc_target, notifier_url)
    return grade(resolved, found, load_requirements(resolved, hidden, weights), options or Options(), on_result)

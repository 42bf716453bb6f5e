"""An instructor's changes to a run, from files outside the repository: hidden checks and weights.

Hidden checks are Python files in a folder; each registers requirements with the same decorator
as the built-in ones (``from common.grader import requirement``). They are collected apart from
the built-in set, so they count for this run only.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import tomllib
import uuid
from pathlib import Path

from .addresses import UsageError
from .registry import RegistryError, Requirement, collecting


def load_hidden(folder: Path) -> list[Requirement]:
    """The requirements registered by every *.py file in `folder` (in name order)."""
    if not folder.is_dir():
        raise UsageError(f"--hidden {folder}: not a folder")
    with collecting() as registered:
        for path in sorted(folder.glob("*.py")):
            name = f"grader_hidden_{path.stem}_{uuid.uuid4().hex[:8]}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise UsageError(f"--hidden: cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except RegistryError as exc:
                raise UsageError(f"--hidden {path.name}: {exc}") from None
            except Exception as exc:
                raise UsageError(f"--hidden {path.name} failed to import: {type(exc).__name__}: {exc}") from None
    return list(registered.values())


def load_weights(path: Path) -> dict[str, float]:
    """{requirement id: weight} from a JSON or TOML file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"--weights {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"--weights {path}: not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"--weights {path}: expected an object {{id: weight}}")
    weights: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise UsageError(f"--weights {path}: the weight of {key} must be a number >= 0, not {value!r}")
        weights[str(key)] = float(value)
    return weights


def apply_weights(requirements: list[Requirement], weights: dict[str, float]) -> list[Requirement]:
    """The requirements with their weights replaced; an id that no requirement has is a usage error."""
    known = {req.id for req in requirements}
    unknown = sorted(set(weights) - known)
    if unknown:
        raise UsageError(f"--weights names requirements this lab does not have: {', '.join(unknown)}")
    return [dataclasses.replace(req, weight=weights.get(req.id, req.weight)) for req in requirements]

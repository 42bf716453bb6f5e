"""Write docs/diffs/<lab>.diff: what each lab adds to the one before it, the lesson as a diff.

Run ``.venv/bin/python docs/labdiff.py`` after changing a lab; a test fails while a diff is stale.
The previous lab's name is replaced by the new one first, so the rename is not shown as a change.
Generated code (``*_pb2*.py``) and caches are left out.
"""

from __future__ import annotations

import difflib
import sys
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIFFS = ROOT / "docs" / "diffs"
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}


def labs() -> list[Path]:
    return sorted(path for path in ROOT.glob("lab[0-9]_*") if (path / "__main__.py").exists())


def lab_files(lab: Path) -> list[str]:
    return sorted(
        str(path.relative_to(lab))
        for path in lab.rglob("*")
        if path.is_file() and not SKIPPED_PARTS & set(path.parts) and "_pb2" not in path.name
    )


def lesson_diff(before: Path, after: Path) -> str:
    """A unified diff from `before` to `after`, file by file, with the lab's name normalised."""
    chunks: list[str] = []
    for name in sorted(set(lab_files(before)) | set(lab_files(after))):
        old = _lines(before / name, rename=(before.name, after.name))
        new = _lines(after / name)
        chunks.extend(difflib.unified_diff(old, new, f"{before.name}/{name}", f"{after.name}/{name}"))
    return "".join(chunks)


def _lines(path: Path, rename: tuple[str, str] | None = None) -> list[str]:
    if not path.exists():
        return []
    text = path.read_text(errors="replace")
    if rename:
        text = text.replace(*rename)
    return text.splitlines(keepends=True)


def expected_diffs() -> dict[Path, str]:
    found = labs()
    return {DIFFS / f"{after.name}.diff": lesson_diff(before, after) for before, after in pairwise(found)}


def main() -> None:
    DIFFS.mkdir(parents=True, exist_ok=True)
    for path, diff in expected_diffs().items():
        path.write_text(diff)
        print(f"wrote {path.relative_to(ROOT)} ({diff.count(chr(10))} lines)", file=sys.stderr)


if __name__ == "__main__":
    main()

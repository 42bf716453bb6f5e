"""The course README's commands run and print what it shows (in English and in Russian).

``./run_all.sh`` and ``./run_all.sh test`` are what CI itself runs; every other block runs here,
against a freshly started lab where it needs one, with the README's port replaced by the lab's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common import harness
from common.readme import Example, console_blocks, output_matches, run

READMES = [harness.ROOT / "README.md", harness.ROOT / "README.ru.md"]
CI_COMMANDS = {"./run_all.sh", "./run_all.sh test"}


def blocks() -> list[tuple[Path, list[Example]]]:
    found = []
    for readme in READMES:
        for block in console_blocks(readme):
            if {example.command for example in block} - CI_COMMANDS:
                found.append((readme, block))
    return found


def test_both_readmes_start_with_the_two_commands():
    for readme in READMES:
        first = console_blocks(readme)[0]
        assert [example.command for example in first] == ["./run_all.sh", "./run_all.sh test"], readme.name


def block_id(value: object) -> str:
    return value.name if isinstance(value, Path) else f"line {value[0].line}"


@pytest.mark.parametrize(("readme", "block"), blocks(), ids=block_id)
def test_course_readme_block(readme: Path, block: list[Example], tmp_path: Path):
    with harness.running("lab1_rest") as lab:
        replacements = {"localhost:8000": f"{lab.host}:{lab.env['HTTP_PORT']}", "my-lab1": str(tmp_path / "my-lab1")}
        for example in block:
            output = run(example, lab.env, harness.ROOT, replacements)
            shown = example.expected.replace("my-lab1", str(tmp_path / "my-lab1"))
            assert output_matches(shown, output), f"{readme.name} {example}\nshows:\n{shown}\nran:\n{output}"

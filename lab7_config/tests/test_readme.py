"""Every command in this lab's README runs and prints what the README shows.

Each console block runs on its own against a freshly started lab (so ids start at 1 in every block),
the way a reader who copies one block into a terminal would run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common import harness
from common.readme import Example, console_blocks, output_matches, run

LAB_DIR = Path(__file__).resolve().parents[1]
LAB = LAB_DIR.name
README_ADDRESSES = {
    "localhost:8000": "HTTP_PORT",
    "localhost:50051": "GRPC_PORT",
    "localhost:8001": "NOTIFIER_HTTP_PORT",
}
# The command that runs until stopped: the harness that starts each block's lab runs exactly this.
START_COMMAND = f".venv/bin/python -m {LAB}"

BLOCKS = console_blocks(LAB_DIR / "README.md")


def test_the_readme_shows_how_to_start_the_lab():
    assert START_COMMAND in [example.command for block in BLOCKS for example in block]


def runnable(block: list[Example]) -> list[Example]:
    return [example for example in block if example.command != START_COMMAND]


@pytest.mark.parametrize("block", [b for b in BLOCKS if runnable(b)], ids=lambda block: f"line {block[0].line}")
def test_readme_block(block: list[Example]):
    with harness.running(LAB) as lab:
        replacements = {old: f"{lab.host}:{lab.env[port]}" for old, port in README_ADDRESSES.items() if port in lab.env}
        for example in runnable(block):
            output = run(example, lab.env, harness.ROOT, replacements)
            shown = f"{example}\nREADME shows:\n{example.expected}\nran:\n{output}"
            assert output_matches(example.expected, output), shown

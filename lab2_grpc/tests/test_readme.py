"""Every command in this lab's README runs, against a freshly started lab, and prints what the README shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import harness
from common.readme import console_examples, output_matches, run

LAB_DIR = Path(__file__).resolve().parents[1]
LAB = LAB_DIR.name
README_ADDRESS = "localhost:8000"
# The one command that runs until stopped: the harness that starts `fresh_lab` runs exactly this.
# The others run with the lab's environment (HOST, HTTP_PORT, GRPC_PORT), as in a student's shell.
START_COMMAND = f".venv/bin/python -m {LAB}"

EXAMPLES = console_examples(LAB_DIR / "README.md")


def test_the_readme_shows_how_to_start_the_lab():
    assert START_COMMAND in [example.command for example in EXAMPLES]


@pytest.fixture(scope="module")
def fresh_lab():
    """One lab for the whole README, in order, as a student would type it: ids start at 1."""
    with harness.running(LAB) as lab:
        yield lab


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.command != START_COMMAND], ids=str)
def test_readme_command(example, fresh_lab):
    replacements = {README_ADDRESS: f"{fresh_lab.host}:{fresh_lab.env['HTTP_PORT']}"}
    output = run(example, fresh_lab.env, harness.ROOT, replacements)
    assert output_matches(example.expected, output), f"{example}\nREADME shows:\n{example.expected}\nran:\n{output}"

"""Every command in this lab's README runs and prints what the README shows.

Each console block runs on its own against a freshly started lab (so ids start at 1 in every block),
the way a reader who copies one block into a terminal would run it. Lab 7: a block that does not call
the lab runs without one, and every block in a working directory of its own (see `checkout`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
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


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """Lab 7: a working directory that is the repository's, but whose .env is the block's own.

    A block may write a .env (`cp lab7_config/.env.example .env`): it lands here, not in your checkout.
    """
    for entry in harness.ROOT.iterdir():
        if entry.name != ".env":
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


@contextmanager
def surroundings(block: list[Example]) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Lab 7: the block's environment, and the README's addresses to replace in it.

    A block that calls the lab gets a freshly started one. Any other (the settings printed, a start
    refused, the grader's own --start) runs without: a lab beside it would share its broker names
    and the notifier's record, and take some of its events. It gets the shell's environment with a
    JWT_SECRET (as the reader's .env has), and broker names and a record of its own, deleted after.
    """
    if any(address in example.command for example in runnable(block) for address in README_ADDRESSES):
        with harness.running(LAB) as lab:
            yield lab.env, {old: f"{lab.host}:{lab.env[port]}" for old, port in README_ADDRESSES.items()}
        return
    env = {**os.environ, "JWT_SECRET": secrets.token_hex(32)}
    env.pop("ENV_FILE", None)
    cleanups = harness.scratch_broker_and_record(LAB, env, {})
    try:
        yield env, {}
    finally:
        for cleanup in cleanups:
            cleanup()


@pytest.mark.parametrize("block", [b for b in BLOCKS if runnable(b)], ids=lambda block: f"line {block[0].line}")
def test_readme_block(block: list[Example], checkout: Path):
    with surroundings(block) as (env, replacements):
        for example in runnable(block):
            output = run(example, env, checkout, replacements)
            shown = f"{example}\nREADME shows:\n{example.expected}\nran:\n{output}"
            assert output_matches(example.expected, output), shown

"""Run the commands a README shows, so that the documentation cannot drift from the code.

A README's ```console blocks hold commands (lines starting with ``$ ``, continued with a
trailing backslash) each followed by the output it prints. ``...`` in shown output stands for
any text (an id, a time, a date), as in doctest's ELLIPSIS.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    command: str
    expected: str
    line: int

    def __str__(self) -> str:
        return f"line {self.line}: $ {self.command}"


def console_blocks(markdown: Path) -> list[list[Example]]:
    """The file's console blocks, in order: each a list of commands with the output shown under them.

    A block is the unit a reader copies, so each one must run on its own against a fresh lab.
    """
    text = markdown.read_text()
    blocks = []
    for block in FENCE.finditer(text):
        first_line = text.count("\n", 0, block.start()) + 2
        blocks.append(_parse_block(block.group(1), first_line))
    return [block for block in blocks if block]


def console_examples(markdown: Path) -> list[Example]:
    """Every command shown in the file's console blocks, in order, with the output shown under it."""
    return [example for block in console_blocks(markdown) for example in block]


def _parse_block(block: str, first_line: int) -> list[Example]:
    examples: list[Example] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        start = i
        command = lines[i][2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command + "\n" + lines[i]
        i += 1
        output: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            output.append(lines[i])
            i += 1
        examples.append(Example(command, "\n".join(output).strip(), first_line + start))
    return examples


def output_matches(expected: str, actual: str) -> bool:
    """True when `actual` is what `expected` shows, `...` matching any text; line ends are normalised."""
    actual = "\n".join(line.rstrip() for line in actual.replace("\r\n", "\n").strip().splitlines())
    pattern = ".*?".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None


def run(example: Example, env: dict[str, str], cwd: Path, replacements: dict[str, str]) -> str:
    """Run one example in bash with `replacements` applied (e.g. the README's port → the test's port)."""
    command = example.command
    for old, new in replacements.items():
        command = command.replace(old, new)
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{example} exited {result.returncode}:\n{result.stdout}"
    return result.stdout

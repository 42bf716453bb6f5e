"""The walkthrough in docs/ stays true: a page per lab, linked from the index, quoting the current code.

Each lab's page (``docs/<lab>.md``) quotes its lesson's diff, excerpts of its code, and commands with
their output; all of them go stale when the code changes. So each quote is compared with its source:

- a ```diff block must be a run of lines of the lab's lesson diff (``common.lessons.lesson_diff``);
- a ```python block must be a run of lines of the file named at the end of the line above it,
  written as ``From `lab1_rest/store.py`:``;
- a ```console block must run on its own against a freshly started lab of that page and print what
  the page shows (``...`` stands for any text), as the labs' README tests do;
- a ```mermaid block must look like a diagram GitHub can render (a quick syntax check here; with
  ``MERMAID_CLI`` set to an ``mmdc`` command, each page's diagrams are rendered too).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from common import harness, lessons
from common.readme import Example, console_blocks, output_matches, run

DOCS = harness.ROOT / "docs"
INDEX = DOCS / "README.md"
LABS = lessons.labs()
PAGES = {lab.name: DOCS / f"{lab.name}.md" for lab in LABS}
# Written apart from the walkthrough: the index may link it before it is there.
NOT_YET_WRITTEN = [DOCS / "solutions"]
# What CI runs itself; the page shows them but the test does not run them again.
CI_COMMANDS = {"./run_all.sh", "./run_all.sh test"}
# Every page has these sections (headings that start with these words), the way lab pages are read.
SECTIONS = ["What it adds", "Architecture", "Run it", "Try it", "Common problems"]

FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NAMED_FILE = re.compile(r"`([\w./-]+)`:\s*$")
LINK = re.compile(r"\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its language, its lines, where it starts, and the line above it."""

    page: Path
    language: str
    lines: tuple[str, ...]
    line: int  # the opening fence's line number
    above: str  # the last non-blank line before the opening fence

    def __str__(self) -> str:
        return f"docs/{self.page.name} line {self.line}"


def blocks(page: Path, language: str | None = None) -> list[Block]:
    text = page.read_text()
    found = []
    for fence in FENCE.finditer(text):
        if language is not None and fence[1] != language:
            continue
        before = [line for line in text[: fence.start()].splitlines() if line.strip()]
        line = text.count("\n", 0, fence.start()) + 1
        found.append(Block(page, fence[1], tuple(fence[2].splitlines()), line, before[-1] if before else ""))
    return found


def contains_run(lines: list[str], run_: tuple[str, ...]) -> bool:
    """True when `run_` appears in `lines` as consecutive lines, unchanged."""
    width = len(run_)
    return width > 0 and any(tuple(lines[i : i + width]) == run_ for i in range(len(lines) - width + 1))


def labs_with_pages() -> list[lessons.Lab]:
    return [lab for lab in LABS if PAGES[lab.name].exists()]


def lab_id(lab: lessons.Lab) -> str:
    return lab.name


# --- (a) a page per lab, linked from the index -----------------------------------------------------


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_lab_has_a_page_linked_from_the_index(lab):
    page = PAGES[lab.name]
    assert page.exists(), f"docs/{page.name} is missing: every lab has a page in the walkthrough (see docs/README.md)"
    index = INDEX.read_text()
    assert re.search(rf"\]\({re.escape(page.name)}(#[\w-]*)?\)", index), f"docs/README.md does not link {page.name}"
    assert f"`{lab.name}/`" in index, f"docs/README.md does not name the folder `{lab.name}/`"


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_page_has_the_walkthroughs_sections(lab):
    headings = [line.lstrip("#").strip() for line in prose(PAGES[lab.name]).splitlines() if line.startswith("## ")]
    missing = [section for section in SECTIONS if not any(h.startswith(section) for h in headings)]
    assert missing == [], f"docs/{lab.name}.md has no section for: {', '.join(missing)}"


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_page_links_the_lab_readme_and_its_diff(lab):
    text = PAGES[lab.name].read_text()
    assert f"](../{lab.name}/README.md" in text, f"docs/{lab.name}.md should link the lab's README"
    if lab.previous:
        assert f"](diffs/{lab.name}.diff)" in text, f"docs/{lab.name}.md should link diffs/{lab.name}.diff"


# --- (b) diff hunks, (c) code excerpts ------------------------------------------------------------


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_diff_block_is_in_the_current_lesson_diff(lab):
    diff = lessons.lesson_diff(lab).splitlines() if lab.previous else []
    quoted = blocks(PAGES[lab.name], "diff")
    if lab.previous:
        assert quoted, f"docs/{lab.name}.md quotes no hunk of its lesson diff in a ```diff block"
    stale = [str(block) for block in quoted if not contains_run(diff, block.lines)]
    assert stale == [], (
        f"these ```diff blocks are not (or no longer) lines of the lesson diff: {stale}; "
        f"copy them again from docs/diffs/{lab.name}.diff (python -m common.lessons diffs writes it)"
    )


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_python_block_is_an_excerpt_of_the_file_it_names(lab):
    problems = []
    for block in blocks(PAGES[lab.name], "python"):
        named = NAMED_FILE.search(block.above)
        if not named:
            problems.append(f"{block}: end the line above the excerpt with its file, as `lab1_rest/store.py`:")
            continue
        source = harness.ROOT / named[1]
        if not source.is_file():
            problems.append(f"{block}: {named[1]} is not a file of the repository")
        elif not contains_run(source.read_text().splitlines(), block.lines):
            problems.append(f"{block}: not (or no longer) lines of {named[1]}: copy the excerpt again")
    assert problems == []


def test_lab_one_shows_its_code_instead_of_a_diff():
    first = LABS[0]
    assert not first.previous
    assert blocks(PAGES[first.name], "python"), f"docs/{first.name}.md: lab 1 has no diff, so it quotes its code"


# --- (d, f) the diagrams --------------------------------------------------------------------------

DIAGRAM_TYPES = {
    "flowchart", "graph", "sequenceDiagram", "classDiagram", "stateDiagram", "stateDiagram-v2", "erDiagram",
    "gantt", "pie", "journey", "gitGraph", "mindmap", "timeline", "quadrantChart",
}  # fmt: skip
DIRECTIONS = {"TB", "TD", "BT", "RL", "LR"}
PAIRS = {")": "(", "]": "[", "}": "{"}
# The statements a sequenceDiagram is made of, besides messages.
SEQUENCE_STATEMENTS = re.compile(
    r"^(participant|actor|Note|note|activate|deactivate|autonumber|loop|alt|else|opt|par|and|critical|option|break"
    r"|rect|box|end|title|create|destroy)\b"
)
SEQUENCE_OPENERS = {"loop", "alt", "opt", "par", "critical", "break", "rect", "box"}
MESSAGE = re.compile(r"^(?P<source>[^-<>:]+?)\s*(-{1,2}(>>|>|x|\))[+-]?)\s*(?P<target>[^:]+?)\s*:(?P<text>.*)$")
PARTICIPANT = re.compile(r"^(participant|actor)\s+(?P<id>\S+)")


def diagram_problems(lines: tuple[str, ...]) -> list[str]:
    """What would keep a Mermaid diagram from parsing, found without a renderer; empty when none."""
    statements = [line.strip() for line in lines if line.strip() and not line.strip().startswith("%%")]
    if not statements:
        return ["the diagram is empty"]
    kind, *rest = statements[0].split()
    if kind not in DIAGRAM_TYPES:
        return [f"{kind!r} is not a Mermaid diagram type"]
    problems = []
    if kind in {"flowchart", "graph"} and rest and rest[0] not in DIRECTIONS:
        problems.append(f"{rest[0]!r} is not a flowchart direction ({', '.join(sorted(DIRECTIONS))})")
    stack: list[str] = []
    for number, line in enumerate(statements[1:], 2):
        if line.count('"') % 2:
            problems.append(f"statement {number}: an unclosed quote: {line}")
        outside_quotes = re.sub(r'"[^"]*"', "", line)
        for char in outside_quotes:
            if char in "([{":
                stack.append(char)
            elif char in PAIRS and (not stack or stack.pop() != PAIRS[char]):
                problems.append(f"statement {number}: an unbalanced {char!r}: {line}")
        if stack:
            problems.append(f"statement {number}: an unclosed {stack[-1]!r}: {line}")
            stack.clear()
    problems += _block_problems(kind, statements[1:])
    if kind == "sequenceDiagram":
        problems += _sequence_problems(statements[1:])
    return problems


def _block_problems(kind: str, statements: list[str]) -> list[str]:
    openers = {"flowchart": {"subgraph"}, "graph": {"subgraph"}, "sequenceDiagram": SEQUENCE_OPENERS}.get(kind, set())
    depth = 0
    for line in statements:
        word = line.split()[0]
        depth += word in openers
        depth -= word == "end"
        if depth < 0:
            return ["an `end` closes nothing"]
    return [f"{depth} block(s) without their `end`"] if depth else []


def _sequence_problems(statements: list[str]) -> list[str]:
    problems = []
    declared = {match["id"] for line in statements if (match := PARTICIPANT.match(line))}
    for line in statements:
        if ";" in line:  # Mermaid ends a statement at a semicolon, even inside a message's text
            problems.append(f"a semicolon splits this statement in two: {line}")
        if SEQUENCE_STATEMENTS.match(line):
            continue
        message = MESSAGE.match(line)
        if not message:
            problems.append(f"neither a statement nor a message (`A->>B: text`): {line}")
        elif declared and not {message["source"], message["target"]} <= declared:
            problems.append(f"a message between undeclared participants (a typo?): {line}")
    return problems


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_page_has_an_architecture_and_a_sequence_diagram(lab):
    kinds = [block.lines[0].split()[0] for block in blocks(PAGES[lab.name], "mermaid") if block.lines]
    assert {"flowchart", "graph"} & set(kinds), f"docs/{lab.name}.md has no ```mermaid flowchart (architecture)"
    assert "sequenceDiagram" in kinds, f"docs/{lab.name}.md has no ```mermaid sequenceDiagram"


DIAGRAMS = [block for page in [INDEX, *PAGES.values()] if page.exists() for block in blocks(page, "mermaid")]


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=str)
def test_every_diagram_parses(diagram):
    assert diagram_problems(diagram.lines) == [], str(diagram)


def test_the_diagram_check_finds_what_breaks_a_diagram():
    assert diagram_problems(("sequenceDiagram", "participant A", "participant B", "A->>B: hi")) == []
    assert diagram_problems(("flowchart LR", 'a["A (x)"] --> b[(B)]')) == []
    assert diagram_problems(("flowchart XY",))
    assert diagram_problems(("flowhcart LR", "a --> b"))
    assert diagram_problems(("flowchart LR", "a[A --> b"))
    assert diagram_problems(("flowchart LR", "subgraph one", "a --> b"))
    assert diagram_problems(("sequenceDiagram", "participant A", "participant B", "A->>B: one; two"))
    assert diagram_problems(("sequenceDiagram", "participant A", "participant B", "A->>C: typo"))
    assert diagram_problems(("sequenceDiagram", "A->>B hi"))


# The real renderer is optional (it needs Node.js and a browser): with MERMAID_CLI='npx mmdc' set,
# and CHROMIUM naming a browser, every page's diagrams are rendered too; without it, no test is made.
if os.environ.get("MERMAID_CLI"):

    @pytest.mark.parametrize("page", [page for page in PAGES.values() if page.exists()], ids=lambda page: page.name)
    def test_every_diagram_renders(page, tmp_path):
        """Each diagram renders to SVG with mermaid-cli."""
        config = tmp_path / "puppeteer.json"
        browser = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        config.write_text(json.dumps({"executablePath": browser, "args": ["--no-sandbox"]}))
        command = [*shlex.split(os.environ["MERMAID_CLI"]), "-p", str(config), "-i", str(page)]
        command += ["-o", str(tmp_path / "out.md")]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(list(tmp_path.glob("out-*.svg"))) == len(blocks(page, "mermaid"))


# --- (e) the commands -----------------------------------------------------------------------------


def start_command(lab: lessons.Lab) -> str:
    return f".venv/bin/python -m {lab.name}"


def runnable(lab: lessons.Lab, block: list[Example]) -> list[Example]:
    return [example for example in block if example.command not in CI_COMMANDS | {start_command(lab)}]


def port_replacements(lab: harness.LabProcess) -> dict[str, str]:
    """The pages show the default ports; the test's lab listens on free ones."""
    replacements = {}
    for variable, default in {"HTTP_PORT": "8000", "GRPC_PORT": "50051"}.items():
        port = lab.env[variable]
        replacements |= {f"localhost:{default}": f"{lab.host}:{port}", f"127.0.0.1:{default}": f"{lab.host}:{port}"}
        replacements[f"{variable}={default}"] = f"{variable}={port}"
    return replacements


@pytest.mark.parametrize("lab", LABS, ids=lab_id)
def test_every_page_shows_how_to_start_its_lab(lab):
    commands = [example.command for block in console_blocks(PAGES[lab.name]) for example in block]
    assert start_command(lab) in commands, f"docs/{lab.name}.md should show `$ {start_command(lab)}`"


COMMAND_BLOCKS = [
    (lab, block) for lab in labs_with_pages() for block in console_blocks(PAGES[lab.name]) if runnable(lab, block)
]


def command_block_id(value: object) -> str:
    return value.name if isinstance(value, lessons.Lab) else f"line {value[0].line}"


@pytest.mark.parametrize(("lab", "block"), COMMAND_BLOCKS, ids=command_block_id)
def test_every_console_block_runs_against_a_fresh_lab(lab, block):
    with harness.running(lab.name) as running:
        replacements = port_replacements(running)
        for example in runnable(lab, block):
            output = run(example, running.env, harness.ROOT, replacements)
            shown = example.expected
            for old, new in replacements.items():
                shown = shown.replace(old, new)
            assert output_matches(shown, output), f"docs/{lab.name}.md {example}\nshows:\n{shown}\nran:\n{output}"


# --- links ---------------------------------------------------------------------------------------


def prose(page: Path) -> str:
    """The page without its fenced blocks (a `#` in a code block is not a heading)."""
    return FENCE.sub("", page.read_text())


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a Markdown page's headings."""
    seen: Counter[str] = Counter()
    found = set()
    for line in prose(page).splitlines():
        if not re.match(r"^#{1,6} ", line):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return found


@pytest.mark.parametrize("page", [INDEX, *[p for p in PAGES.values() if p.exists()]], ids=lambda page: page.name)
def test_every_relative_link_leads_somewhere(page):
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            if not any(resolved.is_relative_to(pending) for pending in NOT_YET_WRITTEN):
                broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(target)
    assert broken == [], f"docs/{page.name} links to what is not there: {broken}"

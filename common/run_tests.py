"""``./run_all.sh test``: the linter, then each target's tests in a pytest process of its own, N at a time.

Each target (common, or a lab) has a process of its own because two labs' generated protobuf code
cannot be imported into one (common/pytest_plugin.py refuses). One after another they take as long
as their sum: 23 minutes for common and labs 1-5 on the course's 2-core CI machine, past CI's 30
once labs 6 and 7 came. Much of a test's time is spent waiting for the lab it started, so two at a
time took 17 minutes for those, though each process ran about 40% slower for sharing the cores.

TEST_JOBS sets how many run at once (default 2). With TEST_JOBS=1, or a single target, pytest's
output streams live as it runs. In parallel each process writes only to its log
(.test-logs/<target>.log): this prints a line as each target starts and ends, and at the end the
failed tests' summary lines, so a CI log shows what failed without the log files. Either way each
log is kept, and the run ends with the same table: one row per target, then the totals.

    python -m common.run_tests [--quick] TARGET... [-- PYTEST_ARGS...]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .harness import ROOT

LOGS = ROOT / ".test-logs"
DEFAULT_JOBS = 2
# The longest first (minutes, two at a time, on the course's 2-core CI machine: common 9.1, lab 7 8.6,
# lab 6 8.0, lab 5 6.5, lab 4 4.3, lab 2 3.6, lab 3 2.9, lab 1 1.5): the target that starts last
# should be a short one, or it alone sets the wall time. A target not listed here, a new lab, starts
# before them all: each lab is bigger than the one before.
LONGEST_FIRST = [
    "common",
    "lab7_config",
    "lab6_monitoring",
    "lab5_broker",
    "lab4_websocket",
    "lab2_grpc",
    "lab3_jwt",
    "lab1_rest",
]
CLOSING = re.compile(r"^=+ (.* in [0-9.]+s\b.*?) =+$", re.MULTILINE)
SHORT_SUMMARY = "short test summary info"
LOG_TAIL_LINES = 15
PRINTING = threading.Lock()
QUICK_NOTE = (
    "--quick skipped the tests marked slow (property-based, load, study and clean-install tests); "
    "./run_all.sh test runs them."
)


@dataclass(frozen=True)
class Result:
    """How one target's pytest process ended, read from its exit status and its log."""

    target: str
    status: int
    log: str
    seconds: float

    @property
    def closing(self) -> str | None:
        """pytest's closing line, without its rules: "3 passed, 1 failed in 2.00s"."""
        found = CLOSING.findall(self.log)
        return found[-1] if found else None

    @property
    def outcome(self) -> str:
        return self.closing or f"no summary (exit status {self.status}, after {minutes(self.seconds)})"

    def failures(self) -> list[str]:
        """The FAILED and ERROR lines of pytest's short summary; the end of the log when it has none."""
        _, header, summary = self.log.rpartition(SHORT_SUMMARY)
        lines = [line for line in summary.splitlines() if header and line.startswith(("FAILED ", "ERROR "))]
        return lines or self.log.splitlines()[-LOG_TAIL_LINES:]


def count(pattern: str, closing: str | None) -> int:
    """The sum of the numbers before words matching `pattern` in a closing line ("3 passed, 1 failed")."""
    words = (closing or "").replace(",", " ").split()
    return sum(int(n) for n, word in itertools.pairwise(words) if n.isdigit() and re.fullmatch(pattern, word))


def longest_first(targets: Sequence[str]) -> list[str]:
    """The order to start them in: targets not in LONGEST_FIRST (new labs) first, then as it lists them."""
    rank = {target: place for place, target in enumerate(LONGEST_FIRST)}
    return sorted(targets, key=lambda target: rank.get(target, -1))


def jobs_from(environ: Mapping[str, str]) -> int:
    raw = environ.get("TEST_JOBS", str(DEFAULT_JOBS))
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"TEST_JOBS={raw!r}: give how many pytest processes run at once, 1 or more")
    return int(raw)


def pytest_command(target: str, pytest_args: Sequence[str]) -> list[str]:
    """Each target keeps a pytest cache of its own: processes running at once that shared one would each
    write back the lastfailed record they read at their start, dropping the other's (--lf would miss them)."""
    return [sys.executable, "-m", "pytest", target, "-o", f"cache_dir=.pytest_cache/{target}", *pytest_args]


def say(line: str) -> None:
    """Print a whole line at once: the threads that wait for the processes print too."""
    with PRINTING:
        print(line, flush=True)


def step(text: str) -> None:
    say(f"\n==> {text}")


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def run_live(target: str, pytest_args: Sequence[str], log: Path, root: Path) -> int:
    """Run the target's pytest, its output both on our stdout as it comes (like tee) and in `log`."""
    step(f"tests: {target} (its own pytest process)")
    command = pytest_command(target, pytest_args)
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        with process:
            while chunk := process.stdout.read1():  # what pytest wrote so far, progress dots included
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
                out.write(chunk)
    return process.returncode


def run_logged(target: str, pytest_args: Sequence[str], log: Path, root: Path) -> int:
    """Run the target's pytest with its output in `log` only: processes running at once would interleave theirs."""
    command = pytest_command(target, pytest_args)
    with log.open("wb") as out:
        return subprocess.run(command, cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=out).returncode


def run_one(target: str, pytest_args: Sequence[str], logs: Path, root: Path, live: bool) -> Result:
    log = logs / f"{target}.log"
    started = time.monotonic()
    status = (run_live if live else run_logged)(target, pytest_args, log, root)
    return Result(target, status, log.read_text(errors="replace"), time.monotonic() - started)


def run_parallel(targets: Sequence[str], pytest_args: Sequence[str], jobs: int, logs: Path, root: Path) -> list[Result]:
    """Run the targets `jobs` at a time, the longest first; a line as each starts and as each ends."""
    step(f"tests: {len(targets)} pytest processes, {jobs} at a time, the longest first; logs in {logs.name}/")
    began = time.monotonic()

    def timed(target: str) -> Result:
        """Run one target between its two lines, both said by the thread that runs it: in their order."""
        say(f"[{minutes(time.monotonic() - began)}] start  {target}")
        result = run_one(target, pytest_args, logs, root, live=False)
        verdict = "ok" if result.status == 0 else "FAILED"
        say(f"[{minutes(time.monotonic() - began)}] {verdict:<6} {target}: {result.outcome}")
        return result

    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(timed, target) for target in longest_first(targets)]
        try:
            results = {result.target: result for result in (future.result() for future in futures)}
        except KeyboardInterrupt:  # Ctrl-C reached the running processes too: start no more
            pool.shutdown(cancel_futures=True)
            raise
    say(f"[{minutes(time.monotonic() - began)}] all {len(targets)} done")
    return [results[target] for target in targets]


def run_targets(targets: Sequence[str], pytest_args: Sequence[str], jobs: int, logs: Path, root: Path) -> list[Result]:
    logs.mkdir(parents=True, exist_ok=True)
    if jobs == 1 or len(targets) == 1:
        return [run_one(target, pytest_args, logs, root, live=True) for target in targets]
    return run_parallel(targets, pytest_args, jobs, logs, root)


def print_failures(results: Sequence[Result], logs: Path) -> None:
    failed = [result for result in results if result.status != 0]
    if failed:
        print(f"\nWhat failed (each process's whole output is in {logs.name}/<target>.log):")
    for result in failed:
        print(f"  {result.target}:")
        print("\n".join(f"    {line}" for line in result.failures()))


def print_summary(lint_clean: bool, results: Sequence[Result], quick: bool) -> None:
    print("\nSummary, one pytest process each:")
    print(f"  {'ruff':<16} {'clean' if lint_clean else 'FAILED (see above)'}")
    for result in results:
        print(f"  {result.target:<16} {result.outcome}")
    if quick:
        print(QUICK_NOTE)
    passed = sum(count("passed", result.closing) for result in results)
    failed = sum(count("failed|errors?", result.closing) for result in results)
    print(f"total: {passed} passed, {failed} failed", flush=True)


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options and targets, then what follows ``--``: pytest's own arguments."""
    split = list(argv).index("--") if "--" in argv else len(argv)
    own, pytest_args = list(argv[:split]), list(argv[split + 1 :])
    parser = argparse.ArgumentParser(prog="python -m common.run_tests", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help='leave out the tests marked slow (-m "not slow")')
    parser.add_argument("targets", nargs="+", help="common, or a lab's folder name")
    return parser.parse_args(own), pytest_args


def main(argv: Sequence[str] | None = None, root: Path = ROOT, logs: Path = LOGS) -> int:
    args, pytest_args = parse(sys.argv[1:] if argv is None else argv)
    jobs = jobs_from(os.environ)
    step("lint: ruff check")
    lint_clean = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=root).returncode == 0
    if args.quick:
        pytest_args = ["-m", "not slow", *pytest_args]
    results = run_targets(args.targets, pytest_args, jobs, logs, root)
    if jobs > 1 and len(results) > 1:
        print_failures(results, logs)
    print_summary(lint_clean, results, args.quick)
    return 0 if lint_clean and all(result.status == 0 for result in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

"""The command line: grade one running service, start one and grade it, or grade a class.

Exit status: 0 when the --pass-if group passed (by default: every core requirement), 1 when it
did not, 2 for a usage error (one line on stderr), 3 when nothing answered at any address.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from . import addresses as addr
from . import outputs, report
from .api import addresses_for, load_requirements
from .labs import LABS, Lab, UnknownLab, resolve
from .launch import Launcher, StartFailed, started
from .registry import RegistryError, Requirement
from .results import RequirementResult, RunResult
from .roster import grade_class
from .runner import Options, grade, not_given, not_reached, probe

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
PROG = "python -m common.grader"
LAB_NAMES = ", ".join(f"{lab.number} / {lab.name}" for lab in LABS)

OVERVIEW = f"""\
Grade a running implementation of a lab against its contract (docs/contract.md), in any language.

  {PROG} LAB --rest-url URL [--grpc-target HOST:PORT] [--notifier-url URL] [options]
      grade the service already running there: every address the lab has (labs 2-7 gRPC too,
      labs 5-7 also the notifier's HTTP port)
  {PROG} LAB --start 'COMMAND' [--database-url URL] [options]
      start COMMAND with HOST=127.0.0.1 and free HTTP_PORT / GRPC_PORT / NOTIFIER_HTTP_PORT, grade it, stop it
      (lab 7's configuration is graded only so: its checks start COMMAND again in environments of
      their own, one with DATABASE_URL=URL, a PostgreSQL database the service may keep users in)
  {PROG} class LAB --students FILE.csv --out FILE.csv [--results-dir DIR] [options]
      grade every student of FILE.csv (columns student,rest_url,grpc_target and, for labs 5-7,
      notifier_url); one CSV row each
  {PROG} list LAB [--hidden DIR] [--weights FILE]
      print the lab's requirements: id, core or extra, weight, dependencies

LAB is one of {LAB_NAMES}.
Exit status: 0 when the --pass-if group passed (default: every core requirement), 1 when it did
not, 2 for a usage error, 3 when nothing answered at any address (or --start failed).
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not the whole usage text."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{PROG}: {message} (see --help)\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hidden", type=Path, metavar="DIR", help="also run the requirements that DIR/*.py register")
    parser.add_argument("--weights", type=Path, metavar="FILE", help="JSON or TOML {id: weight} overriding weights")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds per request (default 5)")
    parser.add_argument("--budget", type=float, default=600.0, metavar="S", help="seconds for the whole run (600)")


def grade_parser() -> Parser:
    parser = Parser(prog=PROG, description=OVERVIEW, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lab", metavar="LAB", help=f"the lab to grade: {LAB_NAMES}")
    parser.add_argument("--rest-url", metavar="URL", help="base URL of the REST side, e.g. http://127.0.0.1:8000")
    parser.add_argument("--grpc-target", metavar="HOST:PORT", help="gRPC address (labs 2+), e.g. 127.0.0.1:50051")
    parser.add_argument(
        "--notifier-url",
        metavar="URL",
        help="labs 5-7: base URL of the notifier's HTTP port, e.g. http://127.0.0.1:8001",
    )
    parser.add_argument("--start", metavar="COMMAND", help="start this command on free ports and grade it")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="lab 7, with --start: a PostgreSQL database (postgresql://...) the service may keep its users in",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="write results.json and junit.xml (and service.log)")
    parser.add_argument(
        "--pass-if",
        choices=("core", "extras", "all"),
        default="core",
        help="exit 0 when every requirement of this group passes (default: core)",
    )
    _common(parser)
    return parser


def class_parser() -> Parser:
    parser = Parser(prog=f"{PROG} class", description=OVERVIEW, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lab", metavar="LAB", help=f"the lab to grade: {LAB_NAMES}")
    parser.add_argument(
        "--students", type=Path, required=True, metavar="FILE.csv", help="student,rest_url,grpc_target[,notifier_url]"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.csv", help="one row of scores per student")
    parser.add_argument("--results-dir", type=Path, metavar="DIR", help="also write DIR/<student>/results.json")
    _common(parser)
    return parser


def list_parser() -> Parser:
    parser = Parser(prog=f"{PROG} list", description=OVERVIEW, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lab", metavar="LAB", help=f"the lab: {LAB_NAMES}")
    parser.add_argument("--hidden", type=Path, metavar="DIR")
    parser.add_argument("--weights", type=Path, metavar="FILE")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    if args.timeout <= 0 or args.budget <= 0:
        raise addr.UsageError("--timeout and --budget must be positive numbers of seconds")
    return Options(timeout=args.timeout, budget=args.budget)


def run_and_report(
    lab: Lab,
    found: addr.Addresses,
    requirements: list[Requirement],
    options: Options,
    launcher: Launcher | None = None,
) -> RunResult:
    """Grade, printing a line per requirement as it finishes; nothing at all when no address answers."""
    unreachable = probe(lab, found, options.timeout)
    if len(unreachable) == len(lab.sides):
        return grade(lab, found, requirements, options, None, unreachable, launcher)
    print(report.header(RunResult(lab, found)), flush=True)
    missing = {**unreachable, **not_given(lab, launcher)}
    for side, reason in missing.items():
        print(f"{report.SIDE_NAMES[side]}: {reason}", flush=True)

    def show(result: RequirementResult) -> None:
        line = report.result_line(result)
        if not_reached(result.requirement, missing) is not None:
            line = line.splitlines()[0] + "  (not graded: see above)"
        print(line, flush=True)

    run = grade(lab, found, requirements, options, show, unreachable, launcher)
    print(report.summary(run), flush=True)
    return run


def database_url_of(args: argparse.Namespace, lab: Lab) -> str | None:
    """--database-url, checked: a postgresql:// URL, for a lab whose checks use one, given with --start."""
    if args.database_url is None:
        return None
    if "database" not in lab.needs:
        raise addr.UsageError(f"{lab.name} keeps no users in a database the grader gives: drop --database-url")
    if not args.start:
        raise addr.UsageError("--database-url is for the checks that start the service: give --start 'COMMAND' too")
    return addr.database_url(args.database_url)


def exit_status(run: RunResult, pass_if: str) -> int:
    if run.error is not None:
        return EXIT_UNREACHABLE
    passed = {"core": run.core_passed, "extras": run.extras_passed, "all": run.status == "pass"}[pass_if]
    return EXIT_PASSED if passed else EXIT_FAILED


def main_grade(argv: list[str]) -> int:
    parser = grade_parser()
    args = parser.parse_args(argv)
    try:
        lab = resolve(args.lab)
        if args.start and (args.rest_url or args.grpc_target or args.notifier_url):
            raise addr.UsageError("give either --start or the addresses, not both")
        database_url = database_url_of(args, lab)
        options = options_from(args)
        requirements = load_requirements(lab, args.hidden, args.weights)
        if args.start:
            log = (args.out or Path(tempfile.mkdtemp(prefix="grader-"))) / "service.log"
            print(f"starting `{args.start}` (its output goes to {log})", flush=True)
            launcher = Launcher(args.start, lab, log.parent / "starts", database_url) if lab.needs else None
            try:
                with started(args.start, lab, log) as found:
                    run = run_and_report(lab, found, requirements, options, launcher)
            finally:
                if launcher is not None:
                    launcher.close()
        else:
            found = addresses_for(lab, args.rest_url, args.grpc_target, args.notifier_url)
            run = run_and_report(lab, found, requirements, options)
    except (addr.UsageError, UnknownLab, RegistryError) as exc:
        parser.error(str(exc))
    except StartFailed as exc:
        print(f"{PROG}: could not start the service: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if run.error is not None:
        print(f"{PROG}: not graded: {run.error}", file=sys.stderr)
    if args.out:
        for path in outputs.write(run, args.out):
            print(f"wrote {path}")
    return exit_status(run, args.pass_if)


def main_class(argv: list[str]) -> int:
    parser = class_parser()
    args = parser.parse_args(argv)
    try:
        lab = resolve(args.lab)
        options = options_from(args)
        requirements = load_requirements(lab, args.hidden, args.weights)
        rows = grade_class(lab, args.students, args.out, requirements, options, args.results_dir)
    except (addr.UsageError, UnknownLab, RegistryError) as exc:
        parser.error(str(exc))
    print(f"wrote {args.out} ({len(rows)} students)")
    return EXIT_PASSED


def main_list(argv: list[str]) -> int:
    parser = list_parser()
    args = parser.parse_args(argv)
    try:
        lab = resolve(args.lab)
        requirements = load_requirements(lab, args.hidden, args.weights)
    except (addr.UsageError, UnknownLab, RegistryError) as exc:
        parser.error(str(exc))
    for req in requirements:
        depends = ", ".join(req.depends_on) or "-"
        print(f"{req.id:<28} {req.kind:<5} {req.weight:>3g}  {req.title}  [depends on: {depends}]")
    return EXIT_PASSED


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "class":
        return main_class(argv[1:])
    if argv and argv[0] == "list":
        return main_list(argv[1:])
    return main_grade(argv)

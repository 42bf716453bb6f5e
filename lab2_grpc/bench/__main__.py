"""``python -m lab2_grpc.bench``: run the REST vs gRPC study and write docs/rest-vs-grpc.md.

It prints one line per step (the phase, the call, the time left) and replaces the previous run's page
and data folder when it is done.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

from . import report, study


def parse(argv: list[str]) -> study.Options:
    defaults = study.Options()
    parser = argparse.ArgumentParser(prog="python -m lab2_grpc.bench", description=__doc__)
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="seconds per ceiling (wrk, h2load) window"
    )
    parser.add_argument("--runs", type=int, default=defaults.runs, help="interleaved runs of every ceiling")
    parser.add_argument(
        "--locust-duration",
        type=float,
        default=defaults.locust_duration,
        help="seconds per Locust ceiling window",
    )
    parser.add_argument(
        "--latency-duration",
        type=float,
        default=defaults.latency_duration,
        help="seconds per fixed-rate latency window (Locust)",
    )
    parser.add_argument("--users", type=int, default=defaults.users, help="concurrent connections, one call each")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds of warm-up before each window")
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=defaults.profile_seconds,
        help="seconds of py-spy sampling per profile",
    )
    parser.add_argument("--out", type=Path, default=defaults.out, help="folder for rest-vs-grpc.md and its data")
    args = parser.parse_args(argv)
    return study.Options(
        duration=args.duration,
        runs=args.runs,
        locust_duration=args.locust_duration,
        latency_duration=args.latency_duration,
        users=args.users,
        warmup=args.warmup,
        profile_seconds=args.profile_seconds,
        out=args.out,
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds through the study's `finally` blocks, which stop the servers and the worker by PID.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    argv = sys.argv[1:] if argv is None else argv
    options = parse(argv)
    command = shlex.join(["python", "-m", "lab2_grpc.bench", *_shown(argv)])
    with study.workspace() as workdir:
        results = study.run(options, workdir)
        page = report.write(results, options.out, command, workdir)
    print(f"wrote {page} and {page.parent / report.DATA}/ in {results.seconds:.0f} s", flush=True)


def _shown(argv: list[str]) -> list[str]:
    """The arguments as the page shows them: without --out, whose folder is this machine's."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--out":
            skip = True
        elif not arg.startswith("--out="):
            shown.append(arg)
    return shown


if __name__ == "__main__":
    main()

"""``python -m lab2_grpc.bench``: run the REST vs gRPC study and write docs/rest-vs-grpc.md."""

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
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds per ceiling measurement")
    parser.add_argument("--runs", type=int, default=defaults.runs, help="interleaved runs of every ceiling")
    parser.add_argument(
        "--latency-duration",
        type=float,
        default=defaults.latency_duration,
        help="seconds per fixed-rate latency measurement",
    )
    parser.add_argument("--users", type=int, default=defaults.users, help="concurrent users (connections)")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds before each window")
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=defaults.profile_seconds,
        help="seconds of py-spy sampling per transport",
    )
    parser.add_argument("--out", type=Path, default=defaults.out, help="folder for rest-vs-grpc.md and its data")
    args = parser.parse_args(argv)
    return study.Options(
        args.duration, args.runs, args.latency_duration, args.users, args.warmup, args.profile_seconds, args.out
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds through the study's `finally` blocks, which stop the servers and the worker by PID.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    argv = sys.argv[1:] if argv is None else argv
    options = parse(argv)
    results = study.run(options)
    command = shlex.join(["python", "-m", "lab2_grpc.bench", *argv])
    page = report.write(results, options.out, command)
    print(f"wrote {page} in {results.seconds:.0f} s")


if __name__ == "__main__":
    main()

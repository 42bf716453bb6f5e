"""Run one lab the way a student would: start it, take its demo tour, stop it with Ctrl-C.

``python -m common.run_lab lab1_rest`` is what ``./run_all.sh lab1`` runs. It exits non-zero
if the lab does not start, the tour fails, or the lab does not stop cleanly.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from . import harness


def run(module: str, step: str = "") -> bool:
    print(f"\n[{module}] {step}starting: python -m {module}", flush=True)
    try:
        lab = harness.start(module)
    except harness.LabFailedToStart as exc:
        print(f"[{module}] did not start:\n{exc}", flush=True)
        return False
    print(f"[{module}] ready at {lab.http_url} (pid {lab.pid}); demo: python -m {module}.demo", flush=True)
    demo = subprocess.run([sys.executable, "-m", f"{module}.demo"], cwd=harness.ROOT, env=lab.env)
    status = lab.stop(signal.SIGINT)
    print(f"[{module}] stopped with Ctrl-C (SIGINT), exit status {status}", flush=True)
    if demo.returncode != 0 or status != 0:
        print(f"[{module}] FAILED; the service's log:\n{lab.log()}", flush=True)
        return False
    return True


def main() -> None:
    modules = sys.argv[1:]
    results = {module: run(module, f"lab {i} of {len(modules)}: ") for i, module in enumerate(modules, 1)}
    print("\nSummary:")
    for module, ok in results.items():
        print(f"  {module:<16} {'ok' if ok else 'FAILED'}")
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()

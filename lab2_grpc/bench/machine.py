"""What the numbers were measured on: a result without its machine and versions cannot be compared."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

PACKAGES = (
    "flask",
    "gunicorn",
    "waitress",
    "grpcio",
    "protobuf",
    "pydantic",
    "locust",
    "gevent",
    "geventhttpclient",
    "py-spy",
    "matplotlib",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def tool_version(name: str, flag: str = "--version") -> str:
    """The first line a tool prints about its version (wrk prints it with an error status)."""
    if shutil.which(name) is None:
        return f"{name} not installed"
    done = subprocess.run([name, flag], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0].strip() if first else name


def describe() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "tools": ", ".join(tool_version(name) for name in ("wrk", "h2load")),
        **versions,
    }

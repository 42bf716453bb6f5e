"""What the numbers were measured on: a result without its machine and versions cannot be compared."""

from __future__ import annotations

import os
import platform
from importlib import metadata

PACKAGES = ("locust", "gevent", "geventhttpclient", "grpcio", "protobuf", "flask", "waitress", "pydantic", "matplotlib")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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
        **versions,
    }

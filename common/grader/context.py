"""What a requirement's check receives: clients for each address of the lab, and fresh data.

Every requirement makes its own users with emails no other requirement uses, so requirements do
not depend on each other's data, on the order they run in, or on what the service held before.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # grpc is only imported by labs that have a gRPC side
    from .grpc_client import GrpcClient
    from .launch import Launcher
    from .rest_client import RestClient


@dataclass
class Context:
    """The service under test, as seen by one requirement."""

    timeout: float
    rest_client: RestClient | None = None
    grpc_client: GrpcClient | None = None
    auth: bool = False  # lab 3: the clients call as logged-in users (auth_clients.py)
    notifier_client: RestClient | None = None  # lab 5: the notifier's own HTTP port (no token: it is not lab 3's)
    deadline: float | None = None  # time.monotonic() at which the runner stops waiting for the check; None: no limit
    launcher: Launcher | None = None  # lab 7: starts the command under test again (--start), for the config checks

    @property
    def rest(self) -> RestClient:
        if self.rest_client is None:
            raise RuntimeError("this requirement needs the REST address, which the lab does not have")
        return self.rest_client

    @property
    def grpc(self) -> GrpcClient:
        if self.grpc_client is None:
            raise RuntimeError("this requirement needs the gRPC address, which the lab does not have")
        return self.grpc_client

    @property
    def notifier(self) -> RestClient:
        if self.notifier_client is None:
            raise RuntimeError("this requirement needs the notifier's address, which the lab does not have")
        return self.notifier_client

    @property
    def launch(self) -> Launcher:
        if self.launcher is None:
            raise RuntimeError("this requirement starts the service itself, and the grader was not given --start")
        return self.launcher

    def until(self, seconds: float, reserve: float = 0.0) -> float:
        """When to stop waiting for something that should take `seconds` at most: then, or `reserve` seconds
        before the runner's deadline if that comes first (time.monotonic())."""
        now = time.monotonic()
        limit = now + seconds
        return limit if self.deadline is None else max(now, min(limit, self.deadline - reserve))

    def retry_until(self, limit: float) -> float:
        """When a check stops sending again the calls a busy service refused (see parallel.WhileBusy).

        Three quarters of the time the check has left (`limit` seconds when it runs without the
        runner's deadline): the last quarter is kept for the last calls sent again and for what the
        check does after them, so that it ends with a verdict, not with the runner's time limit.
        """
        now = time.monotonic()
        left = limit if self.deadline is None else max(0.0, self.deadline - now)
        return now + 0.75 * left

    @staticmethod
    def email(prefix: str = "user") -> str:
        """An email address nobody has used yet (lower case, so a case change is a real change)."""
        return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"

    @staticmethod
    def token() -> str:
        """A short random word, to make names of one requirement's users unique."""
        return uuid.uuid4().hex[:8]

"""The addresses a grading run talks to: checked for shape before anything runs, then for an answer.

A URL without a scheme or a lab graded without one of its addresses is a usage error, found
before a single request; an address with nothing listening is found by one quick probe and
reported in one line, instead of as one timeout per requirement.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests


class UsageError(ValueError):
    """The command line cannot be graded as given; the message says what to write instead."""


@dataclass(frozen=True)
class Addresses:
    """Where each side of the service under test listens: a base URL, a gRPC HOST:PORT, lab 5's notifier URL."""

    rest_url: str | None = None
    grpc_target: str | None = None
    notifier_url: str | None = None

    def of(self, side: str) -> str | None:
        """The address of one side of the lab ("rest", "grpc" or "notifier"; see labs.py)."""
        return {"rest": self.rest_url, "grpc": self.grpc_target, "notifier": self.notifier_url}[side]


OPTION_FOR = {"rest": "--rest-url", "grpc": "--grpc-target", "notifier": "--notifier-url"}
EXAMPLE_FOR = {"rest": "http://127.0.0.1:8000", "grpc": "127.0.0.1:50051", "notifier": "http://127.0.0.1:8001"}


def http_url(raw: str, option: str) -> str:
    """A base URL such as http://127.0.0.1:8000 (a path prefix is kept), without its trailing slash."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{option} {raw!r} is not an http:// or https:// URL: write it as http://{raw.strip()}")
    if parts.query or parts.fragment:
        raise UsageError(f"{option} {raw!r}: give the base URL only, without ?query or #fragment")
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise UsageError(f"{option} {raw!r} has a port that is not a number") from None
    return raw.strip().rstrip("/")


def rest_url(raw: str) -> str:
    """The REST side's base URL (--rest-url)."""
    return http_url(raw, OPTION_FOR["rest"])


def notifier_url(raw: str) -> str:
    """Lab 5's notifier: the base URL of its own HTTP port (--notifier-url), e.g. http://127.0.0.1:8001."""
    return http_url(raw, OPTION_FOR["notifier"])


def database_url(raw: str) -> str:
    """Lab 7's --database-url, as the grader hands it to the service: postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE
    (postgres:// is written postgresql://); nothing after the database's name."""
    url = raw.strip()
    parts = urlsplit(url)
    # The URL may hold a password: no message repeats it.
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise UsageError("--database-url is not a PostgreSQL URL: write postgresql://USER@HOST:PORT/DATABASE")
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise UsageError("--database-url has a port that is not a number") from None
    database = parts.path.removeprefix("/")
    if not database or "/" in database or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise UsageError(
            "--database-url should end with the database's name, and nothing after it: "
            "postgresql://USER@HOST:PORT/DATABASE"
        )
    return urlunsplit(parts._replace(scheme="postgresql"))


def host_and_port(target: str) -> tuple[str, int]:
    """Split HOST:PORT (or [IPv6]:PORT) in two."""
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


def grpc_target(raw: str) -> str:
    """A gRPC target HOST:PORT, such as 127.0.0.1:50051."""
    target = raw.strip()
    if "://" in target:
        raise UsageError(f"--grpc-target {raw!r}: write HOST:PORT without a scheme, e.g. {EXAMPLE_FOR['grpc']}")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--grpc-target {raw!r} is not HOST:PORT, e.g. {EXAMPLE_FOR['grpc']}")
    return target


def require(sides: tuple[str, ...], addresses: Addresses, lab_name: str) -> None:
    """Every side of the lab (Lab.sides) has an address, and no other does: never fall back to a reference service."""
    missing = [side for side in sides if addresses.of(side) is None]
    if missing:
        options = " and ".join(f"{OPTION_FOR[side]} {EXAMPLE_FOR[side]}" for side in missing)
        raise UsageError(f"{lab_name} is graded on every address it has: also give {options}")
    extra = [side for side in OPTION_FOR if side not in sides and addresses.of(side) is not None]
    if extra:
        raise UsageError(f"{lab_name} has no {extra[0]} side: drop {OPTION_FOR[extra[0]]}")


def _tcp_problem(host: str, port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror:
        return f"cannot resolve the host {host!r}"
    except ConnectionRefusedError:
        return "connection refused, nothing listens on that port"
    except TimeoutError:
        return f"no TCP answer within {timeout:g} s"
    except OSError as exc:
        return f"cannot connect ({exc.strerror or exc})"


def probe_http(url: str, timeout: float, path: str) -> str | None:
    """None when an HTTP server answers GET `path` at `url` (any status: the requirements judge it)."""
    parts = urlsplit(url)
    problem = _tcp_problem(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), timeout)
    if problem:
        return problem
    try:
        requests.get(f"{url}{path}", timeout=timeout)
    except requests.Timeout:
        return None  # it accepts connections; a hung call is graded (and reported) per requirement
    except requests.RequestException as exc:
        return f"it accepts TCP connections but does not answer HTTP ({type(exc).__name__})"
    return None


def probe_rest(url: str, timeout: float) -> str | None:
    """None when an HTTP server answers at `url` (any status: /healthz is an extra, not a given)."""
    return probe_http(url, timeout, "/users")


def probe_notifier(url: str, timeout: float) -> str | None:
    """None when an HTTP server answers at lab 5's notifier address (any status: NOTIFY-* judge it)."""
    return probe_http(url, timeout, "/healthz")


def probe_grpc(target: str, timeout: float) -> str | None:
    """None when a gRPC (HTTP/2) server accepts a channel at `target`."""
    import grpc

    host, port = host_and_port(target)
    problem = _tcp_problem(host, port, timeout)
    if problem:
        return problem
    channel = grpc.insecure_channel(target)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        return f"it accepts TCP connections but no gRPC channel within {timeout:g} s (is it HTTP/2?)"
    finally:
        channel.close()
    return None

"""The lab's settings: the one module that reads the environment.

Lab 7: every setting is a variable, typed and validated. A field of `Settings` is read from the
variable of its name in capitals (``http_port``: ``HTTP_PORT``), looked for in three places in
turn: the process's environment, then a ``.env`` file (the working directory's, or the file
``ENV_FILE`` names), then the field's default. So one build of the code runs anywhere: a
deployment changes what the lab does by its environment, never by an edit (the twelve-factor
app's third factor, https://12factor.net/config).

pydantic checks each value against its field's type (a port is a whole number from 1 to 65535),
and `load` reports every bad value at once, so that a start with broken settings fails once,
naming each variable to fix and what it accepts, with a secret's value masked.

Everything else receives a `Settings` value, so a test can change what the service does without
touching the code that uses it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic.dataclasses import dataclass


class SettingsError(ValueError):
    """Variables hold values the lab cannot use: one line per problem, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


MIN_SECRET_BYTES = 32  # HS256's key should be at least as long as its 256-bit output (RFC 7518, 3.2)
MASK = "****"


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _key(value: str) -> str:
    """Empty is no key (the notifier signs nothing; `load` requires one of the users service)."""
    if value and len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"is too short: use a random key of at least {MIN_SECRET_BYTES} bytes")
    return value


def _names(value: Any) -> Any:
    """SERVICES=users,notifier: a comma-separated list."""
    return tuple(name.strip() for name in value.split(",") if name.strip()) if isinstance(value, str) else value


def _services(value: tuple[str, ...]) -> tuple[str, ...]:
    if "users" not in value or not set(value) <= {"users", "notifier"}:
        raise ValueError(f"use users or users,notifier (the notifier alone: python -m {__package__}.notifier)")
    return value


def _address(value: str) -> str:
    """An email address, bare or with a name: "Lab Seven <lab7@example.com>"."""
    if "@" not in parseaddr(value)[1]:
        raise ValueError("use an email address, such as notifier@example.com or Lab Seven <lab7@example.com>")
    return value


def _scheme(*schemes: str) -> AfterValidator:
    def check(value: str) -> str:
        if urlsplit(value).scheme not in schemes:
            raise ValueError(f"use a URL that starts with {' or '.join(f'{s}://' for s in schemes)}")
        return value

    return AfterValidator(check)


# The types of the settings: each says what it accepts, in the words an error gives back.
Port = Annotated[int, Field(ge=1, le=65535, description="a whole number from 1 to 65535")]
Seconds = Annotated[int, Field(ge=1, le=86_400, description="a whole number of seconds from 1 to 86400")]
Host = Annotated[str, Field(min_length=1, description="a host name or IP address")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="letters, digits, '.', '_', '-'")]
Choice = BeforeValidator(_lower)


@dataclass(frozen=True)
class Settings:
    host: Host = "127.0.0.1"
    http_port: Port = 8000
    # Worker threads of the HTTP server: how many requests are handled at once.
    http_threads: Annotated[int, Field(ge=1, le=256)] = 8
    # Seconds a stopping lab gives the requests (and calls) in progress to finish.
    grace_seconds: Annotated[float, Field(gt=0, le=600)] = 10.0
    # The largest request body the API reads; a larger one is refused before it is read.
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 64 * 1024
    grpc_port: Port = 50051
    # Threads of the gRPC server; the health service keeps some of them for itself. Lab 3: 24, not
    # 16: a registration or a login hashes a password (tens of milliseconds), so more calls overlap.
    grpc_threads: Annotated[int, Field(ge=1, le=1024)] = 24
    grpc_health_threads: Annotated[int, Field(ge=1, le=64)] = 4
    grpc_watch_threads: Annotated[int, Field(ge=1, le=64)] = 2
    # Lab 3: the key that signs and checks access tokens (HS256). Required, at least 32 bytes:
    # anyone who knows it can mint a token for any user, so it comes from the environment, never the code.
    jwt_secret: Annotated[str, AfterValidator(_key)] = dataclasses.field(default="", repr=False)
    # How long an access token stays valid: short, because a token cannot be taken back once issued.
    jwt_ttl_seconds: Seconds = 900
    # The first admin: the user who registers with this email gets the admin role (empty: nobody does).
    admin_email: Annotated[str, BeforeValidator(str.strip)] = ""
    # Lab 4: WebSocket connections open at once (each costs three greenlets and a file descriptor).
    ws_max_connections: Annotated[int, Field(ge=1, le=100_000)] = 10_000
    # Connections one user may hold at once (tabs, devices): one account cannot take every place.
    ws_connections_per_user: Annotated[int, Field(ge=1, le=10_000)] = 32
    # The largest message a client may send (text or binary); a larger one closes the connection (1009).
    ws_max_message_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    # Messages, and bytes, waiting to be sent to one connection; a client that falls this far behind is dropped.
    ws_queue_messages: Annotated[int, Field(ge=1, le=100_000)] = 256
    ws_queue_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024 * 1024)] = 8 * 1024 * 1024
    # A client may send this many messages a second on average, in bursts of up to twice as many.
    ws_messages_per_second: Annotated[float, Field(gt=0, le=100_000)] = 20.0
    # Frames of any kind (pings and fragments too) a client may send a second, in bursts of five times as many.
    ws_frames_per_second: Annotated[float, Field(gt=0, le=100_000)] = 100.0
    # Seconds between the server's pings; a client that has not answered one by the next is dropped.
    ws_ping_seconds: Seconds = 25
    # Lab 5: the broker between the users service and the notifier: "rabbitmq" (pika) or "kafka" (kafka-python).
    broker: Annotated[Literal["rabbitmq", "kafka"], Choice] = "rabbitmq"
    # Lab 7: URLs that may hold a password are left out of the repr, as the key is (describe() masks them).
    rabbitmq_url: Annotated[str, _scheme("amqp", "amqps")] = dataclasses.field(
        default="amqp://guest:guest@127.0.0.1:5672/%2F", repr=False
    )
    kafka_bootstrap_servers: Annotated[
        str, Field(pattern=r"^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$", description="host:port, or several separated by commas")
    ] = "127.0.0.1:9092"
    # The start of every exchange, queue and topic name, so that two deployments (or tests) can share a broker.
    broker_prefix: Name = "microlabs"
    # The notifier's own HTTP port (GET /notifications, /healthz).
    notifier_http_port: Port = 8001
    # Email: sent through SMTP_HOST when it is set; the notifier's own record is kept either way.
    smtp_host: Annotated[str, BeforeValidator(str.strip)] = ""
    smtp_port: Port = 25
    smtp_from: Annotated[str, AfterValidator(_address)] = "notifier@microlabs.example"
    # The notifier's record (SQLite): which events it has handled, so that none is handled twice. In memory by
    # default, for as long as the notifier runs (like the users); a file keeps it across restarts (compose.yaml).
    notifier_db: Annotated[str, Field(min_length=1)] = ":memory:"
    # What `python -m lab7_config` starts: the users service and, as its child process, the notifier.
    # SERVICES=users starts the users service alone (the notifier then runs apart: python -m lab7_config.notifier).
    services: Annotated[tuple[str, ...], BeforeValidator(_names), AfterValidator(_services)] = ("users", "notifier")
    # Lab 6: logs as one ECS JSON object per line ("ecs", for Filebeat and Kibana) or as text lines ("text",
    # for a person at a terminal), and the least severe level written.
    log_format: Annotated[Literal["ecs", "text"], Choice] = "ecs"
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(str.upper)] = "INFO"
    # Lab 7: where the users live: memory:// (in this process, gone when it stops) or a PostgreSQL database.
    database_url: Annotated[str, _scheme("memory", "postgresql", "postgres")] = dataclasses.field(
        default="memory://", repr=False
    )
    # Connections the users service keeps open to PostgreSQL (each request borrows one for its transaction).
    database_pool_size: Annotated[int, Field(ge=1, le=100)] = 10

    def ports(self) -> dict[str, int]:
        """Every port the lab listens on, by the variable that sets it."""
        return {"HTTP_PORT": self.http_port, "GRPC_PORT": self.grpc_port, "NOTIFIER_HTTP_PORT": self.notifier_http_port}

    def ports_started_together(self) -> dict[str, int]:
        """The ports of what `python -m` starts at once: SERVICES=users leaves the notifier's to run apart."""
        ports = self.ports()
        if "notifier" not in self.services:
            del ports["NOTIFIER_HTTP_PORT"]
        return ports

    def address(self, port: int) -> str:
        """host:port, with an IPv6 host in brackets."""
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"


FIELDS = {field.name.upper(): field.name for field in dataclasses.fields(Settings)}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # what a variable's name may be
SECRETS = {"JWT_SECRET"}  # never shown
URLS = {"RABBITMQ_URL", "DATABASE_URL"}  # shown with their password masked; not shown at all if not a URL
ENV_FILE = "ENV_FILE"  # the variable that names the .env file; without it, .env in the working directory


@dataclasses.dataclass(frozen=True)
class Sources:
    """The raw values of the lab's variables, and where each came from: "environment" or the .env file's path."""

    values: dict[str, str]
    origins: dict[str, str]


def read(environ: Mapping[str, str] | None = None) -> Sources:
    """The lab's variables from the environment, then the .env file: a real variable wins over the file."""
    environ = os.environ if environ is None else environ
    try:
        path, file_values = _env_file(environ)
    except (OSError, UnicodeDecodeError) as exc:  # unreadable, or not text: a problem, never a traceback
        named = environ.get(ENV_FILE, "").strip() or ".env"
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "it is not UTF-8 text"
        raise SettingsError([f"{ENV_FILE}={named!r}: cannot read it ({reason})"]) from None
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for variable, value in file_values.items():
        values[variable], origins[variable] = value, str(path)
    for variable in FIELDS.keys() & environ.keys():
        values[variable], origins[variable] = environ[variable], "environment"
    return Sources(values, origins)


def _env_file(environ: Mapping[str, str]) -> tuple[Path | None, dict[str, str]]:
    """The .env file's variables (none when there is no file); an unknown name or a missing ENV_FILE is a problem.

    python-dotenv reads the file (``interpolate=False``: a "$" in a password stays a "$"). A name that
    is no setting (most likely a typo: `_unknown` suggests the right one) and a line with no "=" (its
    value is None) are problems, all of them raised together in one SettingsError.
    """
    named = environ.get(ENV_FILE, "").strip()
    path = Path(named) if named else Path.cwd() / ".env"
    if named and (not path.exists() or path.is_dir()):  # a named file must be there (a pipe will do: <(...))
        raise SettingsError([f"{ENV_FILE}={named!r}: no such file (give the path of a .env file, or unset it)"])
    if not named and not path.is_file():
        return None, {}
    # >>> lab 7 · settings._env_file: read it with python-dotenv; all problems in one SettingsError; else (path, values)
    found = dotenv_values(path, interpolate=False)
    problems = [_unknown(variable, path) for variable in found if variable not in FIELDS]
    problems += [
        f"{name} in {path} has no value: write {name}=..."
        for name, value in found.items()
        if value is None and name in FIELDS
    ]
    if problems:
        raise SettingsError(problems)
    return path, {variable: value for variable, value in found.items() if value is not None}
    # <<< lab 7


def _unknown(variable: str, path: Path) -> str:
    """A name the lab does not read: most likely a typo, which would otherwise be ignored in silence.

    What is not a name at all (a URL pasted on a line of its own) is not quoted: it may hold a password."""
    if not NAME.fullmatch(variable):
        return f"{path} has a line that is not NAME=value (not quoted here: it may hold a secret)"
    close = difflib.get_close_matches(variable, FIELDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{variable} in {path} is not a setting of {__package__}{hint}"


def load(environ: Mapping[str, str] | None = None, service: str = "users") -> Settings:
    """Settings from the environment and the .env file; raises SettingsError listing every bad variable.

    Lab 5: the notifier (`service="notifier"`) signs no token, so it runs without JWT_SECRET.
    """
    return validated(read(environ), service)


def validated(sources: Sources, service: str = "users") -> Settings:
    """The settings `sources` hold, checked: SettingsError lists every bad variable."""
    values = {FIELDS[variable]: value for variable, value in sources.values.items()}
    problems = []
    if service == "users" and not values.get("jwt_secret"):
        problems.append(f"JWT_SECRET is not set: give it a random key of at least {MIN_SECRET_BYTES} bytes")
    elif service != "users":
        values.pop("jwt_secret", None)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems += [_problem(error, sources.values) for error in exc.errors()]
    if problems:
        raise SettingsError(problems)
    return settings


def _problem(error: Any, raw: Mapping[str, str]) -> str:
    """One line: the variable, its value (masked if secret) and what it accepts.

    `error` is one of pydantic's `ValidationError.errors()`: "loc" holds the field's name, "msg" the
    message (a validator's own starts "Value error, ", which says nothing to a reader), "type" the
    kind of error. What the field accepts is the description in its type's `Field(...)`. A secret's
    line shows no value at all: "JWT_SECRET is too short: ...".
    """
    # >>> lab 7 · settings._problem: "VAR='value as shown()': message (what it accepts)"; a secret's line shows no value
    variable = str(error["loc"][0]).upper()
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":  # the pattern itself says little to a reader
        message = "not accepted"
    field = Settings.__pydantic_fields__[FIELDS[variable]]  # type: ignore[attr-defined]
    accepts = next((meta.description for meta in field.metadata if getattr(meta, "description", None)), None)
    accepts = accepts or field.description
    if variable in SECRETS:  # not even masked: how long it is, or that it is set, is no one's business
        return f"{variable} {message}"
    return f"{variable}={shown(variable, raw.get(variable, ''))!r}: {message}" + (f" ({accepts})" if accepts else "")
    # <<< lab 7


def shown(variable: str, value: str) -> str:
    """A value as it may be printed: a secret masked wholly, a URL's password masked."""
    if variable in SECRETS:
        return MASK if value else ""
    if variable in URLS and not URL.match(value):  # "host=db password=...": whatever it is, it is not shown
        return MASK if value else ""
    return QUERY_PASSWORD.sub(rf"\g<1>{MASK}", PASSWORD.sub(rf"\g<1>{MASK}@", value))


# A URL's "user:password@": up to its last "@", so that a password that should have been URL-encoded
# ("/", "?", "#" in it) is masked all the same, with whatever follows it up to that "@".
PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/]*:).*@", re.IGNORECASE)
QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)  # libpq's ?password=...
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def describe(settings: Settings, sources: Sources) -> list[str]:
    """`--print-config`: each variable's effective value (secrets masked) and where it came from, as .env lines.

    "HTTP_PORT=9000", padded to 48 characters, then "# environment", "# /path/.env" or "# default"
    (`sources.origins`); a tuple (SERVICES) is written as the variable is: "users,notifier".
    """
    # >>> lab 7 · settings.describe: a line per variable: VAR=value as shown(), padded, then "# origin"
    lines = []
    for variable, name in FIELDS.items():
        value = getattr(settings, name)
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        line = f"{variable}={shown(variable, text)}"
        lines.append(f"{line:<48} # {sources.origins.get(variable, 'default')}")
    return lines
    # <<< lab 7


def grpc_address(environ: Mapping[str, str] | None = None) -> str:
    """HOST:GRPC_PORT, for clients: they need the address, not the server's secret."""
    settings = load(environ, service="client")
    return settings.address(settings.grpc_port)


def ws_url(environ: Mapping[str, str] | None = None) -> str:
    """ws://HOST:HTTP_PORT/ws, for the chat client: WebSocket shares the HTTP port."""
    settings = load(environ, service="client")
    return f"ws://{settings.address(settings.http_port)}/ws"

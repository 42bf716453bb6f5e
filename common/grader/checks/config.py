"""Lab 7's requirements: every setting from the environment or a .env file, validated; the database a setting.

No port shows how a service reads its configuration, so these checks start the service themselves,
with the command the grader was given (--start), each time in an environment of their own: the
ports only in a .env file, one variable in both places, a value the service must refuse, a
PostgreSQL database it keeps users in across a restart. Without --start they are not graded, and
the report says why (the side "start"); without --database-url, CONFIG-DATABASE is not (the side
"database"). CONFIG-DATABASE speaks gRPC only (CreateUser with a password, AuthService/Login, GetUser
with the token), lab 3's core: REST login and tokens are lab 3's extras. After the restart it also
looks into the database itself (psycopg, which lab 7's requirements install), for a table holding
the user's email: persistence seen through the ports alone would not tell PostgreSQL from a file.

Each start gets free ports, none of the grader's own HOST, ports or ENV_FILE (launch.GIVEN), and
SERVICES=users: the reference reads it to start without its notifier, which no check here needs (a
faster start); a service that ignores it is graded alike, its notifier on the free port it is given.
A check waits for a start to answer (or to exit) without a fixed pause, each wait bounded, and stops
its process group at the end, whatever happened; the launcher stops any start a check left behind.
"""

from __future__ import annotations

import importlib
import re
import secrets
import time
from collections.abc import Mapping
from itertools import groupby
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..context import Context
from ..evidence import CheckFailed, Exchange, expect, preview
from ..launch import HOST, Launcher, Start, accepts, free_port
from ..registry import requirement

FEATURE = "config"
READY_WITHIN = 30.0  # seconds a start has to answer at its ports
EXIT_WITHIN = 15.0  # seconds a start with a value it cannot use has to exit
STOP_RESERVE = 20.0  # seconds kept at the end of a check to stop what it started (SIGTERM, SIGKILL after 15 s)
BAD_PORT = "not-a-port"
SECRET_LENGTH = 20  # characters of the short JWT_SECRET: under the 32 bytes lab 3 asks for
SHOWN_RUN = 8  # characters of the secret in a row that count as showing it
PASSWORD = "config password 1234"
SHOWN_LINES = 8  # lines of a start's output a failure message shows (on one line, cut at 300 characters)
DATABASE_WITHIN = 5  # seconds to connect to the database, and for each query, when the check looks into it
# Columns that may hold an email: text (citext is USER-DEFINED) or JSON. Schemas that are PostgreSQL's own are skipped.
EMAIL_TYPES = ["text", "character varying", "character", "json", "jsonb", "USER-DEFINED"]
# What an unhandled error prints, in the languages a student may write the service in.
STACK_TRACES = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a stack frame (at ...:line)", re.compile(r"^\s+at \S.*(:\d+\)?|:line \d+)\s*$", re.MULTILINE)),
    ("a Go goroutine dump", re.compile(r"^goroutine \d+ \[", re.MULTILINE)),
    ("a Rust panic", re.compile(r"panicked at")),
)


# --- starting, waiting, describing -----------------------------------------------------------------


def masked(url: str) -> str:
    """A URL as a report may show it: its password replaced by ****."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:****@{netloc[-1]}"))


def assignments(values: Mapping[str, object]) -> str:
    return ", ".join(f"{name}={masked(str(value))}" for name, value in values.items())


def write_env_file(launch: Launcher, label: str, values: Mapping[str, object]) -> Path:
    """A .env file of `values` (NAME=value lines, after a comment and a blank line), kept beside the starts' logs."""
    launch.logs.mkdir(parents=True, exist_ok=True)
    path = launch.logs / f"{label}-{secrets.token_hex(4)}.env"
    lines = ["# written by the grader: the settings of one start", ""]
    path.write_text("\n".join([*lines, *(f"{name}={value}" for name, value in values.items())]) + "\n")
    return path


def output_of(start: Start) -> str:
    """What a failure message shows of a start's output: its last lines."""
    tail = start.tail(SHOWN_LINES).strip()
    return f"its output ends: {preview(tail)}" if tail else "it wrote nothing"


def on_ports(ports: Mapping[str, int]) -> dict[str, str]:
    return {"HOST": HOST, **{name: str(port) for name, port in ports.items()}}


def wait_ready(ctx: Context, start: Start, sent: str, wrong: Mapping[int, str] | None = None, calls: int = 0) -> None:
    """Wait until `start` answers at its HTTP_PORT (and GRPC_PORT); fail at once when it exits, or when one of
    the `wrong` ports accepts connections (the message says why that is wrong). `calls`: requests the check
    still sends afterwards, for which time is kept."""
    until = ctx.until(READY_WITHIN, STOP_RESERVE + calls * ctx.timeout)
    ports = f"HTTP_PORT {start.ports['HTTP_PORT']}"
    if "grpc" in ctx.launch.lab.protocols:
        ports += f" and GRPC_PORT {start.ports['GRPC_PORT']}"
    while not ctx.launch.ready(start):
        status = start.exited
        if status is not None:
            raise CheckFailed(
                f"it exited with status {status} instead of listening at {ports}", Exchange(sent, output_of(start))
            )
        for port, why in (wrong or {}).items():
            if accepts(port):
                raise CheckFailed(why, Exchange(sent, f"port {port} accepts connections; {output_of(start)}"))
        if time.monotonic() >= until:
            raise CheckFailed(
                f"it did not listen at {ports} within {time.monotonic() - start.began:.0f} s "
                "(GET /healthz answering anything but a 5xx)",
                Exchange(sent, output_of(start)),
            )
        time.sleep(0.1)


def names(output: str, variable: str) -> bool:
    """`output` names `variable` by its exact name, case-sensitive, as a word of its own: HTTP_PORT is not
    named by NOTIFIER_HTTP_PORT alone, BROKER not by BROKER_PREFIX, JWT_SECRET not by JWT_SECRET_FILE."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(variable)}(?![A-Za-z0-9_])", output) is not None


def refused(ctx: Context, variable: str, value: str, label: str, shown: str | None = None) -> Start:
    """Start with `variable`=`value` (a value the service cannot use) and the rest valid; it should exit,
    non-zero, within EXIT_WITHIN seconds, and name `variable` in its output. The start, stopped."""
    launch = ctx.launch
    ports = launch.ports()
    env = {**on_ports(ports), "SERVICES": "users", variable: value}
    shown = repr(value) if shown is None else shown
    sent = f"started `{launch.command}` with {variable}={shown} (and free ports)"
    with launch.running(label, env, ports) as start:
        status = launch.wait_exit(start, ctx.until(EXIT_WITHIN, STOP_RESERVE))
        if status is None:
            raise CheckFailed(
                f"it was still running {time.monotonic() - start.began:.0f} s after the start: a value it cannot "
                "use should stop the start, with a non-zero exit status",
                Exchange(sent, output_of(start)),
            )
    expect(
        status != 0,
        "it exited with status 0: a start refused for a bad value should exit with a non-zero status",
        Exchange(sent, output_of(start)),
    )
    expect(
        names(start.output(), variable),
        f"its output should name {variable} (its exact name, case-sensitive, not inside a longer name), "
        "the variable whose value it refused (and say what it accepts)",
        Exchange(sent, f"exit status {status}; {output_of(start)}"),
    )
    return start


def exits_or_listens(ctx: Context, variable: str, value: str, label: str) -> tuple[Start, int | None]:
    """Start with `variable`=`value` and the rest valid; wait, up to EXIT_WITHIN seconds, until it exits (its
    status) or is ready at its ports (None: it took the value). The start, stopped."""
    launch = ctx.launch
    ports = launch.ports()
    with launch.running(label, {**on_ports(ports), "SERVICES": "users", variable: value}, ports) as start:
        until = ctx.until(EXIT_WITHIN, STOP_RESERVE)
        while start.exited is None and not launch.ready(start) and time.monotonic() < until:
            time.sleep(0.1)
        status = start.exited
    return start, status


def short_secret() -> str:
    return secrets.token_urlsafe(SECRET_LENGTH)[:SECRET_LENGTH]


def grpc_call(client: Any, service: str, method: str, request: Any, token: str | None = None) -> Any:
    """`service`/`method` of users.v1 at `client`'s channel, with the token as authorization metadata if given;
    every status comes back as a GrpcReply, a missed deadline fails."""
    import grpc

    from ..grpc_client import GrpcReply, describe_message

    stubs = importlib.import_module(client.pb.__name__.replace("users_pb2", "users_pb2_grpc"))
    stub = getattr(stubs, f"{service}Stub")(client.channel)
    metadata = (("authorization", f"Bearer {token}"),) if token else None
    sent = f"{service}/{method}({describe_message(request)})" + (" with the token as metadata" if token else "")
    try:
        response = getattr(stub, method)(request, timeout=client.timeout, metadata=metadata)
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise CheckFailed(f"no answer within {client.timeout:g} s", Exchange(sent, "DEADLINE_EXCEEDED")) from None
        return GrpcReply(code, None, details, error, Exchange(sent, f"{code.name}: {preview(details)}"))
    return GrpcReply(grpc.StatusCode.OK, response, "", None, Exchange(sent, f"OK {describe_message(response)}"))


def tables_holding(url: str, email: str) -> tuple[list[str], list[str]]:
    """The tables of the database at `url` (outside PostgreSQL's own schemas), and those of them with a text
    or JSON column holding `email` (compared in lower case)."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        raise RuntimeError(
            "the grader needs psycopg to look into the database (lab 7's requirements.txt installs it)"
        ) from None
    options = f"-c statement_timeout={DATABASE_WITHIN * 1000}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=DATABASE_WITHIN, options=options) as db:
            tables = [
                f"{schema}.{table}"
                for schema, table in db.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                    " AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'"
                    " ORDER BY 1, 2"
                ).fetchall()
            ]
            columns = db.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns"
                " WHERE table_schema || '.' || table_name = ANY(%s) AND data_type = ANY(%s)"
                " ORDER BY 1, 2, ordinal_position",
                (tables, EMAIL_TYPES),
            ).fetchall()
            holding = []
            for (schema, table), found in groupby(columns, key=lambda row: row[:2]):
                holds = sql.SQL(" OR ").join(
                    sql.SQL("strpos(lower({}::text), %(email)s) > 0").format(sql.Identifier(row[2])) for row in found
                )
                query = sql.SQL("SELECT 1 FROM {}.{} WHERE {} LIMIT 1").format(
                    sql.Identifier(schema), sql.Identifier(table), holds
                )
                if db.execute(query, {"email": email.lower()}).fetchone():
                    holding.append(f"{schema}.{table}")
    except psycopg.Error as error:
        problem = preview(str(error))
        raise RuntimeError(f"the grader could not look into the database {masked(url)}: {problem}") from None
    return tables, holding


def unknown_broker() -> str:
    """A BROKER value no service accepts."""
    return f"pigeon-post-{secrets.token_hex(3)}"


# --- core ------------------------------------------------------------------------------------------


@requirement(
    "CONFIG-ENV-FILE",
    protocol="rest",
    core=True,
    weight=3,
    feature=FEATURE,
    title="Started with HOST and its ports only in the .env file that ENV_FILE names, it listens on those ports",
    hint="read every setting from the environment, then from a .env file (./.env, or the file ENV_FILE "
    "names), then the default; lines NAME=value, # comments and blank lines",
    time_limit=READY_WITHIN + STOP_RESERVE + 10,
)
def env_file(ctx: Context) -> None:
    launch = ctx.launch
    ports = launch.ports()
    path = write_env_file(launch, "env-file", on_ports(ports))
    sent = (
        f"started `{launch.command}` with ENV_FILE={path}, a .env file holding {assignments(on_ports(ports))}, "
        "and none of them in its environment"
    )
    with launch.running("env-file", {"ENV_FILE": str(path), "SERVICES": "users"}, ports) as start:
        wait_ready(ctx, start, sent)


@requirement(
    "CONFIG-PRECEDENCE",
    protocol="rest",
    core=True,
    weight=2,
    feature=FEATURE,
    title="A variable set both in the environment and in the .env file takes the environment's value",
    hint="read the .env file first and let every variable of the environment replace its value "
    "(python-dotenv's load_dotenv does so: it does not override a variable that is set)",
    depends_on=["CONFIG-ENV-FILE"],
    time_limit=READY_WITHIN + STOP_RESERVE + 10,
)
def precedence(ctx: Context) -> None:
    launch = ctx.launch
    ports, in_file = launch.ports(), free_port()
    values = {**on_ports(ports), "HTTP_PORT": str(in_file)}
    path = write_env_file(launch, "precedence", values)
    wins = ports["HTTP_PORT"]
    sent = (
        f"started `{launch.command}` with ENV_FILE={path}, a .env file holding {assignments(values)}, "
        f"and HTTP_PORT={wins} in its environment"
    )
    wrong = {in_file: f"it listens at the .env file's HTTP_PORT ({in_file}): the environment's ({wins}) should win"}
    env = {"ENV_FILE": str(path), "SERVICES": "users", "HTTP_PORT": str(wins)}
    with launch.running("precedence", env, ports) as start:
        wait_ready(ctx, start, sent, wrong)


@requirement(
    "CONFIG-INVALID",
    protocol="rest",
    core=True,
    weight=2,
    feature=FEATURE,
    title=f"HTTP_PORT={BAD_PORT}, or a BROKER nobody offers, stops the start with a non-zero exit status "
    "and a message that names the variable",
    hint="validate every setting before starting anything; on a bad value print the variable, its value and "
    "what it accepts, and exit with a non-zero status (the reference: 2)",
    time_limit=2 * EXIT_WITHIN + STOP_RESERVE + 10,
)
def invalid(ctx: Context) -> None:
    refused(ctx, "HTTP_PORT", BAD_PORT, "invalid-port")
    refused(ctx, "BROKER", unknown_broker(), "invalid-broker")


@requirement(
    "CONFIG-DATABASE",
    protocol="grpc",
    core=True,
    weight=3,
    feature=FEATURE,
    uses=["database"],
    title="With DATABASE_URL a PostgreSQL database, a user registered before a restart logs in after it and is there, "
    "in a table of that database",
    hint="keep the users (with their password hashes) in PostgreSQL when DATABASE_URL is a postgresql:// URL, "
    "creating the tables you need at the start if they are missing",
    time_limit=2 * (READY_WITHIN + STOP_RESERVE) + 3 * DATABASE_WITHIN + 40,
)
def database(ctx: Context) -> None:
    from ..grpc_client import GrpcClient

    launch = ctx.launch
    url = launch.database_url
    if url is None:  # the runner does not grade it without one; a direct call gets a clear error
        raise RuntimeError("this requirement needs a PostgreSQL database: give --database-url")
    stubs = launch.lab.stubs_package or ""
    email = ctx.email("config")
    before = launch.ports()
    env = {"SERVICES": "users", "DATABASE_URL": url}
    sent = f"started `{launch.command}` with DATABASE_URL={masked(url)}"
    with launch.running("database-before", {**env, **on_ports(before)}, before) as first:
        wait_ready(ctx, first, sent, calls=1)
        client = GrpcClient(f"{HOST}:{before['GRPC_PORT']}", ctx.timeout, stubs)
        try:
            request = client.pb.CreateUserRequest(name="Kept Across Restarts", email=email, password=PASSWORD)
            reply = grpc_call(client, "UserService", "CreateUser", request)
        finally:
            client.close()
        shown = Exchange(f"{sent}; then {reply.exchange.sent}", reply.exchange.got)
        expect(reply.ok, f"CreateUser with a password should succeed, got {reply.code.name}", shown)
        expect(reply.response.id, "the answer should hold the user's id", shown)
        user = reply.response.id
        launch.stop(first)
    after = launch.ports()
    sent += (
        f"; CreateUser registered {email} (id {user}) with a password; stopped it with SIGTERM; "
        "started it again with the same DATABASE_URL"
    )
    with launch.running("database-after", {**env, **on_ports(after)}, after) as second:
        wait_ready(ctx, second, sent, calls=2)
        client = GrpcClient(f"{HOST}:{after['GRPC_PORT']}", ctx.timeout, stubs)
        try:
            login = grpc_call(client, "AuthService", "Login", client.pb.LoginRequest(email=email, password=PASSWORD))
            shown = Exchange(f"{sent}; then {login.exchange.sent}", login.exchange.got)
            expect(
                login.ok,
                f"the user registered before the restart should log in after it (OK), got {login.code.name}: "
                "the users should be kept in the database, not in memory",
                shown,
            )
            token = login.response.access_token
            expect(token, "the login's answer should hold an access_token", shown)
            reply = grpc_call(client, "UserService", "GetUser", client.pb.GetUserRequest(id=user), token)
        finally:
            client.close()
    shown = Exchange(f"{sent}; logged in; then {reply.exchange.sent}", reply.exchange.got)
    expect(reply.ok, f"GetUser of id {user} after the restart should succeed, got {reply.code.name}", shown)
    expect(
        reply.response.id == user and reply.response.email == email,
        "the user read after the restart should be the one registered before it (same id and email)",
        shown,
    )
    tables, holding = tables_holding(url, email)
    expect(
        holding,
        f"no table of the database DATABASE_URL names holds {email}: keep the users in that PostgreSQL database "
        "(kept elsewhere, in a file say, they outlive a restart but not a new machine)",
        Exchange(
            f"{sent}; then looked for {email} in the text and JSON columns of every table of {masked(url)}",
            f"tables: {preview(', '.join(tables), 200)}" if tables else "the database has no table",
        ),
    )


# --- extras ----------------------------------------------------------------------------------------


@requirement(
    "CONFIG-SECRET-MASKED",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title=f"A JWT_SECRET of {SECRET_LENGTH} characters stops the start with a message that names JWT_SECRET "
    "but never shows its value",
    hint="refuse a key under 32 bytes, and never print a secret's value: leave it out, or mask it (****), "
    "in the message as in the logs",
    time_limit=EXIT_WITHIN + STOP_RESERVE + 10,
)
def secret_masked(ctx: Context) -> None:
    secret = short_secret()
    start = refused(ctx, "JWT_SECRET", secret, "short-secret", shown=f"{secret!r} ({SECRET_LENGTH} characters)")
    output = start.output()
    runs = [secret[i : i + SHOWN_RUN] for i in range(len(secret) - SHOWN_RUN + 1)]
    expect(
        not any(run in output for run in runs),
        f"its output shows the secret (or {SHOWN_RUN} characters of it in a row): mask it",
        Exchange(f"started `{ctx.launch.command}` with JWT_SECRET={secret!r}", output_of(start)),
    )


def stack_trace_in(ctx: Context, start: Start, variable: str, value: str) -> None:
    """Fail when the output of `start`, refused for `variable`=`value`, holds a stack trace."""
    output = start.output()
    for what, pattern in STACK_TRACES:
        found = pattern.search(output)
        expect(
            found is None,
            f"refusing {variable}={value!r}, it printed {what}: print the problem, not the stack",
            Exchange(
                f"started `{ctx.launch.command}` with {variable}={value!r}",
                preview(output[found.start() :] if found else ""),
            ),
        )


@requirement(
    "CONFIG-NO-TRACEBACK",
    protocol="rest",
    core=False,
    weight=1,
    feature=FEATURE,
    title=f"A start refused for HTTP_PORT={BAD_PORT}, a BROKER nobody offers or a JWT_SECRET of {SECRET_LENGTH} "
    "characters prints its message, not a stack trace",
    hint="catch the validation error where the service starts, print its message (one line per bad variable) "
    "and exit; a traceback is for bugs, not for a mistyped setting",
    depends_on=["CONFIG-INVALID"],
    time_limit=3 * EXIT_WITHIN + STOP_RESERVE + 10,
)
def no_traceback(ctx: Context) -> None:
    for variable, value, label in (
        ("HTTP_PORT", BAD_PORT, "traceback-port"),
        ("BROKER", unknown_broker(), "traceback-broker"),
    ):
        stack_trace_in(ctx, refused(ctx, variable, value, label), variable, value)
    # A service that takes the short secret (it listens instead) refuses nothing here: CONFIG-SECRET-MASKED
    # grades that. One that exits, with any status, is judged on what it printed.
    secret = short_secret()
    start, status = exits_or_listens(ctx, "JWT_SECRET", secret, "traceback-secret")
    if status is not None:
        stack_trace_in(ctx, start, "JWT_SECRET", secret)

"""Lab 7's exercises (lab7_config/README.md, "Exercises"), checked as a deployer sees the lab.

Lab 7 is configured by its environment, so what these exercises add shows in how the lab starts:
which variables it runs with, what it refuses to start with (exit status 2, a line per problem on
standard error), and how long it takes to give up on a database (exit status 1). Exercises 1 and 3
start the lab again themselves, each time in an environment of their own (surroundings.LabStarts),
and judge each start by its ports, its exit status and what it wrote; exercise 2 starts it once with
chosen settings and reads its ``GET /metrics`` as Prometheus does (lab 6's helpers).

Nothing here looks inside the lab, and a secret the check chose must never appear in what the lab
writes or serves: it is masked in the evidence too, should it leak.
"""

from __future__ import annotations

import os
import re
import secrets
from urllib.parse import urlsplit

import jwt

from common.grader import CheckFailed, Context, Exchange, expect
from common.grader.checks.rest_helpers import expect_status
from common.grader.rest_client import RestClient

from .lab5_broker import PASSWORD, sign_up
from .lab6_monitoring import lines_of, scrape
from .registry import exercise
from .runner import surrounded_by
from .surroundings import RABBITMQ_URL, Environment, LabStarts, SilentServer, Start

LAB = "lab7_config"
READY_SECONDS = 20.0  # how long a start that should serve may take to answer /healthz
REFUSED_SECONDS = 10.0  # how long a start that should be refused may take to exit
MASK = "****"


def _hidden(text: str, *keys: str) -> str:
    for key in keys:
        text = text.replace(key, MASK)
    return text


def seen(start: Start, *keys: str) -> str:
    """What a start wrote, on one line, with the check's secrets masked: the lab's own lines about its settings
    and its start (``lab7_config: ...``, on standard error) if it wrote any, else its last lines."""
    own = [line for line in start.output().splitlines() if line.startswith(f"{LAB}: ")]
    return _hidden(" | ".join(own[-5:]) if own else start.tail(5), *keys)


def described(shown: dict[str, str]) -> str:
    """A start as a deployer would type it: the variables the check chose, then the command."""
    return " ".join([*(f"{name}={value}" for name, value in shown.items()), f"python -m {LAB}"])


def exit_of(start: Start, sent: str, keys: tuple[str, ...], seconds: float = REFUSED_SECONDS) -> int:
    """The exit status of a start that should stop by itself; fails if it still runs after `seconds`."""
    status = start.wait_exit(seconds)
    if status is None:
        raise CheckFailed(
            f"the lab should refuse to start, with exit status 2, but it was still running after {seconds:g} s",
            Exchange(sent, seen(start, *keys)),
        )
    return status


def naming(start: Start, *variables: str) -> list[str]:
    """The lines of what a start wrote that name every one of `variables` (JWT_SECRET is not JWT_SECRET_FILE)."""
    patterns = [re.compile(rf"(?<![A-Z0-9_]){variable}(?![A-Z0-9_])") for variable in variables]
    return [line for line in start.output().splitlines() if all(pattern.search(line) for pattern in patterns)]


def expect_unsaid(start: Start, sent: str, **keys: str) -> None:
    """Fail if a start wrote any of `keys` (what each is, by its name)."""
    output = start.output()
    for what, key in keys.items():
        expect(
            key not in output,
            f"the lab wrote {what} in its output: a key never goes into a log or an error message (mask it)",
            Exchange(sent, seen(start, *keys.values())),
        )


# --- 1: secrets from a file ------------------------------------------------------------------------


def logged_in(start: Start, ctx: Context, sent: str) -> str:
    """A user of the start registered and logged in over REST: its access token."""
    rest = RestClient(start.http_url, ctx.timeout)
    try:
        at = Context(ctx.timeout, rest)
        _, email = sign_up(at, "Keyed", PASSWORD)
        reply = rest.post("/auth/login", {"email": email, "password": PASSWORD})
    finally:
        rest.close()
    expect_status(reply, 200, why=f"to a login with the right password, on the lab started as {sent}")
    body = reply.json()
    token = body.get("access_token") if isinstance(body, dict) else None
    expect(isinstance(token, str) and token, "login should answer an access_token", reply.exchange)
    return str(token)


def signed_with(token: str, key: str) -> bool:
    """Whether the token's HS256 signature is made with `key` (its claims aside)."""
    try:
        jwt.PyJWS().decode(token, key, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return False
    return True


@exercise(
    LAB,
    1,
    title="started with JWT_SECRET_FILE (the path of a file holding the key) and no JWT_SECRET, the lab signs its "
    "tokens with the file's key, one trailing newline stripped; with both set, or a file that is not there, it "
    "stops with exit status 2 and a line naming the variables, never printing the key",
    hint="In settings.read, after the environment and the .env file: when JWT_SECRET_FILE is given, JWT_SECRET's "
    "value is the file's content with one trailing newline removed (its origin, for --print-config, is the file); "
    "JWT_SECRET given too, or a file that cannot be read, is a SettingsError naming the variables (never their "
    "values). Let the .env file name JWT_SECRET_FILE too (_env_file refuses unknown names).",
)
@surrounded_by(LabStarts)
def secret_from_a_file(ctx: Context, starts: LabStarts) -> None:
    key, other = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    keys = {"the key of JWT_SECRET_FILE": key, "the key of JWT_SECRET": other}
    path = starts.file("jwt_secret", f"{key}\n")  # as `echo "$KEY" > file` writes it
    missing = starts.missing("jwt_secret")
    # The three starts run side by side: only the first should serve.
    alone = starts.start("only JWT_SECRET_FILE", {"JWT_SECRET_FILE": str(path)}, without=["JWT_SECRET"])
    both = starts.start("JWT_SECRET and JWT_SECRET_FILE", {"JWT_SECRET": other, "JWT_SECRET_FILE": str(path)})
    absent = starts.start("a missing JWT_SECRET_FILE", {"JWT_SECRET_FILE": str(missing)}, without=["JWT_SECRET"])

    sent = described({"JWT_SECRET_FILE": str(path)}) + " (no JWT_SECRET; the file holds a key and a newline)"
    if not alone.wait_ready(READY_SECONDS):
        status = alone.exited()
        how = f"exited with status {status}" if status is not None else f"did not answer in {READY_SECONDS:g} s"
        raise CheckFailed(
            f"the lab should start with its key in JWT_SECRET_FILE alone, but it {how}",
            Exchange(sent, seen(alone, key, other)),
        )
    token = logged_in(alone, ctx, sent)
    if not signed_with(token, key):
        why = (
            "the file's trailing newline is part of the key it used: strip one"
            if signed_with(token, f"{key}\n")
            else "it is not signed with the key in the file"
        )
        raise CheckFailed(
            f"the access token of a login should be signed (HS256) with the key in JWT_SECRET_FILE: {why}",
            Exchange(f"{sent}; POST /auth/login", f"the access token {token}"),
        )
    expect_unsaid(alone, sent, **keys)

    sent = described({"JWT_SECRET": MASK, "JWT_SECRET_FILE": str(path)})
    status = exit_of(both, sent, (key, other))
    expect(
        status == 2 and naming(both, "JWT_SECRET", "JWT_SECRET_FILE"),
        f"with both JWT_SECRET and JWT_SECRET_FILE set, the lab should stop with exit status 2 and a line naming "
        f"both (which key would it use?); it exited with status {status}",
        Exchange(sent, seen(both, key, other)),
    )
    expect_unsaid(both, sent, **keys)

    sent = described({"JWT_SECRET_FILE": str(missing)}) + " (no such file; no JWT_SECRET)"
    status = exit_of(absent, sent, (key, other))
    expect(
        status == 2 and naming(absent, "JWT_SECRET_FILE"),
        f"with JWT_SECRET_FILE naming a file that is not there, the lab should stop with exit status 2 and a line "
        f"naming JWT_SECRET_FILE; it exited with status {status}",
        Exchange(sent, seen(absent, key, other)),
    )


# --- 2: which settings is it running with ----------------------------------------------------------

INFO = "microlabs_settings_info"
SHOWN = {"broker": "rabbitmq", "database": "memory", "log_format": "text", "log_level": "WARNING"}


def settings_environment() -> Environment:
    """The lab started with settings other than the defaults, and a key and a broker URL the check knows."""
    return Environment(
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
        BROKER="rabbitmq",
        DATABASE_URL="memory://",
        RABBITMQ_URL=os.environ.get("RABBITMQ_URL", RABBITMQ_URL),
        JWT_SECRET=secrets.token_urlsafe(48),
    )


@exercise(
    LAB,
    2,
    title='GET /metrics of the users service has microlabs_settings_info{broker="rabbitmq",database="memory",'
    'log_format="text",log_level="WARNING"} 1 for a lab started with LOG_LEVEL=WARNING and LOG_FORMAT=text '
    "(database: DATABASE_URL's scheme only), and no label value anywhere holds a secret",
    hint="An info metric: one series whose value is always 1 and whose labels say how the process runs. In "
    "metrics.py, a collector of the users service's registry that yields prometheus_client's InfoMetricFamily "
    '("microlabs_settings") with broker, database (postgresql or memory, never the URL), log_format and log_level '
    "(read when Prometheus scrapes: a SIGHUP may change the level); register it in __main__.py with the settings.",
)
@surrounded_by(settings_environment)
def settings_info(ctx: Context, environment: Environment) -> None:
    secret = environment.env["JWT_SECRET"]
    rabbitmq = urlsplit(environment.env["RABBITMQ_URL"])
    started = " ".join(f"{name}={value}" for name, value in environment.env.items() if name != "JWT_SECRET")
    sent = f"{started} JWT_SECRET={MASK} python -m {LAB}; GET /metrics"
    metrics, reply = scrape(ctx)
    series = metrics.get(INFO, {})
    expect(series, f"GET /metrics of the users service has no {INFO}", Exchange(sent, lines_of(reply, INFO)))
    expect(
        len(series) == 1,
        f"{INFO} should be one series (a process runs with one set of settings), not {len(series)}",
        Exchange(sent, lines_of(reply, INFO)),
    )
    [(labels, value)] = series.items()
    found = dict(labels)
    wrong = {name: found.get(name) for name, wanted in SHOWN.items() if found.get(name) != wanted}
    expect(
        not wrong,
        f"{INFO} should carry the labels {SHOWN}; wrong or missing: {wrong}",
        Exchange(sent, lines_of(reply, INFO)),
    )
    expect(value == 1, f"an info metric's value is always 1, not {value:g}", Exchange(sent, lines_of(reply, INFO)))
    urls = {name: label for name, label in found.items() if "://" in label}
    expect(not urls, f"{INFO} should show no URL (a URL may hold a password): {urls}", Exchange(sent, str(found)))
    secrets_ = {"JWT_SECRET": secret} | ({"RABBITMQ_URL's password": rabbitmq.password} if rabbitmq.password else {})
    for sample, every in metrics.items():
        for labels in every:
            for what, hidden in secrets_.items():
                leaked = [name for name, label in labels if hidden in label]
                expect(
                    not leaked,
                    f"the label {leaked[0] if leaked else ''} of {sample} holds {what}: anyone who can read /metrics "
                    "(Prometheus, its dashboards) would read it",
                    Exchange(sent, _hidden(lines_of(reply, sample), hidden)),
                )


# --- 3: give up on a database that does not answer -------------------------------------------------

CONNECT_SECONDS = 2  # DATABASE_CONNECT_SECONDS for the check's start
SLACK_SECONDS = 2.0  # what giving up may take beyond it: closing the socket, stopping the worker, exiting
START_SECONDS = 12.0  # how long the start may take in all before the check calls it hung


@exercise(
    LAB,
    3,
    title="with DATABASE_CONNECT_SECONDS=2 and a PostgreSQL server that accepts the connection but never answers, "
    "the lab gives up within those 2 s of connecting (plus 2 s to stop) with exit status 1 and a line naming "
    "DATABASE_URL, its password masked; DATABASE_CONNECT_SECONDS=0 is refused with exit status 2",
    hint="A setting database_connect_seconds (a whole number of seconds from 1 to 300, default 10) in settings.py "
    "and .env.example; stores.open_store gives it to PostgresStore, whose start passes it to psycopg.connect "
    "(connect_timeout) and to the pool (its connections' connect_timeout, and open(wait=True, timeout=...)).",
)
@surrounded_by(LabStarts)
def database_deadline(ctx: Context, starts: LabStarts) -> None:
    password = secrets.token_urlsafe(12)
    with SilentServer() as database:
        url = f"postgresql://microlabs:{password}@127.0.0.1:{database.port}/microlabs"
        shown = {"DATABASE_URL": url.replace(password, MASK), "DATABASE_CONNECT_SECONDS": str(CONNECT_SECONDS)}
        start = starts.start("a database that never answers", {**shown, "DATABASE_URL": url})
        sent = described(shown) + " (the database accepts the connection and never answers)"
        status = start.wait_exit(START_SECONDS)
        if status is None:
            raise CheckFailed(
                f"the lab was still starting {START_SECONDS:g} s later, waiting for a database that never answers: "
                f"it should give up after DATABASE_CONNECT_SECONDS={CONNECT_SECONDS}",
                Exchange(sent, seen(start, password)),
            )
        connected = database.first_connection
    expect(
        connected is not None,
        f"the lab exited with status {status} before it connected to DATABASE_URL",
        Exchange(sent, seen(start, password)),
    )
    assert connected is not None and start.ended is not None
    waited = start.ended - connected
    expect(
        waited <= CONNECT_SECONDS + SLACK_SECONDS,
        f"the lab gave up {waited:.1f} s after it connected to the database, not within DATABASE_CONNECT_SECONDS="
        f"{CONNECT_SECONDS} (plus {SLACK_SECONDS:g} s)",
        Exchange(sent, seen(start, password)),
    )
    expect(
        status == 1 and naming(start, "DATABASE_URL"),
        f"a lab that cannot reach its database should stop with exit status 1 and a line naming DATABASE_URL; it "
        f"exited with status {status}",
        Exchange(sent, seen(start, password)),
    )
    expect_unsaid(start, sent, **{"the password of DATABASE_URL": password})

    start = starts.start("DATABASE_CONNECT_SECONDS=0", {"DATABASE_CONNECT_SECONDS": "0"})
    sent = described({"DATABASE_CONNECT_SECONDS": "0"})
    status = exit_of(start, sent, ())
    expect(
        status == 2 and naming(start, "DATABASE_CONNECT_SECONDS"),
        "DATABASE_CONNECT_SECONDS=0 (to libpq, no limit at all) should be refused with exit "
        f"status 2 and a line naming DATABASE_CONNECT_SECONDS; it exited with status {status}",
        Exchange(sent, seen(start)),
    )

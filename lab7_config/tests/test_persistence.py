"""Lab 7: with DATABASE_URL naming PostgreSQL, the users and their pending events outlive the process.

The real lab (``python -m lab7_config``) runs on a scratch database of the test's own. The harsh
case is the point: a lab killed with SIGKILL (nothing gets to clean up or flush) and started again
finds every user, every password, and every event its relay had not yet published.
"""

from __future__ import annotations

import secrets
from collections import Counter
from urllib.parse import urlsplit

import psycopg
import requests

from common import harness, tcp_proxy
from common.grader import grade_lab

from ..settings import Settings
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LAB, register_and_login, require_rabbitmq
from .test_pipeline import kill_tree, notified_at

WAIT = 30.0
PASSWORD = "a password that survives"
# Lab 6's requirements: every contract check graded at the lab's addresses (REST, gRPC, WebSocket, the
# notifier, metrics). Lab 7's own checks start the service themselves (test_grader.py).
ADDRESS_CONTRACT = "lab6_monitoring"


def outbox(url: str) -> list[str]:
    """The user ids of the events waiting in the outbox, read from the table itself."""
    with psycopg.connect(url) as connection:
        return [row[0] for row in connection.execute("SELECT data->>'id' FROM outbox ORDER BY position")]


def register(base_url: str, count: int) -> dict[str, str]:
    """Register `count` users with a password over REST; their emails by id."""
    emails = {}
    for i in range(count):
        email = f"kept{i}-{secrets.token_hex(3)}@persistence.example"
        reply = requests.post(f"{base_url}/users", json={"name": f"Kept {i}", "email": email, "password": PASSWORD})
        assert reply.status_code == 201, reply.text
        emails[reply.json()["id"]] = email
    return emails


def test_users_and_unpublished_events_survive_a_kill_and_are_delivered_after_the_restart(database_url):
    require_rabbitmq(Settings())
    nowhere = f"amqp://guest:guest@127.0.0.1:{harness.free_port()}/%2F"  # no broker: events stay in the outbox
    env = {"ADMIN_EMAIL": ADMIN_EMAIL, "DATABASE_URL": database_url, "SERVICES": "users", "RABBITMQ_URL": nowhere}
    first = harness.start(LAB, env)
    try:
        register_and_login(first.http_url, ADMIN_EMAIL, ADMIN_PASSWORD, "Admin")
        emails = register(first.http_url, 3)
        assert sorted(outbox(database_url)) == sorted(["1", *emails]), "committed with the users, not published"
        kill_tree(first)  # SIGKILL: the worker and the master get no chance to do anything
    finally:
        first.stop()  # the harness's clean-up: the process is already gone

    # Names of its own on the machine's RabbitMQ (BROKER_PREFIX), deleted by the harness when it stops.
    second = harness.start(LAB, {"ADMIN_EMAIL": ADMIN_EMAIL, "DATABASE_URL": database_url})
    try:
        token = register_and_login(second.http_url, ADMIN_EMAIL, ADMIN_PASSWORD)  # the old admin, the old password
        listed = requests.get(f"{second.http_url}/users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert {user["id"]: user["email"] for user in listed.json()} == {"1": ADMIN_EMAIL, **emails}
        for email in emails.values():
            login = requests.post(f"{second.http_url}/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
        counts = notified_at(f"http://{second.host}:{second.env['NOTIFIER_HTTP_PORT']}", len(emails) + 1)
        assert counts == Counter(["1", *emails]), "every event pending at the kill is delivered once"
        assert harness.eventually(lambda: outbox(database_url) == [], WAIT), outbox(database_url)
        assert second.stop() == 0
    finally:
        second.stop()


def test_an_unreachable_database_stops_the_start_naming_database_url_without_its_password():
    url = f"postgresql://ada:pg-secret-word@127.0.0.1:{harness.free_port()}/users"  # nothing listens there
    ports = {name: str(harness.free_port()) for name in ("HTTP_PORT", "GRPC_PORT")}
    result = harness.run_to_exit(LAB, {"JWT_SECRET": "s" * 32, "SERVICES": "users", "DATABASE_URL": url, **ports})
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{LAB}: DATABASE_URL=postgresql://ada:****@127.0.0.1:"), line
    assert "pg-secret-word" not in result.stderr + result.stdout


def test_the_contract_holds_on_postgresql(database_url, lab_env):
    """The course's contract checks (the grader's) at a lab whose users live in PostgreSQL."""
    with harness.running(LAB, {**lab_env, "DATABASE_URL": database_url}) as lab:
        notifier_url = f"http://{lab.host}:{lab.env['NOTIFIER_HTTP_PORT']}"
        run = grade_lab(ADDRESS_CONTRACT, rest_url=lab.http_url, grpc_target=lab.grpc_target, notifier_url=notifier_url)
    lost = "\n".join(f"{r.status} {r.id}: {r.message}" for r in run.results if not r.passed)
    assert run.lost() == set(), lost
    assert run.core.percent == run.extras.percent == 100.0


def test_a_database_that_goes_away_is_503_and_nothing_is_lost_once_it_is_back(database_url):
    """The database behind a proxy the test cuts: requests are refused 503 with Retry-After (not a 500
    quoting the driver), /metrics still answers, and once the database is back the relay, which lived
    through it, publishes what was recorded before."""
    require_rabbitmq(Settings())
    address = urlsplit(database_url)
    with tcp_proxy.proxy_to(address.hostname or "127.0.0.1", address.port or 5432) as proxy:
        through = address._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        with harness.running(LAB, {"DATABASE_URL": through, "SERVICES": "users"}) as lab:
            register(lab.http_url, 1)
            proxy.cut()
            refused = requests.post(f"{lab.http_url}/users", json=fresh_user(), timeout=30)
            assert refused.status_code == 503 and refused.headers["Retry-After"], refused.text
            assert refused.headers["Content-Type"] == "application/problem+json"
            assert "database is unavailable" in refused.json()["detail"] and "psycopg" not in refused.text
            assert requests.get(f"{lab.http_url}/metrics", timeout=30).status_code == 200
            proxy.restore()
            assert harness.eventually(lambda: registers(lab.http_url), WAIT), "registrations work again"
            assert harness.eventually(lambda: outbox(database_url) == [], WAIT), "the relay publishes again"


def registers(base_url: str) -> bool:
    return requests.post(f"{base_url}/users", json=fresh_user(), timeout=30).ok


def fresh_user() -> dict[str, str]:
    return {"name": "Back", "email": f"back-{secrets.token_hex(3)}@example.com"}

"""The store under concurrent requests: no lost update, no duplicate email, no server error.

Waitress serves requests on several threads at once; these tests fire many requests together
(released by one barrier) at the real HTTP port and check what the store ends up holding.

Lab 7: each test runs twice: on the shared lab's in-memory store, then on a lab's PostgreSQL store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import requests

from common.grading import unique_email

from .conftest import ADMIN

THREADS = 16


@pytest.fixture(scope="module", params=["memory", "postgresql"])
def rest_url(request: pytest.FixtureRequest) -> str:
    """Lab 7: the shared lab's address, or that of the lab that keeps its users in PostgreSQL."""
    return request.getfixturevalue("shared_lab" if request.param == "memory" else "postgres_lab").http_url


def all_at_once(task: Callable[[requests.Session, int], requests.Response], count: int) -> list[int]:
    """Run task(session, i) for i in range(count) on THREADS threads released together; return the statuses."""
    start = Barrier(min(count, THREADS))

    def run(i: int) -> int:
        with requests.Session() as http:
            http.auth = ADMIN  # lab 3: every call but registration needs a token
            if i < THREADS:
                start.wait(10)
            return task(http, i).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(count)))


def test_racing_registrations_of_one_email_let_exactly_one_win(rest_url):
    email = unique_email("race")
    statuses = all_at_once(
        lambda http, i: http.post(f"{rest_url}/users", json={"name": f"Racer {i}", "email": email}), 64
    )
    assert Counter(statuses) == {201: 1, 409: 63}
    everyone = requests.get(f"{rest_url}/users", auth=ADMIN).json()
    assert [user["email"] for user in everyone].count(email) == 1


def test_many_concurrent_creates_are_all_kept_with_distinct_ids(rest_url):
    emails = [unique_email("bulk") for _ in range(200)]
    statuses = all_at_once(
        lambda http, i: http.post(f"{rest_url}/users", json={"name": f"Bulk {i}", "email": emails[i]}), 200
    )
    assert Counter(statuses) == {201: 200}
    stored = [user for user in requests.get(f"{rest_url}/users", auth=ADMIN).json() if user["email"] in emails]
    assert len(stored) == 200
    assert len({user["id"] for user in stored}) == 200


def test_concurrent_updates_of_one_user_leave_one_whole_winner(rest_url):
    user = requests.post(f"{rest_url}/users", json={"name": "Target", "email": unique_email()}).json()
    emails = [unique_email("upd") for _ in range(100)]
    statuses = all_at_once(
        lambda http, i: http.put(f"{rest_url}/users/{user['id']}", json={"name": f"N{i}", "email": emails[i]}),
        100,
    )
    assert Counter(statuses) == {200: 100}
    final = requests.get(f"{rest_url}/users/{user['id']}", auth=ADMIN).json()
    winner = emails.index(final["email"])
    assert final["name"] == f"N{winner}", "name and email come from different updates: a torn write"
    # Every email the user held before is free again; only the final one is still taken.
    for i, email in enumerate([*emails[:10], final["email"]]):
        response = requests.post(f"{rest_url}/users", json={"name": f"Reuse {i}", "email": email})
        assert response.status_code == (409 if email == final["email"] else 201), email


def test_concurrent_deletes_of_one_user_succeed_once(rest_url):
    user = requests.post(f"{rest_url}/users", json={"name": "Doomed", "email": unique_email()}).json()
    statuses = all_at_once(lambda http, i: http.delete(f"{rest_url}/users/{user['id']}"), 32)
    assert Counter(statuses) == {204: 1, 404: 31}


def test_mixed_traffic_never_gets_a_server_error(rest_url):
    def mixed(http: requests.Session, i: int) -> requests.Response:
        created = http.post(f"{rest_url}/users", json={"name": f"Mixed {i}", "email": unique_email()})
        user_id = created.json()["id"]
        step = i % 4
        if step == 0:
            return http.get(f"{rest_url}/users", params={"limit": 50})
        if step == 1:
            return http.put(f"{rest_url}/users/{user_id}", json={"name": "M", "email": unique_email()})
        if step == 2:
            return http.delete(f"{rest_url}/users/{user_id}")
        return http.get(f"{rest_url}/users/{user_id}")

    statuses = all_at_once(mixed, 400)
    assert all(status < 500 for status in statuses), Counter(statuses)
    assert set(statuses) <= {200, 204}, Counter(statuses)

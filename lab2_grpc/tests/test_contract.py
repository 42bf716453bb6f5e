"""The REST contract (../shared CONTRACT.md, "REST"), checked through a real HTTP port.

Every test goes through the `rest_url` fixture only, so this file grades any implementation:
``pytest lab2_grpc/tests/test_contract.py --rest-url http://127.0.0.1:8000``.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from common.grading import assert_problem, unique_email

JSON = {"Content-Type": "application/json"}


def create(http: requests.Session, url: str, name: str = "Ada Lovelace", email: str | None = None) -> dict:
    response = http.post(f"{url}/users", json={"name": name, "email": email or unique_email()})
    assert response.status_code == 201, response.text
    return response.json()


# --- the happy path ---------------------------------------------------------------------------


def test_health_answers_200(http, rest_url):
    assert http.get(f"{rest_url}/healthz").status_code == 200


def test_create_returns_201_the_user_and_its_location(http, rest_url):
    email = unique_email("ada")
    response = http.post(f"{rest_url}/users", json={"name": "Ada Lovelace", "email": email})
    assert response.status_code == 201
    user = response.json()
    assert isinstance(user["id"], str) and user["id"]
    assert (user["name"], user["email"]) == ("Ada Lovelace", email)
    datetime.fromisoformat(user["created_at"])
    datetime.fromisoformat(user["updated_at"])
    assert response.headers["Location"].endswith(f"/users/{user['id']}")
    assert http.get(f"{rest_url}{response.headers['Location'].removeprefix(rest_url)}").json() == user


def test_get_returns_the_stored_user(http, rest_url):
    user = create(http, rest_url)
    response = http.get(f"{rest_url}/users/{user['id']}")
    assert response.status_code == 200
    assert response.json() == user


def test_list_returns_all_users_oldest_first(http, rest_url):
    made = [create(http, rest_url, name=f"User {i}") for i in range(3)]
    response = http.get(f"{rest_url}/users")
    assert response.status_code == 200
    ids = [user["id"] for user in response.json()]
    positions = [ids.index(user["id"]) for user in made]
    assert positions == sorted(positions)


def test_list_pages_with_limit_and_offset(http, rest_url):
    for i in range(3):
        create(http, rest_url, name=f"Paged {i}")
    everyone = http.get(f"{rest_url}/users").json()
    page = http.get(f"{rest_url}/users", params={"limit": 2, "offset": 1})
    assert page.status_code == 200
    assert page.json() == everyone[1:3]


def test_update_replaces_name_and_email(http, rest_url):
    user = create(http, rest_url)
    new_email = unique_email("renamed")
    response = http.put(f"{rest_url}/users/{user['id']}", json={"name": "Ada King", "email": new_email})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["id"], updated["name"], updated["email"]) == (user["id"], "Ada King", new_email)
    assert updated["created_at"] == user["created_at"]
    assert updated["updated_at"] >= user["updated_at"]
    assert http.get(f"{rest_url}/users/{user['id']}").json() == updated


def test_update_may_keep_the_same_email(http, rest_url):
    user = create(http, rest_url)
    response = http.put(f"{rest_url}/users/{user['id']}", json={"name": "Same Email", "email": user["email"]})
    assert response.status_code == 200


def test_delete_returns_204_and_the_user_is_gone(http, rest_url):
    user = create(http, rest_url)
    response = http.delete(f"{rest_url}/users/{user['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(http.get(f"{rest_url}/users/{user['id']}"), 404)
    assert user["id"] not in [u["id"] for u in http.get(f"{rest_url}/users").json()]


def test_a_deleted_users_email_can_register_again(http, rest_url):
    user = create(http, rest_url)
    http.delete(f"{rest_url}/users/{user['id']}")
    assert create(http, rest_url, email=user["email"])["id"] != user["id"]


# --- unknown ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_id_is_404(http, rest_url, method):
    body = {"name": "Nobody", "email": unique_email()} if method == "PUT" else None
    assert_problem(http.request(method, f"{rest_url}/users/no-such-user", json=body), 404)


# --- bad input: nothing is stored, and the answer names the field -------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.com"}, "name"),
        ({"name": "No Email"}, "email"),
        ({"name": "", "email": "x@example.com"}, "name"),
        ({"name": "   ", "email": "x@example.com"}, "name"),
        ({"name": "x" * 101, "email": "x@example.com"}, "name"),
        ({"name": 42, "email": "x@example.com"}, "name"),
        ({"name": "Bad Email", "email": "not-an-email"}, "email"),
        ({"name": "Bad Email", "email": "a@b"}, "email"),
        ({"name": "Bad Email", "email": ["x@example.com"]}, "email"),
        ({"name": "Long Email", "email": "x" * 250 + "@example.com"}, "email"),
    ],
)
def test_invalid_field_is_422_naming_it_and_stores_nothing(http, rest_url, body, field):
    before = len(http.get(f"{rest_url}/users").json())
    assert_problem(http.post(f"{rest_url}/users", json=body), 422, field)
    assert len(http.get(f"{rest_url}/users").json()) == before


def test_invalid_update_is_422_and_keeps_the_user(http, rest_url):
    user = create(http, rest_url)
    response = http.put(f"{rest_url}/users/{user['id']}", json={"name": "Ok", "email": "broken"})
    assert_problem(response, 422, "email")
    assert http.get(f"{rest_url}/users/{user['id']}").json() == user


def test_every_bad_field_is_named_at_once(http, rest_url):
    problem = assert_problem(http.post(f"{rest_url}/users", json={"name": "", "email": "nope"}), 422)
    assert {error["field"] for error in problem["errors"]} >= {"name", "email"}


@pytest.mark.parametrize("body", [b"{not json", b'{"name": "Ada", ', b"", b"\xff\xfe\xfa"])
def test_malformed_json_is_400(http, rest_url, body):
    assert_problem(http.post(f"{rest_url}/users", data=body, headers=JSON), 400)


@pytest.mark.parametrize("body", [b"[]", b'"Ada"', b"null", b"42"])
def test_json_that_is_not_an_object_is_rejected(http, rest_url, body):
    response = http.post(f"{rest_url}/users", data=body, headers=JSON)
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


def test_body_over_the_limit_is_413(http, rest_url):
    body = {"name": "Big", "email": unique_email(), "padding": "x" * 200_000}
    assert_problem(http.post(f"{rest_url}/users", json=body), 413)


def test_email_taken_is_409_case_insensitively(http, rest_url):
    email = unique_email("grace")
    create(http, rest_url, email=email)
    assert_problem(http.post(f"{rest_url}/users", json={"name": "Copy", "email": email.upper()}), 409, "email")


def test_update_to_a_taken_email_is_409_and_keeps_both(http, rest_url):
    first, second = create(http, rest_url), create(http, rest_url)
    response = http.put(f"{rest_url}/users/{second['id']}", json={"name": "Thief", "email": first["email"]})
    assert_problem(response, 409, "email")
    assert http.get(f"{rest_url}/users/{second['id']}").json() == second


@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", "offset=1.5", "offset=-3"])
def test_bad_paging_parameter_is_422_naming_it(http, rest_url, query):
    assert_problem(http.get(f"{rest_url}/users?{query}"), 422, query.split("=")[0])

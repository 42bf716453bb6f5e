"""The REST API's own behaviour beyond the shared contract: media types, methods, text rules, the schema."""

from __future__ import annotations

import pytest

from common.grading import assert_problem, unique_email

from ..domain import FORBIDDEN_CHARACTER, VISIBLE_CHARACTER


def test_body_not_declared_as_json_is_415(http, rest_url):
    response = http.post(f"{rest_url}/users", data='{"name": "Ada", "email": "ada@example.com"}')
    assert_problem(response, 415)


def test_unknown_field_is_422_naming_it(http, rest_url):
    body = {"name": "Ada", "email": unique_email(), "role": "admin"}
    assert_problem(http.post(f"{rest_url}/users", json=body), 422, "role")


def test_wrong_method_is_405_with_allow_header(http, rest_url):
    response = http.patch(f"{rest_url}/users")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_unknown_path_is_a_404_problem(http, rest_url):
    assert_problem(http.get(f"{rest_url}/nowhere"), 404)


@pytest.mark.parametrize(
    ("character", "why"),
    [
        ("\u0085", "a C1 control (next line)"),
        ("\u009b", "a C1 control (control sequence introducer)"),
        ("\u2028", "the line separator"),
        ("\u2029", "the paragraph separator"),
        ("\u202e", "a bidirectional override"),
        ("\u2067", "a bidirectional isolate"),
    ],
    ids=lambda value: value if " " in value else f"U+{ord(value):04X}",
)
def test_a_name_with_a_forbidden_character_is_422(http, rest_url, character, why):
    body = {"name": f"Ada{character}Lovelace", "email": unique_email()}
    assert_problem(http.post(f"{rest_url}/users", json=body), 422, "name")


@pytest.mark.parametrize(
    "blank",
    ["\u00a0\u00a0", "\u3000", "\u200b\u200b", " \u2060 ", "\ufeff", "\u202f"],
    ids=["no-break spaces", "ideographic space", "zero-width spaces", "word joiner", "byte-order mark", "narrow NBSP"],
)
def test_a_name_of_only_spaces_or_invisible_characters_is_422(http, rest_url, blank):
    body = {"name": blank, "email": unique_email()}
    assert_problem(http.post(f"{rest_url}/users", json=body), 422, "name")


def test_names_in_any_script_are_accepted(http, rest_url):
    for name in ["Ада Лавлейс", "艾达", "עדה", "Ada\u00a0Lovelace"]:
        response = http.post(f"{rest_url}/users", json={"name": name, "email": unique_email()})
        assert response.status_code == 201, (name, response.text)


def test_the_published_schema_states_the_same_text_rules(http, rest_url):
    schemas = http.get(f"{rest_url}/openapi.json").json()["components"]["schemas"]
    name = schemas["UserFields"]["properties"]["name"]
    assert name["pattern"] == VISIBLE_CHARACTER
    assert name["not"] == {"pattern": FORBIDDEN_CHARACTER}
    assert schemas["UserFields"]["properties"]["email"]["not"] == {"pattern": FORBIDDEN_CHARACTER}

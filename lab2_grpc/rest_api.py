"""The REST API: routes that translate HTTP to calls on the user store and back."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .domain import FieldError, InvalidInput, parse_user_fields
from .rest_errors import register_error_handlers
from .rest_openapi import openapi_document
from .settings import Settings
from .store import UserStore

MAX_PAGE_PARAMETER = 1_000_000_000
# Longer numbers are refused while parsing: converting thousands of digits costs time, and no
# field of a user is a number that long.
MAX_NUMBER_DIGITS = 100

users = Blueprint("users", __name__)


def create_app(store: UserStore | None = None, settings: Settings | None = None) -> Flask:
    """Build the Flask app around one store; tests pass their own, the server a fresh one."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = (settings or Settings()).max_body_bytes
    app.extensions["user_store"] = store if store is not None else UserStore()
    app.register_blueprint(users)
    register_error_handlers(app)
    return app


def _store() -> UserStore:
    return current_app.extensions["user_store"]


@users.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@users.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@users.post("/users")
def create_user() -> tuple[Response, int, dict[str, str]]:
    user = _store().create(parse_user_fields(_json_body()))
    return jsonify(user.to_dict()), 201, {"Location": url_for(".get_user", user_id=user.id)}


@users.get("/users")
def list_users() -> Response:
    limit, offset = _page_parameters()
    return jsonify([user.to_dict() for user in _store().list(limit, offset)])


@users.get("/users/<user_id>")
def get_user(user_id: str) -> Response:
    return jsonify(_store().get(user_id).to_dict())


@users.put("/users/<user_id>")
def update_user(user_id: str) -> Response:
    fields = parse_user_fields(_json_body())
    return jsonify(_store().update(user_id, fields).to_dict())


@users.delete("/users/<user_id>")
def delete_user(user_id: str) -> Response:
    _store().delete(user_id)
    response = Response(status=204)
    del response.headers["Content-Type"]  # a 204 has no body, so nothing to describe
    return response


def _json_body() -> object:
    """The request body as JSON: 415 if it is not declared JSON, 400 if it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")
    raw = request.get_data(cache=False)  # raises 413 when Content-Length is past MAX_CONTENT_LENGTH
    if request.content_length is None and len(raw) >= current_app.config["MAX_CONTENT_LENGTH"]:
        request.stream.read(1)  # a chunked body stops at the limit: reading past it raises 413
    try:
        return json.loads(raw, parse_constant=_reject_constant, parse_int=_bounded_int)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("the body is not valid JSON: it is nested too deeply") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _page_parameters() -> tuple[int | None, int]:
    errors: list[FieldError] = []
    limit = _non_negative_int("limit", errors)
    offset = _non_negative_int("offset", errors)
    if errors:
        raise InvalidInput(errors)
    return limit, offset or 0


def _non_negative_int(name: str, errors: list[FieldError]) -> int | None:
    values = request.args.getlist(name)
    if not values:
        return None
    digits = values[0].lstrip("0") or "0"
    if len(values) > 1 or not values[0] or not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
        errors.append(FieldError(name, f"must be given once, as a whole number from 0 to {MAX_PAGE_PARAMETER}"))
        return None
    if int(digits) > MAX_PAGE_PARAMETER:
        errors.append(FieldError(name, f"must be at most {MAX_PAGE_PARAMETER}"))
        return None
    return int(digits)

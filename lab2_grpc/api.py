"""The REST API: routes that translate HTTP to calls on the user store and back."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .domain import FieldError, InvalidInput, parse_user_fields
from .openapi import openapi_document
from .problems import register_error_handlers
from .store import UserStore

MAX_BODY_BYTES = 64 * 1024
MAX_PAGE_PARAMETER = 1_000_000_000

users = Blueprint("users", __name__)


def create_app(store: UserStore | None = None) -> Flask:
    """Build the Flask app around one store; tests pass their own, the server a fresh one."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
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
def delete_user(user_id: str) -> tuple[str, int]:
    _store().delete(user_id)
    return "", 204


def _json_body() -> object:
    """The request body as JSON: 415 if it is not declared JSON, 400 if it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")
    raw = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


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

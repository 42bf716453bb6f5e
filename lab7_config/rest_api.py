"""The REST API: routes that translate HTTP to calls on the user store and back.

Each route names its request models as parameters (`body`, `query`, `path`); flask-openapi3
validates the request with them before the route runs and writes them into the OpenAPI document
at /openapi.json, which the interactive page at /docs/swagger reads. rest_openapi.py declares
the responses.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from flask import Flask, Request, Response, current_app, jsonify, redirect, request, url_for
from flask_openapi3 import APIBlueprint, Info, Tag
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from . import metrics, rest_auth, rest_observe
from .auth import Auth
from .domain import Credentials, FieldError, InvalidInput, Registration, UserFields, UserNotFound, field_error
from .rest_errors import domain_problem, register_error_handlers
from .rest_openapi import CREATED, SECURED, TOKEN, USERS, DocumentedApp, Health, Problem, User, problems
from .settings import Settings
from .store import Store, UserStore

MAX_PAGE_PARAMETER = 1_000_000_000
PAGE_RULE = f"must be a whole number from 0 to {MAX_PAGE_PARAMETER}"
# Longer numbers are refused while parsing: converting thousands of digits costs time, and no
# field of a user is a number that long.
MAX_NUMBER_DIGITS = 100


def _whole_number(value: object) -> object:
    """A query value is text: only plain digits count as a whole number here, not ' 5', '+5', '5.0' or '1_0'."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value.lstrip("0")) <= 10:
        return int(value)
    return value  # the strict integer check refuses it


PageNumber = Annotated[int, Field(ge=0, le=MAX_PAGE_PARAMETER), BeforeValidator(_whole_number)]


class Page(BaseModel):
    """Which part of the list GET /users returns."""

    model_config = ConfigDict(strict=True)

    limit: PageNumber = Field(MAX_PAGE_PARAMETER, description="At most this many users (by default, all of them).")
    offset: PageNumber = Field(0, description="Skip this many users first.")


class UserPath(BaseModel):
    user_id: str = Field(min_length=1, description="The id the service gave the user.")


class JSONRequest(Request):
    """Flask's request, reading a JSON body the same strict way whoever asks for it.

    flask-openapi3 asks for the body with get_json(silent=True), which turns a body that is not
    JSON into None, and so into a 422. Here the answer does not depend on how it is asked: 415 when
    the body is not declared JSON, 413 past the size limit, 400 when it does not parse.
    """

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not self.is_json:
            raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")
        raw = self.get_data(cache=False)  # raises 413 when Content-Length is past MAX_CONTENT_LENGTH
        if self.content_length is None and len(raw) >= current_app.config["MAX_CONTENT_LENGTH"]:
            self.stream.read(1)  # a chunked body stops at the limit: reading past it raises 413
        value = _parse_json(raw)
        if isinstance(value, str):  # flask-openapi3 would parse a JSON string as a second document
            raise InvalidInput([FieldError("body", "must be a JSON object")])
        return value


def _parse_json(raw: bytes) -> Any:
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


def _refused(exc: ValidationError) -> Response:
    """flask-openapi3 calls this when a request does not fit a route's model: a 422 naming each bad field."""
    if exc.title == Page.__name__:
        errors = [FieldError(str(error["loc"][0]), PAGE_RULE) for error in exc.errors()]
    else:
        errors = [field_error(error) for error in exc.errors()]
    return domain_problem(InvalidInput(errors))


users = APIBlueprint("users", __name__, abp_tags=[Tag(name="users")])


def create_app(
    store: Store | None = None,
    settings: Settings | None = None,
    auth: Auth | None = None,
    registry: CollectorRegistry | None = None,
) -> Flask:
    """Build the app around one store and its authority (lab 3); the server passes the ones gRPC shares.

    Lab 6: `registry` holds the process's metrics, which GET /metrics serves (by default, a registry of its own).
    """
    app = DocumentedApp(
        __name__,
        info=Info(title="Users", version="1.0.0"),
        doc_prefix="/docs",  # the document at /docs/openapi.json, the Swagger UI page at /docs/swagger
        validation_error_model=Problem,  # the body of a 422, and of every error in the document
        validation_error_callback=_refused,
    )
    # Lab 6: observed first, so that a request the hooks below refuse (a 401) is measured and logged too.
    metrics.install(app, registry if registry is not None else metrics.registry())
    rest_observe.install(app)
    app.request_class = JSONRequest
    app.config["MAX_CONTENT_LENGTH"] = (settings or Settings()).max_body_bytes
    app.extensions["user_store"] = store if store is not None else UserStore()
    rest_auth.install(app, auth if auth is not None else Auth(app.extensions["user_store"], settings or Settings()))
    app.register_api(users)
    register_error_handlers(app)
    return app


def _store() -> Store:
    return current_app.extensions["user_store"]


@users.get("/docs", doc_ui=False)
def docs() -> Response:
    """The interactive documentation (Swagger UI), where a student can try every call (lab 4: `/` is the chat page)."""
    return redirect(url_for("swagger.swagger"))


@users.get("/openapi.json", doc_ui=False)
def openapi() -> dict[str, Any]:
    """The document at the address clients and tests know it by (also served at /docs/openapi.json)."""
    return current_app.api_doc


@users.get("/healthz", operation_id="health", responses={200: Health})
def healthz() -> Response:
    """Readiness: 200 once the service can serve."""
    return jsonify(status="ok")


@users.post("/users", operation_id="createUser", responses=CREATED | problems(400, 409, 413, 415, 422))
def create_user(body: Registration) -> tuple[Response, int, dict[str, str]]:
    """Register a user (public); with a password, the user can log in."""
    # >>> lab 1 · create_user: store the validated body; answer 201, the user as JSON, and its Location
    user = rest_auth.auth().register(body)
    return jsonify(user.to_dict()), 201, {"Location": url_for(".get_user", user_id=user.id)}
    # <<< lab 1


@users.post("/auth/login", operation_id="login", responses=TOKEN | problems(400, 401, 413, 415, 422, 429))
def login(body: Credentials) -> Response:
    """Log in (public): exchange an email and a password for an access token."""
    # >>> lab 3 · login: check the credentials; answer the token, its type ("Bearer") and its lifetime in seconds
    token, expires_in = rest_auth.auth().login(body.email, body.password)
    response = jsonify(access_token=token, token_type="Bearer", expires_in=expires_in)
    response.headers["Cache-Control"] = "no-store"  # RFC 6749, 5.1: a token must not be cached
    return response
    # <<< lab 3


@users.get("/users", operation_id="listUsers", responses=USERS | problems(422) | SECURED, security=[{"bearer": []}])
def list_users(query: Page) -> Response:
    """All users, oldest first."""
    _refuse_repeated_page_parameters()
    # >>> lab 1 · list_users: answer the page of users (query.limit, query.offset) as a JSON array
    return jsonify([user.to_dict() for user in _store().list(query.limit, query.offset)])
    # <<< lab 1


@users.get(
    "/users/<user_id>",
    operation_id="getUser",
    responses={200: User} | problems(404) | SECURED,
    security=[{"bearer": []}],
)
def get_user(path: UserPath) -> Response:
    """One user."""
    # >>> lab 1 · get_user: answer the user with this id as JSON (the store raises UserNotFound: 404)
    return jsonify(_store().get(path.user_id).to_dict())
    # <<< lab 1


@users.put(
    "/users/<user_id>",
    operation_id="updateUser",
    responses={200: User} | problems(400, 403, 404, 409, 413, 415, 422) | SECURED,
    security=[{"bearer": []}],
)
def update_user(path: UserPath, body: UserFields) -> Response:
    """Replace a user's name and email."""
    _may_change(path.user_id)
    # >>> lab 1 · update_user: replace the user's name and email with the body's; answer the user as JSON
    return jsonify(_store().update(path.user_id, body).to_dict())
    # <<< lab 1


@users.delete(
    "/users/<user_id>",
    operation_id="deleteUser",
    responses={204: None} | problems(403, 404) | SECURED,
    security=[{"bearer": []}],
)
def delete_user(path: UserPath) -> Response:
    """Delete a user."""
    _may_change(path.user_id)
    # >>> lab 1 · delete_user: delete the user; answer 204 with no body (and so no Content-Type)
    _store().delete(path.user_id)
    response = Response(status=204)
    del response.headers["Content-Type"]  # a 204 has no body, so nothing to describe
    return response
    # <<< lab 1


def _may_change(user_id: str) -> None:
    """Lab 3: 404 for no such user, then 403 unless it is the caller's own record (or the caller is an admin)."""
    if not _store().exists(user_id):
        raise UserNotFound(user_id)
    rest_auth.auth().may_change(rest_auth.caller(), user_id)


def _refuse_repeated_page_parameters() -> None:
    """flask-openapi3 validates the first of repeated parameters; `?limit=5&limit=x` is refused here."""
    repeated = [name for name in Page.model_fields if len(request.args.getlist(name)) > 1]
    if repeated:
        raise InvalidInput([FieldError(name, "must be given once") for name in repeated])

"""The REST side of authentication: every route but the public ones needs ``Authorization: Bearer <token>``.

Flask runs `require_token` before each request. It lets the public endpoints through
(registration, login, health, the documentation) and requests that match no route (so a
wrong path is still a 404 and a wrong method a 405); for the others it asks auth.py who the
caller is and keeps the answer in ``flask.g`` for the route. A refusal is a problem+json 401
with a ``WWW-Authenticate`` header (RFC 6750), from rest_errors.py.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from .auth import Auth
from .tokens import Identity

# Endpoints (blueprint.function) anyone may call; everything else of the API needs a token.
PUBLIC_ENDPOINTS = frozenset({"users.docs", "users.openapi", "users.healthz", "users.create_user", "users.login"})
API_BLUEPRINT = "users"


def auth() -> Auth:
    return current_app.extensions["auth"]


def caller() -> Identity:
    """The identity `require_token` found for this request."""
    return g.caller


def require_token() -> None:
    """Identify the caller of a protected endpoint; NotAuthenticated (401) without a valid token."""
    if request.url_rule is None or request.blueprint != API_BLUEPRINT or request.endpoint in PUBLIC_ENDPOINTS:
        return
    # >>> lab 3 · require_token: identify the caller from the Authorization header and keep it in flask.g
    g.caller = auth().identify(request.headers.get("Authorization"))
    # <<< lab 3


def install(app: Flask, authority: Auth) -> None:
    app.extensions["auth"] = authority
    app.before_request(require_token)

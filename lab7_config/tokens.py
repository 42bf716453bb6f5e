"""Access tokens: JSON Web Tokens (RFC 7519) signed with HS256, issued at login and checked on every call.

A JWT is three base64url parts, ``header.payload.signature``. The payload is *signed, not
encrypted*: anyone holding a token can read it (``python -m lab7_config.tokens inspect TOKEN``), but
nobody without JWT_SECRET can change it or make a new one. So it carries who the caller is and
until when, never a secret.

Checking one, every rule is explicit:

- the algorithm is pinned (``algorithms=["HS256"]``): the header's ``alg`` is chosen by whoever
  made the token, so trusting it lets an attacker pick ``none`` (no signature) or RS256 with our
  secret posing as a public key;
- ``sub``, ``exp``, ``iat``, ``nbf``, ``iss``, ``aud`` and ``jti`` must all be present, and
  ``iss``/``aud`` must be ours, so a token minted for another service does not open this one;
- a small leeway (LEEWAY_SECONDS) forgives clocks that disagree by a few seconds.

As a teaching tool::

    python -m lab7_config.tokens issue --sub 1 [--role admin] [--ttl 60]   # needs JWT_SECRET
    python -m lab7_config.tokens inspect TOKEN                              # decodes; verifies if JWT_SECRET is set
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from .settings import SettingsError, read

ALGORITHM = "HS256"
ISSUER = "microlabs-users"
AUDIENCE = "microlabs-users-api"
LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = ("sub", "exp", "iat", "nbf", "iss", "aud", "jti")
ROLES = ("user", "admin")
MIN_SECRET_BYTES = 32


class TokenError(ValueError):
    """The token is not one this service accepts; the message says why, without quoting the token."""


@dataclass(frozen=True)
class Identity:
    """Who is calling, as a verified token says."""

    user_id: str
    role: str
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "the token has expired: log in again"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf or iat in the future)"),
    (jwt.InvalidAlgorithmError, f"the token is not signed with {ALGORITHM}, the only algorithm accepted"),
    (jwt.InvalidSignatureError, "the token's signature does not match: it was changed or signed with another key"),
    (jwt.InvalidAudienceError, "the token is meant for another audience (aud)"),
    (jwt.InvalidIssuerError, "the token was issued by someone else (iss)"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.DecodeError, "the token is malformed: not a signed JWT"),
]


def _reason(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token lacks the required claim {exc.claim!r}"
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "the token is not valid"


class Tokens:
    """Issues and verifies the service's access tokens with one secret."""

    def __init__(self, secret: str, ttl_seconds: int = 900, clock: Callable[[], float] = time.time) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the signing key must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def issue(self, user_id: str, role: str = "user", ttl_seconds: int | None = None) -> str:
        """A signed token for this user, valid from now for the lifetime."""
        now = int(self._clock())
        claims = {
            "sub": user_id,
            "role": role,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + (self.ttl_seconds if ttl_seconds is None else ttl_seconds),
            "jti": uuid.uuid4().hex,  # this token's own id: what a deny list of revoked tokens would hold
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Identity:
        """The identity in a valid token; TokenError saying why otherwise."""
        # >>> lab 3 · Tokens.verify: decode with the algorithm pinned, every claim required, our iss and aud, a leeway
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS), "verify_sub": True, "verify_jti": True},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(_reason(exc)) from None
        role = claims.get("role", "user")
        if role not in ROLES:
            raise TokenError("the token's role is not one this service knows")
        return Identity(claims["sub"], role, claims["jti"])
        # <<< lab 3


def _part(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def inspect(token: str) -> tuple[object, object]:
    """The header and payload of a token, decoded WITHOUT checking anything: what anyone can read."""
    try:
        header, payload, _signature = token.split(".")
        return _part(header), _part(payload)
    except ValueError as exc:
        raise TokenError("the token is malformed: not three base64url parts of JSON") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}.tokens", description="Issue and inspect tokens.")
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="issue a token signed with JWT_SECRET")
    issue.add_argument("--sub", required=True, help="the user id the token speaks for")
    issue.add_argument("--role", choices=ROLES, default="user")
    issue.add_argument("--ttl", type=int, default=900, help="seconds until it expires (negative: already expired)")
    commands.add_parser("inspect", help="decode a token; verify it too if JWT_SECRET is set").add_argument("token")
    args = parser.parse_args(argv)
    try:
        secret = read().values.get("JWT_SECRET", "")  # lab 7: from the environment, or else the .env file
    except SettingsError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    if args.command == "issue":
        if len(secret.encode()) < MIN_SECRET_BYTES:
            print(f"JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes to sign a token", file=sys.stderr)
            return 2
        print(Tokens(secret).issue(args.sub, args.role, args.ttl))
        return 0
    try:
        header, payload = inspect(args.token)
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("header: " + json.dumps(header, sort_keys=True))
    print("payload: " + json.dumps(payload, sort_keys=True))
    if len(secret.encode()) < MIN_SECRET_BYTES:
        print("signature: not checked (JWT_SECRET is not set)")
        return 0
    try:
        identity = Tokens(secret).verify(args.token)
    except TokenError as exc:
        print(f"signature: refused: {exc}")
        return 1
    print(f"signature: valid; user {identity.user_id}, role {identity.role}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

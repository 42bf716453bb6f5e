"""Authentication and authorization, once for both transports: log in, identify a caller, decide what they may do.

rest_auth.py and grpc_auth.py only carry the answers to HTTP and gRPC: where the token is
(an ``Authorization`` header, ``authorization`` metadata) and how a refusal looks (401/403,
UNAUTHENTICATED/PERMISSION_DENIED). The rules are here, so the two doors cannot disagree.
"""

from __future__ import annotations

import logging

from .domain import Forbidden, NotAuthenticated, Registration, TooManyAttempts, User
from .passwords import LoginThrottle, hash_password, verify_password
from .settings import Settings
from .store import Store
from .tokens import Identity, TokenError, Tokens

WRONG_CREDENTIALS = "wrong email or password"
SCHEME = "Bearer"

log = logging.getLogger(__name__)


class Auth:
    """The lab's authority: registers with a password, logs in, and checks tokens against the store."""

    def __init__(self, store: Store, settings: Settings, throttle: LoginThrottle | None = None) -> None:
        self.store = store
        self.tokens = Tokens(settings.jwt_secret, settings.jwt_ttl_seconds)
        self._admin_email = settings.admin_email.casefold()
        self._throttle = throttle or LoginThrottle()

    def register(self, registration: Registration) -> User:
        """Store a new user with the hash of their password (never the password); ADMIN_EMAIL becomes admin."""
        password_hash = hash_password(registration.password) if registration.password is not None else None
        role = "admin" if self._admin_email and registration.email.casefold() == self._admin_email else "user"
        user = self.store.create(registration.fields(), password_hash, role)
        log.info("registered user %s (role %s)", user.id, role)
        return user

    def login(self, email: str, password: str) -> tuple[str, int]:
        """(token, seconds it lives) for the right password; NotAuthenticated, the same way, for anything else."""
        # >>> lab 3 · Auth.login: refuse a locked email, verify the password (unknown emails too), issue a token
        wait = self._throttle.retry_after(email)
        if wait > 0:
            raise TooManyAttempts(wait)
        record = self.store.login_record(email)
        user_id, password_hash, role = record if record is not None else ("", None, "user")
        if not verify_password(password_hash, password):
            self._throttle.failed(email)
            log.info("failed login")  # neither the email nor the password: logs are read by many
            raise NotAuthenticated(WRONG_CREDENTIALS)
        self._throttle.succeeded(email)
        log.info("user %s logged in", user_id)
        return self.tokens.issue(user_id, role), self.tokens.ttl_seconds
        # <<< lab 3

    def identify(self, authorization: str | None) -> Identity:
        """The caller named by an ``Authorization: Bearer <token>`` value; NotAuthenticated saying why otherwise."""
        # >>> lab 3 · Auth.identify: parse "Bearer <token>", verify the token, and make sure its user still exists
        if not authorization:
            raise NotAuthenticated("this call needs an access token: send 'Authorization: Bearer <token>' (see login)")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != SCHEME.lower() or not token.strip():
            raise NotAuthenticated("the credentials must be 'Bearer <token>'")
        try:
            identity = self.tokens.verify(token.strip())
        except TokenError as exc:
            raise NotAuthenticated(str(exc)) from None
        if not self.store.exists(identity.user_id):
            raise NotAuthenticated("the token's user no longer exists")
        return identity
        # <<< lab 3

    @staticmethod
    def may_change(caller: Identity, user_id: str) -> None:
        """A user may change or delete only their own record, unless they are an admin: Forbidden otherwise."""
        # >>> lab 3 · Auth.may_change: allow the record's owner and admins; refuse everyone else with Forbidden
        if caller.user_id != user_id and not caller.is_admin:
            raise Forbidden("you may change or delete only your own record (or hold the admin role)")
        # <<< lab 3

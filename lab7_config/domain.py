"""What a user is, what makes user input valid, and the errors the service can raise.

Nothing here knows about HTTP. The REST layer (and, from lab 2, the gRPC layer) translate
these errors into their own status codes, so every transport agrees on what is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
# How much of a caller's input an error message quotes back: enough to recognise it, never a flood.
MAX_ECHO_CHARACTERS = 64
# Deliberately simple and ASCII-only: the same pattern is published in the OpenAPI document,
# so every client, validator and test generator reads it the same way.
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
# Characters that have no place in a name or an email: C0 and C1 controls (a newline, a NUL, ...),
# the line and paragraph separators, and the bidirectional overrides and isolates that can make
# text display in another order than it is stored. Published as `not: {pattern}`, with explicit
# ranges, because regex dialects disagree on what "whitespace" and "$" mean.
FORBIDDEN_CHARACTER = r"[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
# A name needs one character that shows: not a space of any kind (NBSP, ideographic space, ...)
# and not an invisible one (zero-width space and joiners, direction marks, the byte-order mark).
VISIBLE_CHARACTER = r"[^ \u00a0\u115f\u1160\u1680\u180e\u2000-\u200f\u202f\u205f-\u2064\u3000\u3164\ufeff\uffa0]"


def _without_forbidden_characters(value: str) -> str:
    if re.search(FORBIDDEN_CHARACTER, value):
        raise ValueError("must not contain control, line-separator or text-direction characters")
    return value


def quoted(text: str) -> str:
    """`text` quoted for an error message, cut to MAX_ECHO_CHARACTERS."""
    if len(text) <= MAX_ECHO_CHARACTERS:
        return repr(text)
    return f"{text[:MAX_ECHO_CHARACTERS]!r}... ({len(text)} characters)"


PlainText = Annotated[
    str,
    AfterValidator(_without_forbidden_characters),
    Field(json_schema_extra={"not": {"pattern": FORBIDDEN_CHARACTER}}),
]


class UserFields(BaseModel):
    """The fields a client sends to create or replace a user."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")

    name: PlainText = Field(
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        pattern=VISIBLE_CHARACTER,
        description="Display name; not only spaces or invisible characters.",
        examples=["Ada Lovelace"],
    )
    email: PlainText = Field(
        max_length=EMAIL_MAX_LENGTH,
        pattern=EMAIL_PATTERN,
        description="Unique, compared case-insensitively.",
        examples=["ada@example.com"],
    )


PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128


class Registration(UserFields):
    """Lab 3: what a client sends to register: a user's fields and, to be able to log in, a password."""

    password: str | None = Field(
        None,
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description="8 to 128 characters; stored only as a slow hash, never returned. Without one, no login.",
        json_schema_extra={"writeOnly": True},
        examples=["correct horse battery staple"],
    )

    def fields(self) -> UserFields:
        return UserFields.model_construct(name=self.name, email=self.email)


class Credentials(BaseModel):
    """Lab 3: what a client sends to log in."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=1, max_length=EMAIL_MAX_LENGTH, examples=["ada@example.com"])
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH, examples=["correct horse battery staple"])


@dataclass(frozen=True, slots=True)
class User:
    """A stored user. Immutable: an update stores a new value, so readers never see half of one."""

    id: str
    name: str
    email: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, str]:
        created = self.created_at.isoformat(timespec="microseconds")
        # A user never updated holds one datetime object twice (the store's `now, now`): format it once.
        # `is`, not `==`: equal moments in two time zones are == but print differently.
        same = self.updated_at is self.created_at
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "created_at": created,
            "updated_at": created if same else self.updated_at.isoformat(timespec="microseconds"),
        }


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason one field was refused; `field` is a dotted path such as ``email``."""

    field: str
    message: str


class DomainError(Exception):
    """Base class of every error a caller can cause; transports map each subclass to a status."""


class InvalidInput(DomainError):
    """The input breaks a rule; `errors` names every bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


class UserNotFound(DomainError):
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"no user with id {quoted(user_id)}")


class EmailTaken(DomainError):
    def __init__(self, email: str) -> None:
        self.email = email
        super().__init__(f"email {quoted(email)} is already registered")


class NotAuthenticated(DomainError):
    """Lab 3: no valid access token, or wrong credentials at login (REST 401, gRPC UNAUTHENTICATED)."""


class Forbidden(DomainError):
    """Lab 3: a valid caller who may not do this, e.g. change another user's record (403, PERMISSION_DENIED)."""


class TooManyAttempts(DomainError):
    """Lab 3: too many failed logins for one email; try again after `retry_after` seconds (429, RESOURCE_EXHAUSTED)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"too many failed logins for this email: try again in {self.retry_after} s")


class Unavailable(DomainError):
    """Lab 7: the database cannot be reached just now (503 with Retry-After, UNAVAILABLE). Not the caller's
    fault, but an answer a caller can act on (try again), instead of a 500 that quotes the driver."""

    retry_after = 5

    def __init__(self) -> None:
        super().__init__(f"the users' database is unavailable: try again in {self.retry_after} s")


def parse_registration(data: object) -> Registration:
    """Lab 3: validate a registration (a user's fields and an optional password)."""
    try:
        return Registration.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput([field_error(err) for err in exc.errors()]) from None


def parse_user_fields(data: object) -> UserFields:
    """Validate untrusted input, raising InvalidInput that lists every bad field."""
    try:
        return UserFields.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput([field_error(err) for err in exc.errors()]) from None


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of a user",
    "string_type": "must be a string",
    "string_unicode": "must be valid Unicode text",
    "string_too_short": "must not be empty",
    "password_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "model_type": "must be a JSON object",
}
_PATTERN_MESSAGES = {
    "name": "must not be blank",
    "email": "must be an email address such as ada@example.com",
}


def field_error(err: dict) -> FieldError:
    """Turn one pydantic error into a short message about the field, in the API's own words."""
    field = ".".join(str(part) for part in err["loc"]) or "body"
    if err["type"] == "string_pattern_mismatch":
        return FieldError(field, _PATTERN_MESSAGES.get(field, err["msg"]))
    if err["type"] == "value_error":
        return FieldError(field, str(err["ctx"]["error"]))
    if field == "password" and err["type"] == "string_too_short":  # never quote a password back
        return FieldError(field, _MESSAGES["password_too_short"].format(**err.get("ctx", {})))
    template = _MESSAGES.get(err["type"])
    return FieldError(field, template.format(**err.get("ctx", {})) if template else err["msg"])

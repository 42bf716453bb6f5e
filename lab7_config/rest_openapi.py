"""What the OpenAPI document says beyond the request models: the responses.

flask-openapi3 writes the OpenAPI 3.1 document from the routes in rest_api.py: a route's `body`,
`query` and `path` models become its request schema and parameters, and the same models validate
every request, so the document and the code cannot disagree about what a valid request is. This
module holds the rest: the models of what the API sends back, and the responses each route
declares (problem+json errors, the Location header, and the links a client follows from a new
user to its URL). A property-based test (schemathesis) checks the document against the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask_openapi3 import OpenAPI
from pydantic import BaseModel, Field

from .domain import Registration, UserFields
from .rest_errors import PROBLEM_JSON


class User(UserFields):
    """A stored user, as every response shows one."""

    id: str
    created_at: datetime
    updated_at: datetime


class FieldProblem(BaseModel):
    """One bad field of a request, and why."""

    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list, description="Each bad field, for a 409 or a 422.")


class Health(BaseModel):
    status: Literal["ok"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_WHY = {
    400: "The body is not valid JSON.",
    404: "No user has this id.",
    409: "Another user already has this email (compared case-insensitively).",
    413: "The body is larger than 64 KiB.",
    415: "The body is not sent as application/json.",
    422: "A field is invalid; `errors` names each one.",
    401: "No valid access token (or, at login, wrong credentials); see the WWW-Authenticate header.",
    403: "The token is valid, but only the record's owner or an admin may do this.",
    429: "Too many failed logins for this email; retry after Retry-After seconds.",
}


class Token(BaseModel):
    """Lab 3: what a login answers."""

    access_token: str = Field(description="A JWT: send it as 'Authorization: Bearer <access_token>'.")
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds until the token expires.")


def problems(*statuses: int) -> dict[int, dict[str, Any]]:
    """The error responses of one route, each a problem+json document."""
    return {
        status: {"description": _WHY[status], "content": {PROBLEM_JSON: {"schema": _ref("Problem")}}}
        for status in statuses
    }


# Where a client goes from a new user: schemathesis follows these links to get, update and
# delete the user it just created.
_USER_LINKS = {
    name: {"operationId": operation, "parameters": {"user_id": "$response.body#/id"}}
    for name, operation in [("GetUser", "getUser"), ("UpdateUser", "updateUser"), ("DeleteUser", "deleteUser")]
}

CREATED = {
    201: {
        "description": "Created.",
        "headers": {"Location": {"required": True, "schema": {"type": "string"}, "description": "The new user's URL."}},
        "content": {"application/json": {"schema": _ref("User")}},
        "links": _USER_LINKS,
    }
}

USERS = {
    200: {
        "description": "The users, oldest first.",
        "content": {"application/json": {"schema": {"type": "array", "items": _ref("User")}}},
    }
}


TOKEN = {200: {"description": "Logged in.", "content": {"application/json": {"schema": _ref("Token")}}}}

# Lab 3: what every protected route may answer, and the scheme it names in `security`.
SECURED = {
    401: {
        "description": _WHY[401],
        "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
        "content": {PROBLEM_JSON: {"schema": _ref("Problem")}},
    }
}
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A token from POST /auth/login."}


class DocumentedApp(OpenAPI):
    """flask-openapi3's Flask app, with three corrections to the document it writes.

    - flask-openapi3 copies each model's schema through its own model of a Schema Object, which
      has no `examples`: the user schemas are published as pydantic writes them, examples included
      (the Swagger UI page fills its sample bodies with them);
    - it adds a 422 (as plain JSON) to every route, even one that validates nothing: the routes
      declare their own 422, as problem+json, where one can happen;
    - it writes `securitySchemes: null`, which OpenAPI forbids: lab 3 declares its bearer scheme here.
    """

    def generate_spec_json(self) -> None:
        super().generate_spec_json()
        components = self.spec_json["components"]
        components["securitySchemes"] = {"bearer": BEARER}
        components["schemas"] |= {
            "UserFields": UserFields.model_json_schema(),
            "Registration": Registration.model_json_schema(),
            "Token": Token.model_json_schema(),
            "User": User.model_json_schema(mode="serialization"),
        }
        for path_item in self.spec_json["paths"].values():
            for operation in path_item.values():
                if PROBLEM_JSON not in operation["responses"]["422"].get("content", {}):
                    del operation["responses"]["422"]

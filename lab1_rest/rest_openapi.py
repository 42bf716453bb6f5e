"""The OpenAPI 3.1 description of the REST API, served at /openapi.json.

The request schema comes straight from the pydantic model that validates requests, so the
document and the code cannot disagree about what a valid user is. A property-based test
(schemathesis) checks the rest of the document against the running service.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .domain import UserFields

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
USER = {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM}


def _responses(success: dict[str, Any], *errors: int) -> dict[str, Any]:
    descriptions = {
        400: "The body is not valid JSON.",
        404: "No user has this id.",
        409: "Another user already has this email (compared case-insensitively).",
        413: "The body is larger than 64 KiB.",
        415: "The body is not sent as application/json.",
        422: "A field is invalid; `errors` names each one.",
    }
    return success | {str(code): _problem(descriptions[code]) for code in errors}


_USER_ID = {
    "name": "user_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
}
_USER_LINKS = {
    "GetUser": {"operationId": "getUser", "parameters": {"user_id": "$response.body#/id"}},
    "UpdateUser": {"operationId": "updateUser", "parameters": {"user_id": "$response.body#/id"}},
    "DeleteUser": {"operationId": "deleteUser", "parameters": {"user_id": "$response.body#/id"}},
}


def _page_parameter(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


@cache
def openapi_document() -> dict[str, Any]:
    user_fields = UserFields.model_json_schema()
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserFields"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Users", "version": "1.0.0"},
        "paths": {
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Readiness: 200 once the service can serve.",
                    "responses": {
                        "200": {
                            "description": "Ready.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["status"],
                                        "properties": {"status": {"const": "ok"}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/users": {
                "post": {
                    "operationId": "createUser",
                    "summary": "Register a user.",
                    "requestBody": body,
                    "responses": _responses(
                        {
                            "201": {
                                "description": "Created.",
                                "headers": {
                                    "Location": {
                                        "required": True,
                                        "schema": {"type": "string"},
                                        "description": "The new user's URL.",
                                    }
                                },
                                "content": USER,
                                "links": _USER_LINKS,
                            }
                        },
                        400,
                        409,
                        413,
                        415,
                        422,
                    ),
                },
                "get": {
                    "operationId": "listUsers",
                    "summary": "All users, oldest first.",
                    "parameters": [
                        _page_parameter("limit", "At most this many users (default: all)."),
                        _page_parameter("offset", "Skip this many users first (default 0)."),
                    ],
                    "responses": _responses(
                        {
                            "200": {
                                "description": "The users.",
                                "content": {
                                    "application/json": {
                                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
                                    }
                                },
                            }
                        },
                        422,
                    ),
                },
            },
            "/users/{user_id}": {
                "parameters": [_USER_ID],
                "get": {
                    "operationId": "getUser",
                    "summary": "One user.",
                    "responses": _responses({"200": {"description": "The user.", "content": USER}}, 404),
                },
                "put": {
                    "operationId": "updateUser",
                    "summary": "Replace a user's name and email.",
                    "requestBody": body,
                    "responses": _responses(
                        {"200": {"description": "The updated user.", "content": USER}},
                        400,
                        404,
                        409,
                        413,
                        415,
                        422,
                    ),
                },
                "delete": {
                    "operationId": "deleteUser",
                    "summary": "Delete a user.",
                    "responses": _responses({"204": {"description": "Deleted."}}, 404),
                },
            },
        },
        "components": {
            "schemas": {
                "UserFields": user_fields,
                "User": {
                    "type": "object",
                    "required": ["id", "name", "email", "created_at", "updated_at"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": user_fields["properties"]["name"],
                        "email": user_fields["properties"]["email"],
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                    },
                    "additionalProperties": False,
                },
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details.",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["field", "message"],
                                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                            },
                        },
                    },
                },
            }
        },
    }

"""Every status a route can answer, documented the same way on every operation.

Routes declare what is theirs (201, 404, 409...). What the platform adds to every
request (authorisation, abuse limits, body limits, validation, an unreachable
database, a bug) is added here from the route's own declaration, so the document
cannot drift from what the services answer: problem+json for every error, with the
headers that come with it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from shared.errors import PROBLEM_JSON

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemSchema"}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
_REQUEST_ID = {
    "X-Request-ID": {
        "description": "The request's id (yours if you sent a sane one): quote it in reports.",
        "schema": {"type": "string"},
    }
}
_PLATFORM: dict[str, tuple[str, dict[str, Any]]] = {
    "401": (
        "Missing, unknown or revoked bearer token.",
        {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    ),
    "403": ("The token lacks the scope this operation needs.", {}),
    "413": ("The body exceeds the size limit (with or without Content-Length).", {}),
    "422": ("The request is not valid: every failed rule is listed in `errors`.", {}),
    "429": ("Too many requests from this token or address.", _RETRY_AFTER),
    "500": ("A bug: quote the X-Request-ID when reporting it.", {}),
    "503": ("The service's database cannot be reached, or it is busy; retry.", _RETRY_AFTER),
}


def install_openapi(app: FastAPI, *, public_limited: set[tuple[str, str]]) -> None:
    """``public_limited``: (method, path) of public routes limited per client address."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
                tags=app.openapi_tags,
                openapi_version=app.openapi_version,
            )
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    limited = (method.upper(), path) in public_limited
                    _complete(operation, limited=limited)
            _drop_unused_validation_schemas(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def public_rate_limited_routes(app: FastAPI, marker: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and any(d.dependency is marker for d in route.dependencies):
            found.update((m, str(context.path)) for m in context.methods or ())
    return found


def _complete(operation: dict[str, Any], *, limited: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    wanted = {"500", "503"}
    if operation.get("security"):
        wanted |= {"401", "403", "429"}
    if limited:
        wanted.add("429")
    if "requestBody" in operation:
        wanted |= {"413", "422"}
    elif "413" in responses:
        del responses["413"]  # nothing to be too large
    if operation.get("parameters"):
        wanted.add("422")
    for status in wanted:
        description, headers = _PLATFORM[status]
        entry = responses.setdefault(status, {"description": description})
        if headers:
            entry.setdefault("headers", {}).update(headers)
    for status, entry in responses.items():
        entry.setdefault("headers", {}).update(_REQUEST_ID)
        if status.startswith(("4", "5")):
            # Errors are problem+json: keep a route's own problem schema (a subtype with
            # more fields), replace FastAPI's HTTPValidationError with ours.
            content = entry.setdefault("content", {})
            declared = content.pop("application/json", {}).get("schema", _PROBLEM_REF)
            if "HTTPValidationError" in str(declared):
                declared = _PROBLEM_REF
            content.setdefault(PROBLEM_JSON, {"schema": declared})


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in str(schema.get("paths")).replace("'", '"'):
            components.pop(name, None)

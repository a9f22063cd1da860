"""Both OpenAPI documents are something a court's IT team can generate a client from.

Walks the generated documents: a new operation or property that lacks any of these
fails here, not in an integrator's generator.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError

from services.issuer.app import create_app as create_issuer
from services.issuer.settings import IssuerSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings

PUBLIC_OPERATIONS = {
    "livez",
    "readyz",
    "verify_code",
    "verify_pdf",
    "verify_seal",
    "signing_certificates",
    "seal_keys",
    "audit_keys",
}


def _apps() -> list[FastAPI]:
    url = "postgresql://nobody@127.0.0.1:1/none"
    return [
        create_registry(RegistrySettings(database_url=url)),
        create_issuer(IssuerSettings(database_url=url)),
    ]


@pytest.fixture(params=["registry", "issuer"])
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    registry, issuer = _apps()
    app = registry if request.param == "registry" else issuer
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_security_scheme_and_servers(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["servers"], "servers"
    described = {t["name"] for t in document.get("tags", []) if t.get("description")}
    used = {tag for _, _, op in _operations(document) for tag in op.get("tags", [])}
    assert used <= described, f"tags without a description: {used - described}"


def test_every_operation_is_complete(document: dict[str, Any]) -> None:
    problems: list[str] = []
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    for method, path, op in _operations(document):
        where = f"{method} {path}"
        if re.search(r"_v1_|_(get|post)$", op["operationId"]):
            problems.append(f"{where}: FastAPI's default operationId {op['operationId']}")
        if not op.get("description"):
            problems.append(f"{where}: no description")
        public = op["operationId"] in PUBLIC_OPERATIONS
        if not public and not op.get("security"):
            problems.append(f"{where}: no security requirement")
        responses = op["responses"]
        for status in ("500", "503"):
            if status not in responses:
                problems.append(f"{where}: {status} undocumented")
        if op.get("security"):
            for status in ("401", "403", "429"):
                if status not in responses:
                    problems.append(f"{where}: {status} undocumented")
            if "WWW-Authenticate" not in responses.get("401", {}).get("headers", {}):
                problems.append(f"{where}: 401 without WWW-Authenticate")
        if "requestBody" in op:
            for status in ("413", "422"):
                if status not in responses:
                    problems.append(f"{where}: {status} undocumented")
            if not _has_example(document, op["requestBody"]):
                problems.append(f"{where}: request body without an example")
        elif "413" in responses:
            problems.append(f"{where}: 413 documented without a body")
        for status, response in responses.items():
            if "X-Request-ID" not in response.get("headers", {}):
                problems.append(f"{where}: {status} without X-Request-ID header")
            if status in ("429", "503") and "Retry-After" not in response.get("headers", {}):
                problems.append(f"{where}: {status} without Retry-After")
            if status.startswith(("4", "5")):
                content = response.get("content", {})
                if "application/problem+json" not in content or "application/json" in content:
                    problems.append(f"{where}: {status} is not application/problem+json")
                if "HTTPValidationError" in str(content):
                    problems.append(f"{where}: {status} uses HTTPValidationError")
    assert not problems, "\n".join(problems)


def _has_example(document: dict[str, Any], body: dict[str, Any]) -> bool:
    for media in body.get("content", {}).values():
        if media.get("example") is not None or media.get("examples"):
            return True
        schema = media.get("schema", {})
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if schema.get("examples") or schema.get("example") or schema.get("format") == "binary":
            return True
    return False


def test_every_property_is_described(document: dict[str, Any]) -> None:
    missing = [
        f"{name}.{prop}"
        for name, schema in document["components"]["schemas"].items()
        for prop, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert not missing, f"{len(missing)} properties without a description: {missing}"


def test_problem_schema_is_typed(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["ProblemSchema"]
    assert "instance" in problem["properties"]
    items = problem["properties"]["errors"]["anyOf"][0]["items"]
    assert items["$ref"].endswith("/FieldErrorSchema")


def test_binary_downloads_and_uploads_are_declared(document: dict[str, Any]) -> None:
    for _, path, op in _operations(document):
        if path.endswith("/pdf"):
            content = op["responses"]["200"]["content"]
            assert content["application/octet-stream"]["schema"]["format"] == "binary"
        if path == "/v1/verify":
            content = op["requestBody"]["content"]
            assert content["application/octet-stream"]["schema"]["format"] == "binary"


def test_request_body_examples_are_valid() -> None:
    """Every example an integrator copies from the documents passes validation (the
    control point catalog lives in the database: those examples are posted for real in
    tests/e2e/test_generated_clients.py)."""
    checked = []
    for app in _apps():
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if not isinstance(route, APIRoute) or route.body_field is None:
                continue
            model = route.body_field.field_info.annotation
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue  # a binary upload
            extra = model.model_config.get("json_schema_extra")
            for example in extra.get("examples", []) if isinstance(extra, dict) else []:
                try:
                    model.model_validate(example)
                except ValidationError as exc:
                    assert {e["type"] for e in exc.errors()} == {"CONTROL_POINT_UNKNOWN"}, exc
                checked.append(model.__name__)
    assert len(checked) >= 9, checked

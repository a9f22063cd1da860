"""schemathesis against both services' OpenAPI documents, in-process, with real tokens.

Every generated request must get: no 5xx; a status code its operation documents; a
body matching the documented schema and content type; and problem+json on every error.
Bodies start from valid ones (see ``strategies``) and are mutated, so the 201 paths are
fuzzed too, not only validation. Bounded and derandomised, so ``make test`` stays quick
and repeatable: FUZZ_MAX_EXAMPLES raises the count, FUZZ_RANDOM=1 draws new cases.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.issuer.app import create_app as create_issuer_app
from services.issuer.settings import IssuerSettings
from services.registry.app import create_app as create_registry_app
from services.registry.settings import RegistrySettings
from shared.settings import Environment
from tests.fuzz import strategies
from tests.fuzz.conftest import (
    ANSWERS,
    ISSUER_APP,
    REGISTRY_APP,
    SEED_CEDULAS,
    SEEDS,
    App,
    load_schema,
)
from tests.support.factories import movement

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


# POST /v1/verify takes the PDF's bytes as they are.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


@schemathesis.check
def errors_are_problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    ANSWERS[f"{case.operation.method.upper()} {case.operation.path} {response.status_code}"] += 1
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        if not content_type.startswith("application/problem+json"):
            raise AssertionError(
                f"{response.status_code} answered as {content_type!r}, not application/problem+json"
            )
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    errors_are_problem_json,
]

# (method, path) -> the valid bodies to start from, built once the seeds exist.
BODIES: dict[tuple[str, str], Callable[[], st.SearchStrategy[Any]]] = {
    ("POST", "/v1/movements"): lambda: strategies.movements(SEEDS.cedulas),
    ("POST", "/v1/movements/batch"): lambda: strategies.batches(SEEDS.cedulas),
    ("POST", "/v1/movements/{movement_id}/annulment"): strategies.annulments,
    ("POST", "/v1/history/search"): lambda: strategies.history_searches(SEEDS.cedulas),
    ("POST", "/v1/certificate-requests"): lambda: strategies.certificate_requests(SEEDS.cedulas),
    ("POST", "/v1/certificates/{certificate_id}/revocation"): strategies.revocations,
}

# Path parameter -> ids that exist (a 200 besides the generated 404s and 422s).
EXISTING: dict[str, Callable[[], list[str]]] = {
    "movement_id": lambda: SEEDS.movement_ids,
    "person_id": lambda: SEEDS.person_ids,
    "request_id": lambda: SEEDS.request_ids,
    "certificate_id": lambda: SEEDS.certificate_ids,
    "verification_code": lambda: SEEDS.verification_codes,
}


def _key(context: Any) -> tuple[str, str]:
    operation = context.operation
    return (operation.method.upper(), operation.path) if operation else ("", "")


@schemathesis.hook
def before_generate_body(context: Any, strategy: st.SearchStrategy[Any]) -> Any:
    key = _key(context)
    if key == ("POST", "/v1/verify"):
        return strategy | st.sampled_from(SEEDS.pdfs)
    if key in BODIES:
        # Four in five draws start from a valid body; the rest are schemathesis's own.
        ours = strategies.valid_or_mutated(BODIES[key]())
        return st.one_of(strategy, ours, ours, ours, ours)
    return strategy


@schemathesis.hook
def before_generate_path_parameters(context: Any, strategy: st.SearchStrategy[Any]) -> Any:
    operation = context.operation
    names = [p.name for p in operation.path_parameters] if operation else []
    if len(names) == 1 and names[0] in EXISTING and EXISTING[names[0]]():
        existing = st.fixed_dictionaries({names[0]: st.sampled_from(EXISTING[names[0]]())})
        return strategy | existing | existing
    return strategy


_UNUSED_DB = "postgresql://unused@127.0.0.1:1/unused"  # the document needs no database
_SETTINGS = {"database_url": _UNUSED_DB, "environment": Environment.TEST}
registry_schema = load_schema(
    create_registry_app(RegistrySettings(**_SETTINGS)),
    REGISTRY_APP,
    {
        ("POST", "/v1/movements"): movement(traveller={"national_id": SEED_CEDULAS[0]}),
        ("POST", "/v1/movements/batch"): {
            "movements": [movement(traveller={"national_id": SEED_CEDULAS[1]})]
        },
        ("POST", "/v1/history/search"): {
            "identity": {"national_id": SEED_CEDULAS[0]},
            "purpose": "CERTIFICATE",
            "reference": "FGE-FPP-2025-001234-O",
        },
    },
)
issuer_schema = load_schema(
    create_issuer_app(IssuerSettings(**_SETTINGS)),
    ISSUER_APP,
    {("POST", "/v1/certificate-requests"): strategies.certificate_request(1, SEED_CEDULAS[2])},
)


@registry_schema.parametrize()
@FUZZ_SETTINGS
def test_registry_conforms_to_its_openapi(case: Any, registry_under_fuzz: App) -> None:
    case.call_and_validate(headers=registry_under_fuzz.headers, checks=CHECKS)


@issuer_schema.parametrize()
@FUZZ_SETTINGS
def test_issuer_conforms_to_its_openapi(case: Any, issuer_under_fuzz: App) -> None:
    revoking = case.operation.path.endswith("/revocation")
    headers = issuer_under_fuzz.admin_headers if revoking else issuer_under_fuzz.headers
    case.call_and_validate(headers=headers, checks=CHECKS)

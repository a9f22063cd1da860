"""What a court's IT team does on day one: generate a client from each service's OpenAPI
document and drive the walkthrough with it.

The clients are generated at test time by openapi-python-client with its default
settings (no configuration file, no hand edits; ``--meta none`` only leaves out the
packaging) from the documents the running services serve, then used with strict
status checking (``raise_on_unexpected_status``): a response the document does not declare

raises ``UnexpectedStatus``, and a body the document describes wrongly fails to parse.
The stack is what ``make run`` starts (``python -m services.devstack``), on free ports.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.devstack import Stack, running_stack, stack_workdir

BIN = Path(sys.executable).parent


class Generated:
    """A generated client package, imported under its own name, with its modules at hand."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __call__(self, module: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{module}")

    def client(self, base_url: str, token: str | None = None) -> Any:
        client_module = self("client")
        if token is None:
            return client_module.Client(base_url=base_url, raise_on_unexpected_status=True)
        return client_module.AuthenticatedClient(
            base_url=base_url, token=token, raise_on_unexpected_status=True
        )


def generate(document: dict[str, Any], directory: Path, package: str) -> Generated:
    spec = directory / f"{package}.json"
    spec.write_text(json.dumps(document))
    env = dict(os.environ)  # the generator formats its output with ruff, found on PATH
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", spec, "--meta", "none",
         "--output-path", directory / package],
        capture_output=True, text=True, timeout=300,
        env=env,

    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # The one warning allowed: the PDF upload's application/pdf alternative, which the
    # generator skips in favour of the application/octet-stream one it supports.
    warnings = result.stdout.split("WARNING")[1:]
    assert all("Unsupported content type application/pdf" in w for w in warnings), result.stdout
    return Generated(package)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with stack_workdir() as workdir, running_stack(workdir) as stack:
        yield stack


@pytest.fixture(scope="module")
def clients(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    directory = tmp_path_factory.mktemp("generated")
    generated_packages = {"registry_client", "issuer_client"}

    sys.path.insert(0, str(directory))
    try:
        generated = {
            name: generate(
                httpx.get(f"{stack.url(name)}/openapi.json", timeout=30).json(),
                directory,
                f"{name}_client",
            )
            for name in ("registry", "issuer")
        }
        yield generated
    finally:
        sys.path.remove(str(directory))
        for name in [m for m in sys.modules if m.split(".")[0] in generated_packages]:
            del sys.modules[name]


def _tokens(stack: Stack) -> dict[str, str]:
    credentials = json.loads((stack.workdir / ".data" / "dev-credentials.json").read_text())
    return dict(credentials["tokens"])


def _example(document: dict[str, Any], schema: str) -> dict[str, Any]:
    example: dict[str, Any] = document["components"]["schemas"][schema]["examples"][0]
    return example


def test_a_generated_client_walks_through_the_registry_and_the_issuer(
    stack: Stack, clients: dict[str, Generated]
) -> None:
    registry, issuer = clients["registry"], clients["issuer"]
    tokens = _tokens(stack)
    registry_document = httpx.get(f"{stack.url('registry')}/openapi.json").json()
    issuer_document = httpx.get(f"{stack.url('issuer')}/openapi.json").json()
    terminal = registry.client(stack.url("registry"), tokens["terminal"])
    reader = registry.client(stack.url("registry"), tokens["issuer_registry"])
    authority = issuer.client(stack.url("issuer"), tokens["authority"])
    anyone = issuer.client(stack.url("issuer"))

    # 0. The control points a terminal may send.
    points = registry("api.control_points.list_control_points").sync(client=terminal)
    assert "AIR-UIO" in {p.code for p in points.items}

    # 1. The document's own example is a valid movement: recorded (201), typed answer.
    movement_in = registry("models").MovementIn.from_dict(_example(registry_document, "MovementIn"))
    recorded = registry("api.movements.record_movement").sync_detailed(
        client=terminal, body=movement_in
    )
    assert recorded.status_code == 201, recorded.content
    assert recorded.parsed.control_point == "AIR-UIO"
    assert recorded.parsed.traveller.national_id == "1710034065"
    again = registry("api.movements.record_movement").sync_detailed(
        client=terminal, body=movement_in
    )
    assert again.status_code == 200 and again.parsed.movement_id == recorded.parsed.movement_id

    # Bad input: problem+json with typed errors.
    bad = movement_in.to_dict() | {
        "movement_id": "0b8a6f0e-3f0e-4c53-9a43-7f0d1c2b5e99",
        "control_point": "AIR-XXX",
    }
    problem = registry("api.movements.record_movement").sync(
        client=terminal, body=registry("models").MovementIn.from_dict(bad)
    )
    assert problem.status == 422
    assert [e.code for e in problem.errors] == ["CONTROL_POINT_UNKNOWN"]
    assert problem.errors[0].field == "control_point"
    assert problem.instance == "/v1/movements"

    # A batch: per-item results, the errors typed too.
    batch = _example(registry_document, "BatchIn")
    batch["movements"].append({**bad, "movement_id": "5b0f5a4e-4d3e-4c8e-8f0a-2f7b8e9c1d00"})
    results = registry("api.movements.record_batch").sync(
        client=terminal, body=registry("models").BatchIn.from_dict(batch)
    )
    assert [r.status.value for r in results.results] == ["duplicate", "created", "rejected"]
    assert results.results[2].errors[0].code == "CONTROL_POINT_UNKNOWN"
    assert results.summary.created == 1

    # 2. The history, as an authorised system reads it.
    history = registry("api.history.search_history").sync(
        client=reader,
        body=registry("models").HistorySearch.from_dict(
            _example(registry_document, "HistorySearch")
        ),
    )
    assert history.person.national_id == "1710034065"
    assert [m.direction.value for m in history.movements] == ["ENTRY", "EXIT"]
    stays = registry("api.stays.stays_summary").sync(
        client=reader,
        body=registry("models").StaysQuery.from_dict(_example(registry_document, "StaysQuery")),
    )
    assert stays.status.value == "ABROAD"

    # 3. A prosecutor's office asks for the certificate with today's oficio.
    today = datetime.now(ZoneInfo("America/Guayaquil")).date()
    request = _example(issuer_document, "CertificateRequestIn")
    request["oficio"] |= {"number": f"FGE-FPP-{today.year}-000777-O", "date": today.isoformat()}
    request["period"] = {"from": "2025-01-01", "to": today.isoformat()}
    request_certificate = issuer("api.certificate_requests.request_certificate")
    models = issuer("models")
    issued = request_certificate.sync_detailed(
        client=authority, body=models.CertificateRequestIn.from_dict(request)
    )
    assert issued.status_code == 201, issued.content
    certificate = issued.parsed.certificate
    assert certificate.movement_count == 2

    rejected_body = json.loads(json.dumps(request))
    rejected_body["oficio"] |= {"number": "not-a-number", "addressee": "Ministerio de Salud"}
    rejection = request_certificate.sync(
        client=authority, body=models.CertificateRequestIn.from_dict(rejected_body)
    )
    assert rejection.status == 422 and rejection.request_id
    assert "OFICIO_NUMBER_INVALID" in {e.code for e in rejection.errors}
    stored = issuer("api.certificate_requests.get_certificate_request").sync(
        client=authority, request_id=rejection.request_id
    )
    assert stored.status.value == "REJECTED" and stored.errors[0].code

    # 4. The signed PDF.
    pdf = issuer("api.certificates.download_certificate").sync(
        client=authority, certificate_id=certificate.certificate_id
    )
    pdf_bytes = pdf.payload.read()
    assert pdf_bytes.startswith(b"%PDF")

    # 5. Anyone verifies it: by code, by uploading the exact bytes, by the seal keys.
    verification = issuer("api.verification_public.verify_code").sync(
        client=anyone, verification_code=certificate.verification_code
    )
    assert verification.status.value == "VALID" and verification.number == certificate.number
    File = issuer("types").File
    check = issuer("api.verification_public.verify_pdf").sync(
        client=anyone, body=File(payload=BytesIO(pdf_bytes), mime_type="application/pdf")
    )
    assert check.match and check.signature_valid and check.number == certificate.number
    pem = issuer("api.verification_public.signing_certificates").sync(client=anyone)
    assert "BEGIN CERTIFICATE" in pem
    keys = issuer("api.verification_public.seal_keys").sync(client=anyone)
    assert keys.keys[0].crv == "P-256"
    audit_keys = registry("api.audit.audit_keys").sync(
        client=registry.client(stack.url("registry"))
    )
    assert audit_keys.keys[0].crv == "Ed25519"


def _cli_token(stack: Stack, *args: str) -> str:
    result = subprocess.run(
        [BIN / args[0], *args[1:]], cwd=stack.workdir, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_every_other_operation_answers_as_its_document_says(
    stack: Stack, clients: dict[str, Generated]
) -> None:
    registry, issuer = clients["registry"], clients["issuer"]
    tokens = _tokens(stack)
    registry_url, issuer_url = stack.url("registry"), stack.url("issuer")
    terminal = registry.client(registry_url, tokens["terminal"])
    supervisor = registry.client(registry_url, tokens["supervisor"])
    reader = registry.client(registry_url, tokens["issuer_registry"])
    auditor = registry.client(
        registry_url,
        _cli_token(stack, "registry", "clients", "create", "--name", "Auditoría de pruebas",
                   "--scopes", "audit:read"),
    )  # fmt: skip
    authority = issuer.client(issuer_url, tokens["second_authority"])
    staff = issuer.client(issuer_url, tokens["issuer_admin"])
    anyone_registry, anyone = registry.client(registry_url), issuer.client(issuer_url)
    r_models, i_models = registry("models"), issuer("models")

    for service, client in (("registry", anyone_registry), ("issuer", anyone)):
        assert clients[service]("api.health.livez").sync(client=client) is not None
        assert clients[service]("api.health.readyz").sync(client=client) is not None

    # A Colombian visitor by passport: recorded, read, annulled, read again.
    traveller = {
        "document_type": "PASSPORT", "document_number": "PE0123456", "issuing_country": "COL",
        "nationality": "COL", "surnames": "RESTREPO ARANGO", "given_names": "CAMILO",
        "birth_date": "1985-02-14", "sex": "M",
    }  # fmt: skip
    movement = r_models.MovementIn.from_dict({
        "movement_id": "3c8f1e2a-6b7d-4e9f-8a1b-2c3d4e5f6a7b", "direction": "ENTRY",
        "occurred_at": "2025-04-10T08:15:00-05:00", "control_point": "AIR-UIO",
        "traveller": traveller, "origin_country": "COL",
    })  # fmt: skip
    created = registry("api.movements.record_movement").sync(client=terminal, body=movement)
    got = registry("api.movements.get_movement").sync(
        client=terminal, movement_id=created.movement_id
    )
    assert got.person_id == created.person_id and got.annulment is None
    person = registry("api.history.get_person").sync(client=reader, person_id=created.person_id)
    assert person.documents[0].document_number == "PE0123456"

    annulment = _example(
        httpx.get(f"{registry_url}/openapi.json").json(), "AnnulmentIn"
    )  # fmt: skip
    annulled = registry("api.movements.annul_movement").sync(
        client=supervisor,
        movement_id=created.movement_id,
        body=r_models.AnnulmentIn.from_dict(annulment),
    )
    assert annulled.annulment.reason == annulment["reason"]
    twice = registry("api.movements.annul_movement").sync(
        client=supervisor,
        movement_id=created.movement_id,
        body=r_models.AnnulmentIn.from_dict(annulment),
    )
    assert twice.status == 409

    identity = {"document_type": "PASSPORT", "document_number": "PE0123456",
                "issuing_country": "COL"}  # fmt: skip
    log = registry("api.audit.search_access_log").sync(
        client=auditor, body=r_models.AccessLogSearch.from_dict({"identity": identity})
    )
    assert {item.endpoint for item in log.items} >= {"GET /v1/persons/{person_id}"}
    head = registry("api.audit.audit_head").sync(client=auditor)
    assert head.rows >= 1 and head.kid
    forbidden = registry("api.audit.audit_head").sync(client=terminal)
    assert forbidden.status == 403
    unauthenticated = registry("api.audit.audit_head").sync_detailed(client=anyone_registry)
    assert unauthenticated.parsed.status == 401
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")

    # An authority's requests: listed, re-sent (200 as stored), revoked by staff.
    today = datetime.now(ZoneInfo("America/Guayaquil")).date()
    request = i_models.CertificateRequestIn.from_dict({
        "oficio": {"number": f"UJPQ-SEC-{today.year}-0042-O", "date": today.isoformat(),
                   "addressee": "Subsecretaría de Migración",
                   "signatory_name": "Dr. Luis Andrade", "signatory_role": "Juez",
                   "case_number": "17282-2025-00456"},
        "subject": {**identity, "full_name": "CAMILO RESTREPO ARANGO"},
        "include_stay_summary": True,
    })  # fmt: skip
    request_certificate = issuer("api.certificate_requests.request_certificate")
    first = request_certificate.sync_detailed(client=authority, body=request)
    assert first.status_code == 201, first.content
    assert first.parsed.certificate.movement_count == 0  # the only movement is annulled
    again = request_certificate.sync_detailed(client=authority, body=request)
    assert again.status_code == 200 and again.parsed.request_id == first.parsed.request_id
    page = issuer("api.certificate_requests.list_certificate_requests").sync(
        client=authority, oficio_number=request.oficio.number
    )
    assert [item.request_id for item in page.items] == [first.parsed.request_id]
    # A body the service cannot read keeps no request: the documented 422 still parses
    # (the generated model drops unknown fields, so this one is sent by hand).
    unreadable = httpx.post(
        f"{issuer_url}/v1/certificate-requests",
        json=request.to_dict() | {"urgent": True},
        headers={"Authorization": f"Bearer {tokens['second_authority']}"},
    )
    refused = i_models.RejectionProblem.from_dict(unreadable.json())
    assert refused.status == 422 and not refused.request_id
    assert [(e.code, e.field) for e in refused.errors] == [("EXTRA_FORBIDDEN", "urgent")]

    certificate = first.parsed.certificate
    revoked = issuer("api.certificates.revoke_certificate").sync(
        client=staff,
        certificate_id=certificate.certificate_id,
        body=i_models.RevocationIn.from_dict(
            _example(httpx.get(f"{issuer_url}/openapi.json").json(), "RevocationIn")
        ),
    )
    assert revoked.number == certificate.number
    verification = issuer("api.verification_public.verify_code").sync(
        client=anyone, verification_code=certificate.verification_code
    )
    assert verification.status.value == "REVOKED" and verification.revoked_at

    seal = issuer("api.verification_public.verify_seal").sync(
        client=anyone, body=i_models.SealIn.from_dict({"seal": "CMM1:NOT-A-SEAL"})
    )
    assert seal.valid is False and seal.status.value == "UNKNOWN"
    not_found = issuer("api.certificates.download_certificate").sync(
        client=issuer.client(issuer_url, tokens["authority"]),
        certificate_id=certificate.certificate_id,
    )
    assert not_found.status == 404

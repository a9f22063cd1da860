"""POST/GET /v1/certificate-requests and the PDF download, against the real registry app."""

from __future__ import annotations

import hashlib
import uuid

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.models import Certificate, CertificateRequest
from tests.conftest import Tokens
from tests.issuer.conftest import ISSUER_URL, Authorities
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history
from tests.support.factories import movement

CERTIFICATE_FIELDS = {
    "certificate_id",
    "number",
    "verification_code",
    "issued_at",
    "movement_count",
    "sha256",
    "pdf_url",
    "verify_url",
}


async def test_issues_a_certificate_from_the_registry_history(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> None:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=6)

    response = await issuer.post(
        "/v1/certificate-requests",
        json=certificate_request(national_id=cedula),
        headers=authorities.fiscalia.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"request_id", "status", "certificate"}
    assert body["status"] == "ISSUED"
    certificate = body["certificate"]
    assert set(certificate) == CERTIFICATE_FIELDS
    assert certificate["movement_count"] == 6
    assert certificate["number"].startswith("CMM-20")
    code = certificate["verification_code"]
    assert certificate["verify_url"] == f"{ISSUER_URL}/v1/verify/{code}"
    assert certificate["pdf_url"] == (
        f"{ISSUER_URL}/v1/certificates/{certificate['certificate_id']}/pdf"
    )
    assert response.headers["location"] == f"/v1/certificate-requests/{body['request_id']}"

    pdf = await issuer.get(certificate["pdf_url"], headers=authorities.fiscalia.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'inline; filename="{certificate["number"]}.pdf"'
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == certificate["sha256"]

    stored = await issuer.get(
        f"/v1/certificate-requests/{body['request_id']}", headers=authorities.fiscalia.headers
    )
    assert stored.status_code == 200
    assert stored.json()["status"] == "ISSUED"
    assert stored.json()["certificate"] == certificate
    assert stored.json()["errors"] == []
    assert "retry-after" not in stored.headers


async def test_other_authorities_see_neither_the_request_nor_the_pdf(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    response = await issuer.post(
        "/v1/certificate-requests", json=certificate_request(), headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()

    other = authorities.juzgado.headers
    request_url = f"/v1/certificate-requests/{body['request_id']}"
    assert (await issuer.get(request_url, headers=other)).status_code == 404
    assert (await issuer.get(body["certificate"]["pdf_url"], headers=other)).status_code == 404
    unknown = f"/v1/certificate-requests/{uuid.uuid4()}"
    assert (await issuer.get(unknown, headers=authorities.fiscalia.headers)).status_code == 404


async def test_same_oficio_again_is_200_with_the_stored_request(
    issuer: AsyncClient, authorities: Authorities, issuer_session: AsyncSession
) -> None:
    body = certificate_request()
    first = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert first.status_code == 201, first.text
    # Omitted and null fields are the same content.
    body["oficio"].pop("pdf_base64")
    again = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )

    assert again.status_code == 200, again.text
    assert again.json()["request_id"] == first.json()["request_id"]
    assert again.json()["status"] == "ISSUED"
    assert again.json()["certificate"] == first.json()["certificate"]
    count = await issuer_session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.request_id == uuid.UUID(first.json()["request_id"]))
    )
    assert count == 1


async def test_same_oficio_number_with_other_content_is_409(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request()
    first = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert first.status_code == 201
    body["subject"]["national_id"] = fresh_cedula()
    conflict = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )

    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["type"].endswith("oficio-number-conflict")


async def test_another_authority_may_use_the_same_oficio_number(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request()
    first = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    second = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.juzgado.headers
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["request_id"] != second.json()["request_id"]


async def test_rejected_oficio_re_sent_is_200_rejected(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request(oficio={"addressee": "Registro Civil"})
    first = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    again = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )

    assert first.status_code == 422
    assert again.status_code == 200
    assert again.json()["status"] == "REJECTED"
    assert again.json()["request_id"] == first.json()["request_id"]
    assert again.json()["errors"] == first.json()["errors"]


async def test_annulled_movements_are_left_out(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> None:
    cedula = fresh_cedula()
    seeded = await seed_history(
        registry_committing, committed_tokens.terminal, national_id=cedula, count=4
    )
    annulled = await registry_committing.post(
        f"/v1/movements/{seeded[1]['movement_id']}/annulment",
        json={"reason": "Registrado por error", "reference": "MEMO-1"},
        headers=committed_tokens.supervisor,
    )
    assert annulled.status_code == 200, annulled.text

    response = await issuer.post(
        "/v1/certificate-requests",
        json=certificate_request(national_id=cedula),
        headers=authorities.fiscalia.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["certificate"]["movement_count"] == 3


async def test_period_limits_the_movements(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> None:
    cedula = fresh_cedula()
    # Movements on 2020-01-01, -08, -15, -22 (Ecuador time).
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=4)
    body = certificate_request(
        national_id=cedula, period={"from": "2020-01-05", "to": "2020-01-15"}
    )
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["certificate"]["movement_count"] == 2


async def test_unknown_person_gets_a_certificate_without_movements(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    response = await issuer.post(
        "/v1/certificate-requests",
        json=certificate_request(
            subject={
                "document_type": "PASSPORT",
                "document_number": "ZZ999999",
                "issuing_country": "COL",
                "full_name": "Juan Nadie",
            }
        ),
        headers=authorities.fiscalia.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["certificate"]["movement_count"] == 0


async def test_needs_a_token_with_the_scope(issuer: AsyncClient, authorities: Authorities) -> None:
    body = certificate_request()
    missing = await issuer.post("/v1/certificate-requests", json=body)
    wrong = await issuer.post(
        "/v1/certificate-requests", json=body, headers={"Authorization": "Bearer iss_nope"}
    )
    admin_only = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.admin.headers
    )
    assert (missing.status_code, wrong.status_code, admin_only.status_code) == (401, 401, 403)
    assert missing.headers["www-authenticate"] == "Bearer"


async def test_structural_problems_are_plain_422s(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request()
    del body["oficio"]["number"]
    body["subject"]["nickname"] = "Majo"
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert {(e["code"], e["field"]) for e in problem["errors"]} == {
        ("MISSING", "oficio.number"),
        ("EXTRA_FORBIDDEN", "subject.nickname"),
    }
    assert "request_id" not in problem


async def test_subject_identity_is_stored_normalised(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    issuer_session: AsyncSession,
) -> None:
    passport = f"ec{uuid.uuid4().hex[:6]}"
    await registry_committing.post(
        "/v1/movements",
        json=movement(traveller={"national_id": None, "document_number": passport.upper()}),
        headers=committed_tokens.terminal,
    )
    subject = {"document_type": "PASSPORT", "document_number": f" {passport} ",
               "issuing_country": "ecu"}  # fmt: skip
    response = await issuer.post(
        "/v1/certificate-requests",
        json=certificate_request(subject=subject),
        headers=authorities.fiscalia.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["certificate"]["movement_count"] == 1
    stored = await issuer_session.get(CertificateRequest, uuid.UUID(response.json()["request_id"]))
    assert stored is not None
    assert stored.subject == {
        "document_type": "PASSPORT",
        "document_number": passport.upper(),
        "issuing_country": "ECU",
    }

"""Public verification (by code, by PDF) and revocation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.models import Certificate
from services.issuer.verify.router import prefers_html
from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
async def issued(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> dict[str, Any]:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=2)
    body = certificate_request(national_id=cedula)
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]
    pdf = await issuer.get(certificate["pdf_url"], headers=authorities.fiscalia.headers)
    return {**certificate, "cedula": cedula, "oficio_number": body["oficio"]["number"],
            "pdf": pdf.content}  # fmt: skip


async def test_verify_by_code_json(
    issuer: AsyncClient, issued: dict[str, Any], authorities: Authorities
) -> None:
    response = await issuer.get(issued["verify_url"])  # no token: public
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body == {
        "status": "VALID",
        "number": issued["number"],
        "issued_at": body["issued_at"],
        "authority": authorities.fiscalia.name,
        "oficio_number": issued["oficio_number"],
        "subject": {
            "full_name": "P**** G**** M**** J***",
            "identification": f"Cédula {issued['cedula'][:2]}******{issued['cedula'][-2:]}",
        },
        "movement_count": 2,
        "sha256": issued["sha256"],
        "revoked_at": None,
    }
    assert issued["cedula"] not in response.text


async def test_verify_shows_the_authority_as_printed_even_after_a_rename(
    issuer: AsyncClient,
    issued: dict[str, Any],
    authorities: Authorities,
    issuer_session: AsyncSession,
) -> None:
    from services.issuer.models import Authority

    await issuer_session.execute(
        update(Authority)
        .where(Authority.name == authorities.fiscalia.name)
        .values(name="Fiscalía renombrada")
    )
    await issuer_session.flush()
    body = (await issuer.get(issued["verify_url"])).json()
    assert body["authority"] == authorities.fiscalia.name


async def test_verify_by_code_html_for_browsers(
    issuer: AsyncClient, issued: dict[str, Any]
) -> None:
    response = await issuer.get(issued["verify_url"], headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="es">' in response.text
    assert "Certificado válido" in response.text
    assert issued["number"] in response.text
    assert issued["cedula"] not in response.text


async def test_codes_are_forgiving_to_type_and_unknown_is_404(
    issuer: AsyncClient, issued: dict[str, Any]
) -> None:
    typed = issued["verification_code"].replace("-", " ").lower()
    assert (await issuer.get(f"/v1/verify/{typed}")).status_code == 200
    assert (await issuer.get("/v1/verify/AAAA-BBBB-CCCC-DDDD")).status_code == 404
    missing = await issuer.get("/v1/verify/nonsense")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_accept_negotiation() -> None:
    assert prefers_html(BROWSER_ACCEPT)
    assert not prefers_html("*/*")
    assert not prefers_html("")
    assert not prefers_html("application/json")
    assert not prefers_html("text/html;q=0.5, application/json")
    assert prefers_html("text/html")


async def test_verify_pdf_bytes(issuer: AsyncClient, issued: dict[str, Any]) -> None:
    pdf_type = {"Content-Type": "application/pdf"}
    genuine = await issuer.post("/v1/verify", content=issued["pdf"], headers=pdf_type)
    assert genuine.status_code == 200
    assert genuine.json() == {
        "match": True,
        "status": "VALID",
        "number": issued["number"],
        "signature_valid": True,
    }

    flipped = bytearray(issued["pdf"])
    flipped[len(flipped) // 3] ^= 0x01
    altered = await issuer.post("/v1/verify", content=bytes(flipped), headers=pdf_type)
    assert altered.json() == {
        "match": False,
        "status": None,
        "number": None,
        "signature_valid": False,
    }

    not_pdf = await issuer.post("/v1/verify", content=b"hello", headers=pdf_type)
    assert not_pdf.json()["match"] is False and not_pdf.json()["signature_valid"] is False
    wrong_type = await issuer.post("/v1/verify", content=issued["pdf"])
    assert wrong_type.status_code == 415
    empty = await issuer.post("/v1/verify", content=b"", headers=pdf_type)
    assert empty.status_code == 422


async def test_revocation(
    issuer: AsyncClient, issued: dict[str, Any], authorities: Authorities
) -> None:
    url = f"/v1/certificates/{issued['certificate_id']}/revocation"
    reason = {"reason": "Emitido con el oficio equivocado"}
    forbidden = await issuer.post(url, json=reason, headers=authorities.fiscalia.headers)
    assert forbidden.status_code == 403
    assert (await issuer.post(url, json=reason)).status_code == 401

    revoked = await issuer.post(url, json=reason, headers=authorities.admin.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "REVOKED"
    assert revoked.json()["revocation_reason"] == reason["reason"]

    verified = (await issuer.get(issued["verify_url"])).json()
    assert verified["status"] == "REVOKED"
    assert verified["revoked_at"] is not None
    by_pdf = await issuer.post(
        "/v1/verify", content=issued["pdf"], headers={"Content-Type": "application/pdf"}
    )
    assert by_pdf.json()["status"] == "REVOKED"
    html = await issuer.get(issued["verify_url"], headers={"Accept": BROWSER_ACCEPT})
    assert "Certificado revocado" in html.text

    again = await issuer.post(url, json=reason, headers=authorities.admin.headers)
    assert again.status_code == 409
    unknown = await issuer.post(
        f"/v1/certificates/{uuid.uuid4()}/revocation",
        json=reason,
        headers=authorities.admin.headers,
    )
    assert unknown.status_code == 404


async def test_the_database_keeps_certificates_unchanged(
    issued: dict[str, Any], issuer_session: AsyncSession
) -> None:
    statements = [
        delete(Certificate).where(Certificate.id == issued["certificate_id"]),
        update(Certificate)
        .where(Certificate.id == issued["certificate_id"])
        .values(movement_count=99),
    ]
    for statement in statements:
        # The service role lacks the privilege; the owner would meet the trigger.
        with pytest.raises(DBAPIError, match=r"permission denied|not allowed|only the revocation"):
            async with issuer_session.begin_nested():
                await issuer_session.execute(statement)

"""Oficios sent as signed PDFs: only an intact signature from a trusted CA passes."""

from __future__ import annotations

import hashlib
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.models import CertificateRequest
from tests.issuer.conftest import Authorities, AuthorityPki, IssuerFactory
from tests.issuer.helpers import (
    b64,
    certificate_request,
    plain_pdf,
    signed_oficio_for,
    signed_oficio_pdf,
)


async def _post(
    issuer: AsyncClient,
    authorities: Authorities,
    pdf_base64: str | None,
    body: dict[str, Any] | None = None,
) -> Any:
    body = body or certificate_request()
    body["oficio"]["pdf_base64"] = pdf_base64
    return await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )


def _codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


async def test_oficio_signed_by_a_trusted_authority_is_accepted(
    issuer: AsyncClient,
    authorities: Authorities,
    authority_pki: AuthorityPki,
    issuer_session: AsyncSession,
) -> None:
    body = certificate_request()
    pdf = await signed_oficio_for(authority_pki.judge, body)
    response = await _post(issuer, authorities, b64(pdf), body)
    assert response.status_code == 201, response.text

    stored = await issuer_session.scalar(
        select(CertificateRequest).where(CertificateRequest.id == response.json()["request_id"])
    )
    assert stored is not None
    # The PDF is identified by its hash; it is not kept in the request's record.
    assert stored.oficio_pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert "pdf_base64" not in stored.oficio


async def test_base64_wrapped_at_76_columns_is_fine(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    body = certificate_request()
    encoded = b64(await signed_oficio_for(authority_pki.judge, body))
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert (await _post(issuer, authorities, wrapped, body)).status_code == 201


async def test_tampered_oficio_is_rejected(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    pdf = await signed_oficio_pdf(authority_pki.judge, text="Oficio por 100 dias")
    tampered = pdf.replace(b"Oficio por 100 dias", b"Oficio por 900 dias")
    assert tampered != pdf
    response = await _post(issuer, authorities, b64(tampered))
    assert response.status_code == 422
    assert _codes(response) == ["OFICIO_SIGNATURE_INVALID"]


async def test_unsigned_untrusted_and_garbage_are_rejected(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    rogue = await signed_oficio_pdf(authority_pki.rogue)
    for pdf_base64 in (b64(plain_pdf()), b64(rogue), "%%% no es base64 %%%", b64(b"hola"), ""):
        response = await _post(issuer, authorities, pdf_base64)
        assert response.status_code == 422, pdf_base64[:20]
        assert _codes(response) == ["OFICIO_SIGNATURE_INVALID"]


async def test_required_signature_without_pdf(
    issuer_factory: IssuerFactory, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    async with issuer_factory(require_signed_oficio=True) as (_, issuer):
        without = await _post(issuer, authorities, None)
        assert without.status_code == 422
        assert _codes(without) == ["OFICIO_SIGNATURE_INVALID"]

        body = certificate_request()
        pdf = await signed_oficio_for(authority_pki.judge, body)
        signed = await _post(issuer, authorities, b64(pdf), body)
        assert signed.status_code == 201, signed.text

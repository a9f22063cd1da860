"""Shared by the verification page's tests (ASGI and browser): issue a real certificate."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def issue_certificate(
    issuer: AsyncClient,
    registry: AsyncClient,
    *,
    terminal: dict[str, str],
    authority: dict[str, str],
    oficio: dict[str, Any] | None = None,
    movements: int = 2,
) -> dict[str, Any]:
    """Through the API, as an authority does: the certificate's JSON plus ``cedula``,
    ``oficio_number`` and the signed ``pdf``."""
    cedula = fresh_cedula()
    await seed_history(registry, terminal, national_id=cedula, count=movements)
    body = certificate_request(national_id=cedula, oficio=oficio)
    response = await issuer.post("/v1/certificate-requests", json=body, headers=authority)
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]
    pdf = await issuer.get(certificate["pdf_url"], headers=authority)
    assert pdf.status_code == 200, pdf.text
    return {**certificate, "cedula": cedula, "oficio_number": body["oficio"]["number"],
            "pdf": pdf.content}  # fmt: skip

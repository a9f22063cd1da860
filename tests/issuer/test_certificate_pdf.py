"""The issued PDF itself: signature (pyHanko), text (pypdf) and QR code (pdfium + zxing)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import anyio
import pypdfium2 as pdfium
import zxingcpp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from httpx import AsyncClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import (
    CONTROL_POINT_NAMES,
    certificate_request,
    fresh_cedula,
    seed_history,
)


async def _issue(issuer: AsyncClient, authorities: Authorities, body: dict[str, Any]) -> Any:
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]
    pdf = await issuer.get(certificate["pdf_url"], headers=authorities.fiscalia.headers)
    return certificate, pdf.content


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)


async def test_signed_text_and_qr(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> None:
    cedula = fresh_cedula()
    await seed_history(
        registry_committing,
        committed_tokens.terminal,
        national_id=cedula,
        count=5,
        surnames="ZAMBRANO VELEZ",
        given_names="CARLOS ANDRES",
    )
    # The oficio's name must share a surname with the registry's (SUBJECT_NAME_MISMATCH).
    body = certificate_request(subject={"national_id": cedula, "full_name": "CARLOS ZAMBRANO"})
    certificate, pdf = await _issue(issuer, authorities, body)

    # Signature: intact, trusted against the CA we publish, certifying with NO_CHANGES.
    ca_pem = await issuer.get("/v1/signing-certificates")
    assert ca_pem.status_code == 200
    assert ca_pem.headers["content-type"] == "application/x-pem-file"
    ca = x509.load_pem_x509_certificate(ca_pem.content)

    def validate() -> tuple[Any, Any]:
        reader = PdfFileReader(BytesIO(pdf))
        [signature] = reader.embedded_signatures
        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(ca.public_bytes(Encoding.DER))]
        )
        return validate_pdf_signature(signature, context), signature

    status, signature = await anyio.to_thread.run_sync(validate)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert signature.docmdp_level == MDPPerm.NO_CHANGES

    # Text: extractable, with what a judge looks for.
    text = _text(pdf)
    assert "CERTIFICADO DE MOVIMIENTOS MIGRATORIOS" in text
    assert certificate["number"] in text
    assert "ZAMBRANO VELEZ CARLOS ANDRES" in text
    assert f"Cédula {cedula}" in text
    assert body["oficio"]["number"] in text
    assert "ENTRADA" in text and "SALIDA" in text
    for name in CONTROL_POINT_NAMES.values():
        assert name in text
    assert certificate["verification_code"] in text
    assert "Total de movimientos: 5" in text

    # QR: decodes to the verify URL, followed by the seal (tests/issuer/test_seal.py).
    def qr() -> list[str]:
        page = pdfium.PdfDocument(pdf)[0]
        image = page.render(scale=4).to_pil()
        return [r.text for r in zxingcpp.read_barcodes(image)]

    [scanned] = await anyio.to_thread.run_sync(qr)
    assert scanned.startswith(certificate["verify_url"] + "#CMM1:")


async def test_unknown_person_reads_no_registra_movimientos(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request(subject={"national_id": fresh_cedula(), "full_name": "Ana Nadie"})
    _, pdf = await _issue(issuer, authorities, body)
    text = _text(pdf)
    assert "NO REGISTRA MOVIMIENTOS MIGRATORIOS" in text
    assert "ANA NADIE" in text

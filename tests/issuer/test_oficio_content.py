"""The signed oficio must say what the request says: its number and the subject's identity
number, read from the text the signature covers (OFICIO_CONTENT_MISMATCH)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import anyio
import pytest
from httpx import AsyncClient
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from services.issuer.oficios.content import content_errors, normalise
from services.issuer.oficios.schemas import CertificateRequestIn
from services.issuer.signing import sign_pdf
from tests.issuer.conftest import Authorities, AuthorityPki
from tests.issuer.helpers import (
    certificate_request,
    fresh_cedula,
    letter_lines,
    signed_letter,
    with_signed_pdf,
)


async def _post(issuer: AsyncClient, authorities: Authorities, body: dict[str, Any]) -> Any:
    return await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )


def _codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def _dashed(cedula: str) -> str:
    return f"{cedula[:9]}-{cedula[9]}"


async def test_an_oficio_naming_the_subject_passes_and_shows_its_signer(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    body = certificate_request()
    number, cedula = body["oficio"]["number"], body["subject"]["national_id"]
    # As letters write them: the number spaced out, the cédula with its dash.
    spaced = number.replace("-", " - ").lower()
    pdf = await signed_letter(authority_pki.judge, letter_lines(spaced, _dashed(cedula)))
    response = await _post(issuer, authorities, with_signed_pdf(body, pdf))
    assert response.status_code == 201, response.text

    view = await issuer.get(
        f"/v1/certificate-requests/{response.json()['request_id']}",
        headers=authorities.fiscalia.headers,
    )
    signature = view.json()["oficio"]["signature"]
    assert signature["signer"] == "Dra. Ana Torres (PRUEBAS)"
    assert signature["signer_certificate_issuer"] == "CA de Pruebas de la Judicatura"
    assert signature["signed_at"]
    assert signature["certification_path"] == [
        "CA de Pruebas de la Judicatura",
        "Dra. Ana Torres (PRUEBAS)",
    ]
    # The test CA names no CRL or OCSP responder: said so, not passed silently.
    assert signature["revocation"]["status"] == "NOT_DECLARED"


async def test_an_oficio_about_someone_else_is_refused(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    body = certificate_request()
    other = fresh_cedula()
    pdf = await signed_letter(authority_pki.judge, letter_lines(body["oficio"]["number"], other))
    response = await _post(issuer, authorities, with_signed_pdf(body, pdf))
    assert response.status_code == 422, response.text
    assert _codes(response) == ["OFICIO_CONTENT_MISMATCH"]
    assert body["subject"]["national_id"] in response.json()["errors"][0]["message"]


async def test_another_oficio_number_is_refused_with_the_other_failures(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    body = certificate_request(oficio={"case_number": "CAUSA-12"})
    cedula = body["subject"]["national_id"]
    pdf = await signed_letter(authority_pki.judge, letter_lines("FGE-FPP-2020-000001-O", cedula))
    response = await _post(issuer, authorities, with_signed_pdf(body, pdf))
    assert response.status_code == 422
    assert _codes(response) == ["CASE_NUMBER_INVALID", "OFICIO_CONTENT_MISMATCH"]


def _append_text(pdf: bytes, text: str) -> bytes:
    """An incremental update after signing that writes ``text`` onto the first page."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = writer.root["/Pages"].raw_get("/Kids")[0]
    page = page_ref.get_object()
    escaped = text.replace("(", r"\(").replace(")", r"\)")
    extra = writer.add_object(
        generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 200 Td ({escaped}) Tj ET".encode())
    )
    contents = page.raw_get("/Contents")
    page["/Contents"] = generic.ArrayObject([contents, extra])
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_text_appended_after_signing_cannot_change_the_outcome(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    body = certificate_request()
    number, cedula = body["oficio"]["number"], body["subject"]["national_id"]
    about_someone_else = await signed_letter(
        authority_pki.judge, letter_lines(number, fresh_cedula())
    )
    updated = _append_text(about_someone_else, f"Oficio {number} cedula {cedula}")
    assert updated.startswith(about_someone_else)
    # A reader of the whole file sees the appended name: the update does say it...
    whole_text = "".join(p.extract_text() for p in PdfReader(BytesIO(updated)).pages)
    assert cedula in whole_text

    response = await _post(issuer, authorities, with_signed_pdf(body, updated))
    # ...but only what was signed counts.
    assert response.status_code == 422
    assert "OFICIO_CONTENT_MISMATCH" in _codes(response)
    assert "OFICIO_SIGNATURE_INVALID" in _codes(response)  # changed after signing


async def test_an_update_after_signing_an_oficio_about_the_subject_is_still_refused(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    body = certificate_request()
    lines = letter_lines(body["oficio"]["number"], body["subject"]["national_id"])
    updated = _append_text(await signed_letter(authority_pki.judge, lines), "y otras personas")
    response = await _post(issuer, authorities, with_signed_pdf(body, updated))
    assert response.status_code == 422
    assert _codes(response) == ["OFICIO_SIGNATURE_INVALID"]


def _image_only_pdf() -> bytes:
    scan = Image.new("L", (400, 200), color=255)
    ImageDraw.Draw(scan).rectangle((40, 40, 360, 160), outline=0, width=4)
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawImage(ImageReader(scan), 72, 500, width=400, height=200)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


async def test_a_scanned_image_only_oficio_is_refused_saying_why(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    def sign() -> bytes:
        return sign_pdf(_image_only_pdf(), authority_pki.judge, certify=False, field_name="F")

    body = with_signed_pdf(certificate_request(), await anyio.to_thread.run_sync(sign))
    response = await _post(issuer, authorities, body)
    assert response.status_code == 422
    assert _codes(response) == ["OFICIO_CONTENT_MISMATCH"]
    assert "no text" in response.json()["errors"][0]["message"]


async def test_a_passport_subject_is_named_by_its_document_number(
    issuer: AsyncClient, authorities: Authorities, authority_pki: AuthorityPki
) -> None:
    subject = {"document_type": "PASSPORT", "document_number": "AQ 123987",
               "issuing_country": "COL", "full_name": "CARLOS ZAMBRANO"}  # fmt: skip
    body = certificate_request(subject=subject)
    lines = letter_lines(body["oficio"]["number"], "pasaporte colombiano AQ-123.987")
    body = with_signed_pdf(body, await signed_letter(authority_pki.judge, lines))
    response = await _post(issuer, authorities, body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nro. FGE-FPP-2025-001234-O", "NROFGEFPP2025001234O"),
        ("cédula 171003406-5", "CEDULA1710034065"),
        ("Pérez  Gómez\n. – ñ", "PEREZGOMEZN"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_content_rule_on_its_own() -> None:
    request = CertificateRequestIn.model_validate(
        certificate_request(subject={"national_id": "1710034065"})
    )
    number = request.oficio.number
    assert content_errors(request, f"Oficio {number}, C.I. 171.003.406-5") == []
    assert [e.code for e in content_errors(request, f"Oficio {number}")] == [
        "OFICIO_CONTENT_MISMATCH"
    ]
    assert "no text" in content_errors(request, " \n ")[0].message

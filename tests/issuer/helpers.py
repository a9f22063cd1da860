"""Builders for issuer tests: oficios valid by default, authorities, registry seeding."""

from __future__ import annotations

import base64
import contextlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import anyio
from httpx import AsyncClient
from reportlab.pdfgen import canvas
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.authorities.service import create_authority, create_staff_token
from services.issuer.clock import today_in_ecuador
from services.issuer.signing import SigningIdentity, sign_pdf
from tests.support.factories import a_cedula, at, movement

CONTROL_POINT_NAMES = {
    "AIR-UIO": "Aeropuerto Internacional Mariscal Sucre (Quito)",
    "LAND-RUMICHACA": "Puente Internacional de Rumichaca (Tulcán)",
    "AIR-GYE": "Aeropuerto Internacional José Joaquín de Olmedo (Guayaquil)",
}


@dataclass(frozen=True)
class AuthorityCredentials:
    authority_id: uuid.UUID
    name: str
    headers: dict[str, str]


async def make_staff(session: AsyncSession) -> AuthorityCredentials:
    """A staff token (scope admin): not an authority, so its authority_id is a stand-in."""
    created = await create_staff_token(session, name=f"Personal de pruebas {uuid.uuid4().hex[:8]}")
    return AuthorityCredentials(
        created.token_id, created.name, {"Authorization": f"Bearer {created.token}"}
    )


async def make_authority(
    session: AsyncSession,
    *,
    name: str | None = None,
    kind: str = "PROSECUTOR_OFFICE",
    oficio_pattern: str | None = None,
    scopes: str = "certificates:request",
) -> AuthorityCredentials:
    created = await create_authority(
        session,
        name=name or f"Fiscalía de Pruebas {uuid.uuid4().hex[:8]}",
        kind=kind,
        oficio_pattern=oficio_pattern,
        scopes=scopes,
    )
    return AuthorityCredentials(
        created.authority_id, created.authority_name, {"Authorization": f"Bearer {created.token}"}
    )


def fresh_cedula() -> str:
    """A valid cédula nobody else in this test session uses (the registry DB is shared)."""
    while True:
        # Not every 9-digit body has a valid check digit; a_cedula raises then.
        with contextlib.suppress(StopIteration):
            return a_cedula(secrets.randbelow(10_000_000))


def oficio_number(today: date | None = None) -> str:
    year = (today or today_in_ecuador()).year
    return f"FGE-FPP-{year}-{secrets.randbelow(10**6):06d}-O"


def certificate_request(
    *,
    national_id: str | None = None,
    oficio: dict[str, Any] | None = None,
    subject: dict[str, Any] | None = None,
    period: dict[str, Any] | None = None,
) -> dict[str, Any]:
    today = today_in_ecuador()
    body: dict[str, Any] = {
        "oficio": {
            "number": oficio_number(today),
            "date": today.isoformat(),
            "addressee": "Subsecretaría de Migración",
            "signatory_name": "Dra. Ana Torres",
            "signatory_role": "Fiscal",
            "case_number": "17282-2025-00123",
            "pdf_base64": None,
        },
        "subject": {
            "national_id": national_id or fresh_cedula(),
            "full_name": "MARIA JOSE PEREZ GOMEZ",
        },
    }
    body["oficio"].update(oficio or {})
    if subject is not None:
        body["subject"] = subject
    if period is not None:
        body["period"] = period
    return body


def days_ago(days: int) -> str:
    return (today_in_ecuador() - timedelta(days=days)).isoformat()


async def seed_history(
    registry: AsyncClient,
    terminal: dict[str, str],
    *,
    national_id: str,
    count: int,
    surnames: str = "PEREZ GOMEZ",
    given_names: str = "MARIA JOSE",
) -> list[dict[str, Any]]:
    """``count`` alternating EXIT/ENTRY movements, a week apart from 2020 on, over three
    control points; posted as one batch. Returns the stored movements' bodies."""
    points = list(CONTROL_POINT_NAMES)
    traveller = {"national_id": national_id, "surnames": surnames, "given_names": given_names,
                 "document_number": f"P{national_id}"}  # fmt: skip
    bodies = []
    for i in range(count):
        exit_ = i % 2 == 0
        bodies.append(
            movement(
                direction="EXIT" if exit_ else "ENTRY",
                occurred_at=at(7 * i),
                control_point=points[i % len(points)],
                traveller=traveller,
                origin_country=None if exit_ else "COL",
                destination_country="COL" if exit_ else None,
            )
        )
    response = await registry.post(
        "/v1/movements/batch", json={"movements": bodies}, headers=terminal
    )
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["created"] == count, response.text
    return bodies


def plain_pdf(text: str = "Oficio de prueba") -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


async def signed_oficio_pdf(signer: SigningIdentity, text: str = "Oficio firmado") -> bytes:
    """An oficio PDF with an approval signature, as an authority's system sends it."""

    def sign() -> bytes:
        return sign_pdf(plain_pdf(text), signer, certify=False, field_name="FirmaAutoridad")

    return await anyio.to_thread.run_sync(sign)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def oficio_letter_pdf(lines: list[str]) -> bytes:
    """An oficio as a document system renders it: lines of text on an A4 page."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    y = 760
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 18
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def letter_lines(number: str, identity: str, name: str = "MARÍA JOSÉ PÉREZ GÓMEZ") -> list[str]:
    return [
        "FISCALÍA GENERAL DEL ESTADO",
        f"Oficio Nro. {number}",
        "Señores Subsecretaría de Migración",
        "Solicito el certificado de movimientos migratorios de",
        f"{name}, con cédula de ciudadanía No. {identity}.",
        "Dra. Ana Torres, Fiscal",
    ]


async def signed_letter(signer: SigningIdentity, lines: list[str]) -> bytes:
    def sign() -> bytes:
        return sign_pdf(oficio_letter_pdf(lines), signer, certify=False, field_name="Firma")

    return await anyio.to_thread.run_sync(sign)


async def signed_oficio_for(signer: SigningIdentity, body: dict[str, Any]) -> bytes:
    """A signed oficio naming the body's oficio number and subject, as its rule demands."""
    subject = body["subject"]
    identity = subject.get("national_id") or subject.get("document_number")
    return await signed_letter(signer, letter_lines(body["oficio"]["number"], identity))


def with_signed_pdf(body: dict[str, Any], pdf: bytes) -> dict[str, Any]:
    body["oficio"]["pdf_base64"] = b64(pdf)
    return body

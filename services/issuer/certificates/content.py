"""From a registry history to what the certificate PDF shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.issuer.certificates.rendering import CertificateContent, CertificateMovement
from services.issuer.registry_client import History, Movement

_DOCUMENT_LABELS = {
    "PASSPORT": "PASAPORTE",
    "NATIONAL_ID": "CÉDULA",
    "TRAVEL_DOCUMENT": "DOC. DE VIAJE",
    "OTHER": "OTRO DOC.",
}
SUBJECT_DOCUMENT_LABELS = {
    "PASSPORT": "Pasaporte",
    "NATIONAL_ID": "Documento de identidad",
    "TRAVEL_DOCUMENT": "Documento de viaje",
    "OTHER": "Documento",
}
_TRANSPORT_LABELS = {"AIR": "AÉREO", "SEA": "MARÍTIMO", "LAND": "TERRESTRE"}
UNKNOWN_NAME = "—"


def certifiable(history: History) -> list[Movement]:
    """Annulled movements stay in the registry's history but never reach a certificate."""
    return [m for m in history.movements if m.annulment is None]


def subject_name(history: History, subject: dict[str, Any]) -> str:
    """The registry's name for the person; the oficio's when the registry does not know them."""
    if history.person is not None:
        return f"{history.person.surnames} {history.person.given_names}".strip()
    return str(subject.get("full_name") or UNKNOWN_NAME).upper()


def subject_identity(subject: dict[str, Any]) -> str:
    """The identity the oficio asked about, as it reads on the certificate."""
    if subject.get("national_id"):
        return f"Cédula {subject['national_id']}"
    label = SUBJECT_DOCUMENT_LABELS.get(str(subject.get("document_type")), "Documento")
    return f"{label} {subject.get('issuing_country', '')} {subject.get('document_number', '')}"


def _movement(movement: Movement, control_points: dict[str, str]) -> CertificateMovement:
    traveller = movement.traveller
    document = " ".join(
        (
            _DOCUMENT_LABELS.get(traveller.document_type, traveller.document_type),
            traveller.issuing_country,
            traveller.document_number,
        )
    )
    transport = None
    if movement.transport is not None:
        parts = [_TRANSPORT_LABELS.get(movement.transport.mode, movement.transport.mode)]
        parts.append(movement.transport.number or movement.transport.carrier or "")
        transport = " ".join(p for p in parts if p)
    entry = movement.direction == "ENTRY"
    return CertificateMovement(
        occurred_at=movement.occurred_at,
        direction=movement.direction,
        # A code the catalog does not know yet still identifies the crossing.
        control_point_name=control_points.get(movement.control_point, movement.control_point),
        document=document,
        other_country=movement.origin_country if entry else movement.destination_country,
        transport=transport,
    )


def certificate_content(
    *,
    number: str,
    issued_at: datetime,
    authority_name: str,
    oficio: dict[str, Any],
    subject: dict[str, Any],
    period_from: date | None,
    period_to: date,
    history: History,
    movements: list[Movement],
    control_points: dict[str, str],
    verification_code: str,
    verify_url: str,
    stay_summary_lines: list[str] | None = None,
) -> CertificateContent:
    return CertificateContent(
        number=number,
        issued_at=issued_at,
        authority_name=authority_name,
        oficio_number=oficio["number"],
        oficio_date=date.fromisoformat(oficio["date"]),
        case_number=oficio.get("case_number"),
        subject_full_name=subject_name(history, subject),
        subject_identity=subject_identity(subject),
        subject_nationality=history.person.nationality if history.person else None,
        period_from=period_from,
        period_to=period_to,
        movements=[_movement(m, control_points) for m in movements],
        verification_code=verification_code,
        verify_url=verify_url,
        stay_summary_lines=stay_summary_lines or (),
    )

"""Sealing a certificate at issuance: its content → claims → the QR code's seal."""

from __future__ import annotations

from typing import Any

from services.issuer.certificates.rendering import CertificateContent, printed_movement_rows
from services.issuer.verify.service import mask_identification, mask_name

from .claims import SealClaims, table_digest
from .codec import encode_seal
from .keys import SealSigningKey


def claims_for(content: CertificateContent, subject: dict[str, Any]) -> SealClaims:
    """What the printed certificate says, masked as ``GET /v1/verify`` masks it."""
    return SealClaims(
        number=content.number,
        issued_at=int(content.issued_at.timestamp()),
        authority=content.authority_name,
        oficio_number=content.oficio_number,
        subject=mask_name(content.subject_full_name),
        identification=mask_identification(subject),
        period_from=content.period_from,
        period_to=content.period_to,
        movement_count=len(content.movements),
        table_sha=table_digest(printed_movement_rows(content.movements)),
    )


def seal_for(content: CertificateContent, subject: dict[str, Any], key: SealSigningKey) -> str:
    return encode_seal(claims_for(content, subject), key)

"""One builder per answer shape: a request looks the same in POST, GET one, the list and
the callback payload."""

from __future__ import annotations

from typing import Any

from services.issuer.certificate_requests.schemas import (
    CertificateOut,
    CertificateRequestOut,
    NotificationOut,
    OficioOut,
    RuleError,
)
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.models import Certificate, CertificateRequest, Notification


def certificate_out(issuer: CertificateIssuer, certificate: Certificate) -> CertificateOut:
    return CertificateOut(
        certificate_id=certificate.id,
        number=certificate.number,
        verification_code=certificate.verification_code,
        issued_at=certificate.issued_at,
        movement_count=certificate.movement_count,
        sha256=certificate.sha256,
        pdf_url=issuer.pdf_url(certificate.id),
        verify_url=issuer.verify_url(certificate.verification_code),
        stay_summary=certificate.stay_summary,
    )


def oficio_out(stored: CertificateRequest) -> OficioOut:
    oficio: dict[str, Any] = dict(stored.oficio)
    return OficioOut.model_validate(
        {
            **oficio,
            "pdf_sha256": stored.oficio_pdf_sha256,
            "signature": stored.oficio_signature,
        }
    )


def request_out(
    issuer: CertificateIssuer,
    stored: CertificateRequest,
    certificate: Certificate | None,
    notification: Notification | None = None,
) -> CertificateRequestOut:
    return CertificateRequestOut(
        request_id=stored.id,
        status=stored.status,  # constrained by a CHECK
        oficio_number=stored.oficio_number,
        oficio=oficio_out(stored),
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        errors=[RuleError.model_validate(e) for e in stored.errors],
        certificate=certificate_out(issuer, certificate) if certificate else None,
        notification=NotificationOut(status=notification.status, attempts=notification.attempts)
        if notification
        else None,
    )

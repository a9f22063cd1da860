"""Public verification: what anyone holding a certificate (or its code) may learn."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import partial

import anyio
from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.certificates.codes import normalise_verification_code
from services.issuer.certificates.content import SUBJECT_DOCUMENT_LABELS
from services.issuer.certificates.repository import CertificateRepository
from services.issuer.models import Certificate
from services.issuer.signing import validate_signed_pdf
from services.issuer.verify.schemas import (
    CertificateStatus,
    MaskedSubject,
    PdfCheckOut,
    VerificationOut,
)
from shared.errors import NotFound, ServiceUnavailable
from shared.logging import mask

# POST /v1/verify is public and each check is CPU-bound pyHanko work on untrusted bytes:
# at most two at a time, so a burst of uploads queues instead of taking every worker
# thread and the CPU from certificate issuance; and at most a few waiting, so a flood
# is told to come back (503) instead of piling up requests and their bodies in memory.
PUBLIC_SIGNATURE_CHECKS = anyio.CapacityLimiter(2)
MAX_WAITING_CHECKS = 8


class VerificationCodeNotFound(NotFound):
    type_slug = "verification-code-not-found"
    title = "No certificate has that verification code"


def mask_name(full_name: str) -> str:
    """``MARIA JOSE PEREZ GOMEZ`` → ``M**** J*** P**** G****``: recognisable to someone
    who knows the person, useless to someone who does not."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in full_name.split())


def mask_identification(subject: dict[str, str]) -> str:
    if subject.get("national_id"):
        return f"Cédula {mask(subject['national_id'])}"
    label = SUBJECT_DOCUMENT_LABELS.get(subject.get("document_type", ""), "Documento")
    number = mask(subject.get("document_number", ""))
    return f"{label} {subject.get('issuing_country', '')} {number}"


def status_of(certificate: Certificate) -> CertificateStatus:
    return "REVOKED" if certificate.revoked_at is not None else "VALID"


async def verification(session: AsyncSession, code: str) -> VerificationOut:
    normalised = normalise_verification_code(code)
    found = None
    if normalised is not None:
        found = await CertificateRepository(session).by_verification_code(normalised)
    if found is None:
        raise VerificationCodeNotFound(f"No certificate has the verification code {code!r}.")
    certificate, certificate_request, _authority = found
    return VerificationOut(
        status=status_of(certificate),
        number=certificate.number,
        issued_at=certificate.issued_at,
        authority=certificate.authority_name,
        oficio_number=certificate_request.oficio_number,
        subject=MaskedSubject(
            full_name=mask_name(certificate.subject_name),
            identification=mask_identification(certificate_request.subject),
        ),
        movement_count=certificate.movement_count,
        sha256=certificate.sha256,
        revoked_at=certificate.revoked_at,
    )


async def check_pdf(
    session: AsyncSession,
    pdf: bytes,
    *,
    ca_certificates: Sequence[x509.Certificate],
    timestamp_roots: Sequence[x509.Certificate] = (),
) -> PdfCheckOut:
    if PUBLIC_SIGNATURE_CHECKS.statistics().tasks_waiting >= MAX_WAITING_CHECKS:
        raise ServiceUnavailable("Too many PDFs are being checked; try again.", retry_after=2)
    # The CPU work first, with no database connection held: uploads waiting for a slot
    # must not starve the other endpoints of connections. Checked even without a match:
    # it tells a forged or altered copy from a foreign file.
    signature = await anyio.to_thread.run_sync(
        partial(
            validate_signed_pdf,
            pdf,
            list(ca_certificates),
            require_certification=True,
            timestamp_roots=list(timestamp_roots),
        ),
        limiter=PUBLIC_SIGNATURE_CHECKS,
    )
    certificate = await CertificateRepository(session).by_sha256(hashlib.sha256(pdf).hexdigest())
    return PdfCheckOut(
        match=certificate is not None,
        status=status_of(certificate) if certificate else None,
        number=certificate.number if certificate else None,
        signature_valid=signature.valid,
    )

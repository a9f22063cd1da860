"""Receiving an oficio: idempotency, every rule, then issue now or keep it PENDING."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer import metrics
from services.issuer.certificate_requests.repository import CertificateRequestRepository
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.models import Authority, Certificate, CertificateRequest
from services.issuer.oficios.schemas import CertificateRequestIn
from services.issuer.oficios.signature import check_oficio_signature, decode_oficio_pdf
from services.issuer.oficios.validation import validate_request
from services.issuer.registry_client import RegistryUnavailable
from shared.errors import Conflict, NotFound
from shared.identity import IdentityQuery

log = logging.getLogger(__name__)

Outcome = Literal["ISSUED", "PENDING", "REJECTED", "EXISTING"]


class OficioNumberConflict(Conflict):
    type_slug = "oficio-number-conflict"
    title = "This oficio number was already sent with different content"


class CertificateRequestNotFound(NotFound):
    type_slug = "certificate-request-not-found"
    title = "No certificate request with that id"


@dataclass(frozen=True, slots=True)
class Submission:
    outcome: Outcome
    certificate_request: CertificateRequest
    certificate: Certificate | None = None


async def submit(
    session: AsyncSession,
    body: CertificateRequestIn,
    *,
    authority: Authority,
    issuer: CertificateIssuer,
    today: date,
    request_id: str | None,
) -> Submission:
    requests = CertificateRequestRepository(session)
    oficio_pdf = None
    if body.oficio.pdf_base64 is not None:
        oficio_pdf = decode_oficio_pdf(body.oficio.pdf_base64)
    content_sha256 = body.content_sha256(oficio_pdf.sha256 if oficio_pdf else None)

    # A re-send is answered from what is stored, before any (costly) checking.
    existing = await requests.by_oficio(authority.id, body.oficio.number)
    if existing is not None:
        return await _resend(session, existing, content_sha256)

    signature_check = None
    if oficio_pdf is not None:
        signature_check = await check_oficio_signature(oficio_pdf, issuer.keys.oficio_trust_roots)
    errors = validate_request(
        body,
        authority=authority,
        today=today,
        settings=issuer.settings,
        signature_check=signature_check,
    )
    subject = body.subject_record()
    if not errors:
        # Stored as the registry knows it (upper case, no spaces), ready for the search.
        identity = IdentityQuery.model_validate(body.subject.identity())
        subject.update(identity.model_dump(exclude_none=True))
    created = await requests.insert_if_absent(
        authority_id=authority.id,
        oficio_number=body.oficio.number,
        oficio=body.oficio_record(),
        oficio_pdf_sha256=oficio_pdf.sha256 if oficio_pdf else None,
        subject=subject,
        period_from=body.period.from_ if body.period else None,
        period_to=(body.period.to if body.period else None) or today,
        status="REJECTED" if errors else "PENDING",
        errors=[e.as_dict() for e in errors],
        content_sha256=content_sha256,
        request_id=request_id,
    )
    if created is None:  # a concurrent twin got there first; it committed before we could
        existing = await requests.by_oficio(authority.id, body.oficio.number)
        assert existing is not None
        return await _resend(session, existing, content_sha256)

    if errors:
        for error in errors:
            metrics.REQUESTS_REJECTED.labels(error.code).inc()
        return Submission("REJECTED", created)
    try:
        certificate = await issuer.issue(session, created, authority_name=authority.name)
    except RegistryUnavailable as exc:
        log.warning("registry unavailable; request kept PENDING", extra={"error": str(exc)})
        await requests.record_failure(created.id, str(exc))
        metrics.REQUESTS_PENDING.inc()
        return Submission("PENDING", created)
    metrics.CERTIFICATES_ISSUED.labels("online").inc()
    return Submission("ISSUED", created, certificate)


async def _resend(
    session: AsyncSession, existing: CertificateRequest, content_sha256: str
) -> Submission:
    if existing.content_sha256 != content_sha256:
        raise OficioNumberConflict(
            f"Oficio {existing.oficio_number} was already sent with different content "
            f"(request {existing.id}); a new request needs a new oficio."
        )
    found = await CertificateRequestRepository(session).owned(existing.id, existing.authority_id)
    assert found is not None
    return Submission("EXISTING", found[0], found[1])


async def get_owned(
    session: AsyncSession, request_id: UUID, *, authority_id: UUID
) -> tuple[CertificateRequest, Certificate | None]:
    found = await CertificateRequestRepository(session).owned(request_id, authority_id)
    if found is None:
        # Another authority's request is as invisible as a missing one.
        raise CertificateRequestNotFound(f"No certificate request {request_id}.")
    return found

"""Receiving an oficio: idempotency, every rule, then issue now or keep it PENDING."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer import metrics
from services.issuer.certificate_requests.repository import (
    CertificateRequestRepository,
    RequestRow,
    lease_end,
)
from services.issuer.certificates.issuance import RequestRejected, Sessions, release
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.clock import now
from services.issuer.models import Authority, Certificate, CertificateRequest, Notification
from services.issuer.oficios.names import name_errors
from services.issuer.oficios.schemas import CertificateRequestIn
from services.issuer.oficios.signature import check_oficio_signature, decode_oficio_pdf
from services.issuer.oficios.signed_pdf import OficioPdfCheck
from services.issuer.oficios.validation import validate_request
from services.issuer.registry_client import RegistryUnavailable
from shared.errors import Conflict, FieldError, NotFound
from shared.identity import IdentityQuery
from shared.pagination import decode_cursor, encode_cursor, invalid_cursor

log = logging.getLogger(__name__)

Outcome = Literal["ISSUED", "PENDING", "REJECTED", "EXISTING"]

# With any of these the request is not a legitimate ask for this person's data: the
# registry is not consulted (and does not log an access) just to compare the name.
_DISQUALIFYING = frozenset(
    {
        "AUTHORITY_INACTIVE",
        "SUBJECT_ID_INVALID",
        "OFICIO_SIGNATURE_INVALID",
        "OFICIO_CONTENT_MISMATCH",
    }
)


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
    notification: Notification | None = None


async def submit(
    sessions: Sessions,
    body: CertificateRequestIn,
    *,
    authority_id: UUID,
    issuer: CertificateIssuer,
    today: date,
    request_id: str | None,
) -> Submission:
    """Receive an oficio and issue it now if possible.

    Not one transaction but several short ones (read, insert the request, then those of
    the issuance itself), with no connection held in between: while the oficio's
    signature is checked, the registry asked, the PDF rendered and signed, the request
    holds nothing another request or the pending worker needs (STYLE.md habit 19). The
    request is committed PENDING first, with a lease, so whatever happens afterwards
    (the registry down, a crash mid-issuance) the pending worker finishes it.
    """
    oficio_pdf = None
    if body.oficio.pdf_base64 is not None:
        oficio_pdf = decode_oficio_pdf(body.oficio.pdf_base64)
    content_sha256 = body.content_sha256(oficio_pdf.sha256 if oficio_pdf else None)

    async with sessions() as session:
        authority = await session.get(Authority, authority_id)
        assert authority is not None  # only authorities' tokens carry certificates:request
        # A re-send is answered from what is stored, before any (costly) checking.
        existing = await CertificateRequestRepository(session).by_oficio(
            authority.id, body.oficio.number
        )
    if existing is not None:
        return await _resend(sessions, issuer, existing, content_sha256)

    check: OficioPdfCheck | None = None
    if oficio_pdf is not None:
        check = await check_oficio_signature(oficio_pdf, issuer.keys.oficio_trust)
    errors = validate_request(
        body,
        authority=authority,
        today=today,
        settings=issuer.settings,
        signature_check=check.signature if check else None,
        signed_text=check.signed_text if check else None,
    )
    if errors:
        errors += await _name_alongside(issuer, body, errors, request_id)
    subject = body.subject_record()
    if not errors:
        # Stored as the registry knows it (upper case, no spaces), ready for the search.
        identity = IdentityQuery.model_validate(body.subject.identity())
        subject.update(identity.model_dump(exclude_none=True))
    values = {
        "authority_id": authority.id,
        "oficio_number": body.oficio.number,
        "oficio": body.oficio_record(),
        "oficio_pdf_sha256": oficio_pdf.sha256 if oficio_pdf else None,
        "oficio_signature": check.details if check else None,
        "subject": subject,
        "period_from": body.period.from_ if body.period else None,
        "period_to": (body.period.to if body.period else None) or today,
        "include_stay_summary": body.include_stay_summary,
        "status": "REJECTED" if errors else "PENDING",
        "errors": [e.as_dict() for e in errors],
        "content_sha256": content_sha256,
        "request_id": request_id,
        # The application's clock, not the transaction's: requests sent in one
        # transaction (a batch, a test) still list newest first.
        "created_at": now(),
        # Being issued right now, by this request: the pending worker keeps away.
        "claimed_until": None if errors else lease_end(issuer.settings.pending_lease_seconds),
    }
    created: CertificateRequest | None = None
    try:
        async with sessions.begin() as session:
            requests = CertificateRequestRepository(session)
            created = await requests.insert_if_absent(**values)
            if created is None:  # a concurrent twin got there first
                existing = await requests.by_oficio(authority.id, body.oficio.number)
            elif not errors:
                # Before the commit makes it visible: a re-send seeing it PENDING waits.
                issuer.in_flight[created.id] = asyncio.Event()
    except BaseException:
        if created is not None:
            issuer.in_flight.pop(created.id, None)
        raise
    if created is None:
        assert existing is not None
        return await _resend(sessions, issuer, existing, content_sha256)
    if errors:
        _count_rejection(errors)
        return Submission("REJECTED", created)
    return await _issue_now(sessions, issuer, created, authority.name)


async def _issue_now(
    sessions: Sessions, issuer: CertificateIssuer, created: CertificateRequest, authority: str
) -> Submission:
    try:
        certificate = await issuer.issue(sessions, created, authority_name=authority)
    except RegistryUnavailable as exc:
        log.warning("registry unavailable; request kept PENDING", extra={"error": str(exc)})
        await release(sessions, created.id, failure=str(exc))
        metrics.REQUESTS_PENDING.inc()
        return Submission("PENDING", created)
    except RequestRejected as rejected:
        _count_rejection(rejected.errors)
        return Submission("REJECTED", rejected.certificate_request)
    except BaseException:
        # A bug or a cancelled request: the pending worker may take it over right away
        # (a crash instead leaves the lease to expire). Shielded: it must run even when
        # this task is being cancelled.
        with anyio.CancelScope(shield=True):
            await release(sessions, created.id, failure=None)
        raise
    metrics.CERTIFICATES_ISSUED.labels("online").inc()
    return Submission("ISSUED", created, certificate)


async def _name_alongside(
    issuer: CertificateIssuer,
    body: CertificateRequestIn,
    errors: list[FieldError],
    request_id: str | None,
) -> list[FieldError]:
    """SUBJECT_NAME_MISMATCH reported with the other failures of a rejected oficio.

    A request without other failures is compared while issuing (same registry call as the
    history); this covers the rejected ones, so the authority learns every problem at once.
    Skipped when the registry cannot answer: the request is rejected anyway.
    """
    if not body.subject.full_name or any(e.code in _DISQUALIFYING for e in errors):
        return []
    identity = IdentityQuery.model_validate(body.subject.identity()).model_dump(exclude_none=True)
    try:
        person = await issuer.registry.person(
            identity, reference=body.oficio.number, request_id=request_id
        )
    except RegistryUnavailable:
        log.info("registry unavailable; name not compared on a rejected oficio")
        return []
    return name_errors(body.subject.full_name, person.surnames if person else None)


def _count_rejection(errors: list[FieldError]) -> None:
    for error in errors:
        metrics.REQUESTS_REJECTED.labels(error.code).inc()


async def _resend(
    sessions: Sessions,
    issuer: CertificateIssuer,
    existing: CertificateRequest,
    content_sha256: str,
) -> Submission:
    if existing.content_sha256 != content_sha256:
        raise OficioNumberConflict(
            f"Oficio {existing.oficio_number} was already sent with different content "
            f"(request {existing.id}); a new request needs a new oficio."
        )
    if existing.status == "PENDING":
        # Being issued in this process: answer with its outcome, not a transient PENDING.
        await issuer.wait_settled(existing.id)
    async with sessions() as session:
        found = await CertificateRequestRepository(session).owned(
            existing.id, existing.authority_id
        )
    assert found is not None
    return Submission("EXISTING", *found)


async def get_owned(session: AsyncSession, request_id: UUID, *, authority_id: UUID) -> RequestRow:
    found = await CertificateRequestRepository(session).owned(request_id, authority_id)
    if found is None:
        # Another authority's request is as invisible as a missing one.
        raise CertificateRequestNotFound(f"No certificate request {request_id}.")
    return found


@dataclass(frozen=True, slots=True)
class RequestPage:
    rows: list[RequestRow]
    next_cursor: str | None


async def list_owned(
    session: AsyncSession,
    *,
    authority_id: UUID,
    status: str | None,
    oficio_number: str | None,
    limit: int,
    cursor: str | None,
) -> RequestPage:
    after = _decode_position(cursor) if cursor else None
    rows = await CertificateRequestRepository(session).list_owned(
        authority_id, status=status, oficio_number=oficio_number, limit=limit + 1, after=after
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor({"c": last.created_at.isoformat(), "i": str(last.id)})
    return RequestPage(rows, next_cursor)


def _decode_position(cursor: str) -> tuple[datetime, UUID]:
    values = decode_cursor(cursor)
    try:
        created_at = datetime.fromisoformat(str(values["c"]))
        request_id = UUID(str(values["i"]))
    except (KeyError, ValueError):
        raise invalid_cursor() from None
    if created_at.tzinfo is None:
        raise invalid_cursor()
    return created_at, request_id

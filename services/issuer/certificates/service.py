"""Issuing a certificate: registry history → content → PDF → signature → stored.

Order matters for throughput: the registry is asked *before* a number is taken,
because taking a number locks the year's counter until the transaction commits.
Only the rendering and signing (~tens of ms, off the event loop) happen under that
lock; the network never does.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from uuid import UUID

import aiohttp
import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer import metrics
from services.issuer.certificate_requests.repository import CertificateRequestRepository
from services.issuer.certificates import content as content_
from services.issuer.certificates.codes import certificate_number, new_verification_code
from services.issuer.certificates.rendering import render_certificate
from services.issuer.certificates.repository import CertificateRepository
from services.issuer.certificates.stay_summary import stay_summary_json, stay_summary_lines
from services.issuer.clock import ECUADOR, now
from services.issuer.key_material import KeyMaterial
from services.issuer.models import Certificate, CertificateRequest
from services.issuer.oficios.names import SubjectNameMismatch, name_errors
from services.issuer.registry_client import RegistryClient, RegistryUnavailable
from services.issuer.seal.issuing import seal_for
from services.issuer.settings import IssuerSettings
from services.issuer.signing import (
    LongTermValidation,
    long_term_validation,
    sign_certificate_pdf,
)
from shared.errors import Conflict, NotFound

log = logging.getLogger(__name__)


class TimestampUnavailable(RegistryUnavailable):
    """The timestamp authority (ISSUER_TSA_URL) did not answer. Handled like a registry
    outage, which is why it subclasses it: the request stays PENDING and is retried."""

    type_slug = "timestamp-authority-unavailable"
    title = "The timestamp authority cannot be reached"


class CertificateNotFound(NotFound):
    type_slug = "certificate-not-found"
    title = "No certificate with that id"


class AlreadyRevoked(Conflict):
    type_slug = "certificate-already-revoked"
    title = "The certificate is already revoked"


@dataclass(frozen=True, slots=True)
class StageTimings:
    registry: float
    render: float
    sign: float


class CertificateIssuer:
    """Everything issuing needs besides the session: one per app, shared by the POST
    endpoint and the pending worker."""

    def __init__(
        self, *, registry: RegistryClient, keys: KeyMaterial, settings: IssuerSettings
    ) -> None:
        self.registry = registry
        self.keys = keys
        self.settings = settings
        self.last_timings: StageTimings | None = None
        # PAdES B-LTA when a timestamp authority is configured; B-B otherwise.
        self.long_term: LongTermValidation | None = None
        if settings.tsa_url:
            self.long_term = long_term_validation(
                settings.tsa_url,
                trust_roots=[*keys.ca_certificates, *keys.tsa_trust_roots],
                crls=keys.signing_crls,
                chain=keys.signer.ca_certificates,
                timeout_seconds=settings.tsa_timeout_seconds,
            )

    def pdf_url(self, certificate_id: UUID) -> str:
        return self.settings.public_url(f"/v1/certificates/{certificate_id}/pdf")

    def verify_url(self, verification_code: str) -> str:
        return self.settings.public_url(f"/v1/verify/{verification_code}")

    async def issue(
        self, session: AsyncSession, certificate_request: CertificateRequest, *, authority_name: str
    ) -> Certificate:
        """Issue and store the certificate of a PENDING request (which becomes ISSUED).

        Raises RegistryUnavailable before anything is written when the registry cannot
        answer; the caller keeps the request PENDING. Raises SubjectNameMismatch, also
        before anything is written, when the registry's person does not bear the oficio's
        name; the caller rejects the request.
        """
        started = time.perf_counter()
        subject = certificate_request.subject
        identity = {k: v for k, v in subject.items() if k != "full_name"}
        history = await self.registry.history(
            identity,
            period_from=certificate_request.period_from,
            period_to=certificate_request.period_to,
            reference=certificate_request.oficio_number,
            request_id=certificate_request.request_id,
            on_behalf_of=authority_name,
        )
        mismatch = name_errors(
            subject.get("full_name"), history.person.surnames if history.person else None
        )
        if mismatch:
            raise SubjectNameMismatch(mismatch)
        stay_summary = None
        if certificate_request.include_stay_summary:
            stay_summary = await self.registry.stays_summary(
                identity,
                on=certificate_request.period_to,
                reference=certificate_request.oficio_number,
                request_id=certificate_request.request_id,
                on_behalf_of=authority_name,
            )
        movements = content_.certifiable(history)
        control_points = await self.registry.control_point_names(
            request_id=certificate_request.request_id,
            needed={m.control_point for m in movements},
        )
        fetched = time.perf_counter()

        issued_at = now()
        year = issued_at.astimezone(ECUADOR).year
        certificates = CertificateRepository(session)
        # With a timestamp authority, signing needs the network: if it fails, the savepoint
        # gives the number back (numbers have no gaps) and the request stays PENDING.
        # The counter stays locked during that round trip: the TSA's latency bounds
        # issuance throughput (see README, "Long-term validity").
        savepoint = await session.begin_nested() if self.long_term else None
        sequence = await certificates.next_sequence(year)
        number = certificate_number(self.settings.certificate_number_prefix, year, sequence)
        verification_code = new_verification_code()
        content = content_.certificate_content(
            number=number,
            issued_at=issued_at,
            authority_name=authority_name,
            oficio=certificate_request.oficio,
            subject=subject,
            period_from=certificate_request.period_from,
            period_to=certificate_request.period_to,
            history=history,
            movements=movements,
            control_points=control_points,
            verification_code=verification_code,
            verify_url=self.verify_url(verification_code),
            stay_summary_lines=stay_summary_lines(stay_summary) if stay_summary else None,
        )
        # ECDSA over ~250 bytes: microseconds, no need to leave the loop for it.
        content = replace(content, seal=seal_for(content, subject, self.keys.seal.current))
        # CPU-bound: worker threads, so one big history never stalls other requests.
        pdf = await anyio.to_thread.run_sync(partial(render_certificate, content))
        rendered = time.perf_counter()
        try:
            signed = await anyio.to_thread.run_sync(
                partial(sign_certificate_pdf, pdf, self.keys.signer, long_term=self.long_term)
            )
        except (OSError, aiohttp.ClientError) as exc:  # TimestampRequestError is an OSError
            if savepoint is None:
                raise
            await savepoint.rollback()
            raise TimestampUnavailable(f"Timestamp authority failed: {exc}") from exc
        if savepoint is not None:
            await savepoint.commit()
        done = time.perf_counter()

        certificate = await certificates.add(
            Certificate(
                request_id=certificate_request.id,
                number=number,
                year=year,
                sequence=sequence,
                verification_code=verification_code,
                issued_at=issued_at,
                subject_name=content.subject_full_name,
                authority_name=content.authority_name,
                movement_count=len(movements),
                sha256=hashlib.sha256(signed).hexdigest(),
                pdf=signed,
                stay_summary=stay_summary_json(stay_summary) if stay_summary else None,
            )
        )
        await CertificateRequestRepository(session).mark_issued(certificate_request)
        self._observe(StageTimings(fetched - started, rendered - fetched, done - rendered))
        log.info(
            "certificate issued",
            extra={
                "certificate_number": number,
                "movement_count": len(movements),
                "request_id": certificate_request.request_id,
            },
        )
        return certificate

    def _observe(self, timings: StageTimings) -> None:
        self.last_timings = timings
        metrics.ISSUANCE_STAGE_SECONDS.labels("registry").observe(timings.registry)
        metrics.ISSUANCE_STAGE_SECONDS.labels("render").observe(timings.render)
        metrics.ISSUANCE_STAGE_SECONDS.labels("sign").observe(timings.sign)


@dataclass(frozen=True, slots=True)
class Revocation:
    certificate_id: UUID
    number: str
    revoked_at: datetime
    reason: str


async def revoke(
    session: AsyncSession, certificate_id: UUID, *, reason: str, revoked_by: UUID
) -> Revocation:
    certificates = CertificateRepository(session)
    certificate = await certificates.get(certificate_id)
    if certificate is None:
        raise CertificateNotFound(f"No certificate {certificate_id}.")
    revoked_at = await certificates.revoke(certificate_id, reason=reason, revoked_by=revoked_by)
    if revoked_at is None:
        raise AlreadyRevoked(f"Certificate {certificate.number} was revoked before.")
    metrics.REVOCATIONS.inc()
    return Revocation(certificate.id, certificate.number, revoked_at, reason)


async def owned_pdf(
    session: AsyncSession, certificate_id: UUID, *, authority_id: UUID
) -> tuple[str, bytes]:
    found = await CertificateRepository(session).owned_pdf(certificate_id, authority_id)
    if found is None:
        # Another authority's certificate is as invisible as a missing one.
        raise CertificateNotFound(f"No certificate {certificate_id}.")
    return found

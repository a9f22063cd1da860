"""Issuing a certificate: registry history → number → PDF → signature → stored.

Nothing scarce is held while waiting for something else (STYLE.md habit 19): the
registry is asked with no connection checked out; the number is taken in a short
transaction of its own (the year's counter is locked only for that); the PDF is
rendered, sealed, signed and timestamped with nothing held; a second short transaction
stores it (certificates/issuance.py). Issuances therefore overlap instead of queueing
behind one PDF at a time, and a crash between the two transactions is finished by the
pending worker with the reserved number.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

import anyio
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer import metrics
from services.issuer.certificates import content as content_
from services.issuer.certificates import render_pool
from services.issuer.certificates.issuance import OnSettled, Sessions, reserve, store
from services.issuer.certificates.repository import CertificateRepository
from services.issuer.certificates.stay_summary import stay_summary_json, stay_summary_lines
from services.issuer.key_material import KeyMaterial
from services.issuer.models import Certificate, CertificateRequest
from services.issuer.oficios.names import name_errors
from services.issuer.registry_client import (
    History,
    Movement,
    RegistryClient,
    RegistryUnavailable,
    StaySummary,
)
from services.issuer.seal.issuing import seal_for
from services.issuer.settings import IssuerSettings
from services.issuer.signing import (
    LongTermValidation,
    long_term_validation,
)
from shared.errors import Conflict, FieldError, NotFound

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
class Fetched:
    """What the registry answered for one certificate."""

    history: History
    movements: list[Movement]
    control_points: dict[str, str]
    stay_summary: StaySummary | None
    mismatch: list[FieldError]
    seconds: float


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
        # Issuances running in this process, by request id: a re-send of the oficio waits
        # for its outcome instead of answering PENDING while the PDF is being signed.
        self.in_flight: dict[UUID, asyncio.Event] = {}
        # With ISSUER_RENDER_PROCESSES=0 signing runs in threads of this process; a few at
        # a time, enough to overlap TSA round trips without starving the loop of the GIL.
        self._signing = anyio.CapacityLimiter(settings.signing_threads)
        # Otherwise the worker processes sign: they load the same key file (render_pool.py).
        self.signing_setup = render_pool.SigningSetup(
            p12_path=settings.signing_p12_path,
            p12_password=settings.signing_p12_password.get_secret_value().encode() or None,
            tsa_url=settings.tsa_url,
            tsa_timeout_seconds=settings.tsa_timeout_seconds,
            trust_roots=tuple(
                c.public_bytes(Encoding.DER) for c in (*keys.ca_certificates, *keys.tsa_trust_roots)
            ),
            signing_crls=keys.signing_crls,
        )
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
        self,
        sessions: Sessions,
        certificate_request: CertificateRequest,
        *,
        authority_name: str,
        on_settled: OnSettled | None = None,
    ) -> Certificate:
        """Issue and store the certificate of a PENDING request (which becomes ISSUED).

        No connection, row or lock is held while waiting for the registry, the TSA or
        the CPU: the registry is asked first, the number taken in a short transaction,
        the PDF rendered and signed, then stored in another short one (issuance.py).

        Raises RegistryUnavailable (TimestampUnavailable too) when the registry or the
        timestamp authority cannot answer: the request stays PENDING, keeping any number
        it reserved, for the pending worker. Raises RequestRejected, with the request
        rejected, when the registry's person does not bear the oficio's name.
        """
        self.in_flight.setdefault(certificate_request.id, asyncio.Event())
        try:
            return await self._issue(
                sessions, certificate_request, authority_name=authority_name, on_settled=on_settled
            )
        finally:
            # The first of two issuances of one request (a POST and a worker that took
            # over its expired lease) to end wakes the re-sends; they read what is stored.
            event = self.in_flight.pop(certificate_request.id, None)
            if event is not None:
                event.set()

    async def wait_settled(self, request_id: UUID) -> None:
        """Until an issuance of this request in flight in this process ends (bounded by
        the lease): a re-send of the oficio then answers with the certificate."""
        event = self.in_flight.get(request_id)
        if event is not None:
            with anyio.move_on_after(self.settings.pending_lease_seconds):
                await event.wait()

    async def _issue(
        self,
        sessions: Sessions,
        certificate_request: CertificateRequest,
        *,
        authority_name: str,
        on_settled: OnSettled | None,
    ) -> Certificate:
        started = time.perf_counter()
        fetched = await self._fetch(certificate_request, authority_name)
        reserved = await reserve(
            sessions,
            certificate_request.id,
            prefix=self.settings.certificate_number_prefix,
            mismatch=fetched.mismatch,
            on_settled=on_settled,
        )
        if isinstance(reserved, Certificate):  # finished meanwhile by someone else
            return reserved
        if fetched.mismatch:  # the number was taken before: it is used, whatever the name
            fetched = await self._fetch(certificate_request, authority_name, despite=True)
        reserved_at = time.perf_counter()
        content = content_.certificate_content(
            number=reserved.number,
            issued_at=reserved.issued_at,
            authority_name=authority_name,
            oficio=certificate_request.oficio,
            subject=certificate_request.subject,
            period_from=certificate_request.period_from,
            period_to=certificate_request.period_to,
            history=fetched.history,
            movements=fetched.movements,
            control_points=fetched.control_points,
            verification_code=reserved.verification_code,
            verify_url=self.verify_url(reserved.verification_code),
            stay_summary_lines=stay_summary_lines(fetched.stay_summary)
            if fetched.stay_summary
            else None,
        )
        # ECDSA over ~250 bytes: microseconds, no need to leave the loop for it.
        seal = seal_for(content, certificate_request.subject, self.keys.seal.current)
        content = replace(content, seal=seal)
        # CPU-bound: rendered and signed in worker processes (render_pool.py), so one
        # big history never stalls other requests and the event loop keeps its GIL.
        try:
            if self.settings.render_processes:
                made = await render_pool.make(
                    content,
                    processes=self.settings.render_processes,
                    niceness=self.settings.render_niceness,
                    setup=self.signing_setup,
                )
            else:
                made = await render_pool.make_in_threads(
                    content,
                    identity=self.keys.signer,
                    long_term=self.long_term,
                    signing=self._signing,
                )
        except render_pool.TimestampFailed as exc:
            raise TimestampUnavailable(str(exc)) from exc
        signed = made.pdf
        # The render stage includes waiting for a free process, as it always did.
        rendering = time.perf_counter() - reserved_at - made.sign_seconds

        certificate = await store(
            sessions,
            Certificate(
                request_id=certificate_request.id,
                number=reserved.number,
                year=reserved.year,
                sequence=reserved.sequence,
                verification_code=reserved.verification_code,
                issued_at=reserved.issued_at,
                subject_name=content.subject_full_name,
                authority_name=content.authority_name,
                movement_count=len(fetched.movements),
                sha256=hashlib.sha256(signed).hexdigest(),
                pdf=signed,
                stay_summary=stay_summary_json(fetched.stay_summary)
                if fetched.stay_summary
                else None,
            ),
            on_settled=on_settled,
        )
        self._observe(
            StageTimings(fetched.seconds, rendering, made.sign_seconds),
            reserving=reserved_at - started - fetched.seconds,
        )
        log.info(
            "certificate issued",
            extra={
                "certificate_number": certificate.number,
                "movement_count": len(fetched.movements),
                "request_id": certificate_request.request_id,
            },
        )
        return certificate

    async def _fetch(
        self, certificate_request: CertificateRequest, authority_name: str, *, despite: bool = False
    ) -> Fetched:
        """Everything the registry knows for this certificate (with no connection held).

        On a name mismatch, only the history: the registry is not consulted further about
        a person the oficio may not be about, unless ``despite`` a number was reserved."""
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
        if despite:
            mismatch = []
        stay_summary = None
        if certificate_request.include_stay_summary and not mismatch:
            stay_summary = await self.registry.stays_summary(
                identity,
                on=certificate_request.period_to,
                reference=certificate_request.oficio_number,
                request_id=certificate_request.request_id,
                on_behalf_of=authority_name,
            )
        movements = content_.certifiable(history) if not mismatch else []
        control_points: dict[str, str] = {}
        if not mismatch:
            control_points = await self.registry.control_point_names(
                request_id=certificate_request.request_id,
                needed={m.control_point for m in movements},
            )
        return Fetched(
            history,
            movements,
            control_points,
            stay_summary,
            mismatch,
            time.perf_counter() - started,
        )

    def _observe(self, timings: StageTimings, *, reserving: float) -> None:
        self.last_timings = timings
        metrics.ISSUANCE_STAGE_SECONDS.labels("reserve").observe(reserving)
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

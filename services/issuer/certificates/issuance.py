"""The two short transactions of an issuance: take the number, then store the result.

Between them the PDF is rendered and signed (and timestamped) with no connection, row
or counter lock held, so issuances run side by side and never wait on each other's
PDF. Both transactions lock the request's row first (then, when taking a number, the
year's counter): one lock order, no deadlocks, and whoever comes second (a POST and a
pending worker that took over an expired lease) sees what the first did.

A crash after the number is reserved leaves the request PENDING with its reservation;
the pending worker finishes it with the same number, code and date: no gaps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.issuer.certificate_requests.repository import CertificateRequestRepository
from services.issuer.certificates.codes import certificate_number, new_verification_code
from services.issuer.certificates.repository import CertificateRepository
from services.issuer.clock import ECUADOR, now
from services.issuer.models import Certificate, CertificateRequest, CertificateReservation
from shared.errors import FieldError

Sessions = async_sessionmaker[AsyncSession]
# Runs inside the transaction that settles a request (the callback outbox): the event
# commits with the status change or not at all.
OnSettled = Callable[[AsyncSession, CertificateRequest, Certificate | None], Awaitable[object]]


class RequestRejected(Exception):
    """The registry's person does not bear the oficio's name: the request was rejected
    (no number taken) in the transaction that would have taken one."""

    def __init__(self, certificate_request: CertificateRequest, errors: list[FieldError]):
        super().__init__("subject name mismatch")
        self.certificate_request = certificate_request
        self.errors = errors


async def reserve(
    sessions: Sessions,
    request_id: UUID,
    *,
    prefix: str,
    mismatch: list[FieldError],
    on_settled: OnSettled | None = None,
) -> CertificateReservation | Certificate:
    """The request's number: the one it already reserved, else the year's next.

    Returns the certificate instead when the request was issued meanwhile (by a pending
    worker or a re-send racing this one). A name mismatch rejects the request here, but
    only before a number exists: once taken, the number is used, or there would be a gap.
    """
    async with sessions.begin() as session:
        requests = CertificateRequestRepository(session)
        certificates = CertificateRepository(session)
        request = await requests.lock(request_id)
        if request.status == "ISSUED":
            issued = await certificates.by_request(request_id)
            assert issued is not None
            return issued
        if request.status == "REJECTED":
            raise RequestRejected(request, [FieldError(**e) for e in request.errors])
        reserved = await certificates.reservation(request_id)
        if reserved is not None:
            return reserved
        if mismatch:
            rejected = await requests.mark_rejected(request_id, [e.as_dict() for e in mismatch])
            if on_settled is not None:
                await on_settled(session, rejected, None)
        else:
            return await _take_number(certificates, request_id, prefix)
    raise RequestRejected(rejected, mismatch)  # after the commit: the rejection is kept


async def _take_number(
    certificates: CertificateRepository, request_id: UUID, prefix: str
) -> CertificateReservation:
    issued_at = now()
    year = issued_at.astimezone(ECUADOR).year
    sequence = await certificates.next_sequence(year)  # the counter's lock: until commit
    return await certificates.reserve(
        CertificateReservation(
            request_id=request_id,
            number=certificate_number(prefix, year, sequence),
            year=year,
            sequence=sequence,
            verification_code=new_verification_code(),
            issued_at=issued_at,
        )
    )


async def store(
    sessions: Sessions, certificate: Certificate, *, on_settled: OnSettled | None = None
) -> Certificate:
    """Store the signed certificate and mark its request ISSUED, unless someone else
    finished it first: then theirs (same number) is the certificate."""
    async with sessions.begin() as session:
        requests = CertificateRequestRepository(session)
        certificates = CertificateRepository(session)
        request = await requests.lock(certificate.request_id)
        if request.status != "PENDING":
            # A reservation is never rejected (reserve), so the request was issued.
            issued = await certificates.by_request(certificate.request_id)
            assert issued is not None, f"request {request.id} is {request.status}"
            return issued
        await certificates.add(certificate)
        settled = await requests.mark_issued(request.id)
        if on_settled is not None:
            await on_settled(session, settled, certificate)
        return certificate


async def release(sessions: Sessions, request_id: UUID, *, failure: str | None) -> None:
    """Give the request's lease back (recording the failure, if any) so the pending
    worker may try it at once."""
    async with sessions.begin() as session:
        requests = CertificateRequestRepository(session)
        if failure is None:
            await requests.release(request_id)
        else:
            await requests.record_failure(request_id, failure)

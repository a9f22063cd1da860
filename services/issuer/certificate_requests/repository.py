"""Queries for certificate requests, including the pending queue."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.clock import now
from services.issuer.models import Certificate, CertificateRequest, Notification

# A request as its view shows it: the certificate once issued, the callback if any.
RequestRow = tuple[CertificateRequest, Certificate | None, Notification | None]


class CertificateRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_oficio(self, authority_id: UUID, oficio_number: str) -> CertificateRequest | None:
        return await self.session.scalar(
            select(CertificateRequest).where(
                CertificateRequest.authority_id == authority_id,
                CertificateRequest.oficio_number == oficio_number,
            )
        )

    async def insert_if_absent(self, **values: Any) -> CertificateRequest | None:
        """The new request, or None when the authority already sent this oficio number (a
        concurrent twin of this request may have just inserted it)."""
        statement = (
            insert(CertificateRequest)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_certificate_requests_authority_oficio")
            .returning(CertificateRequest)
        )
        created: CertificateRequest | None = await self.session.scalar(
            select(CertificateRequest).from_statement(statement),
            execution_options={"populate_existing": True},
        )
        return created

    async def owned(self, request_id: UUID, authority_id: UUID) -> RequestRow | None:
        row = (
            await self.session.execute(
                _with_outcome().where(
                    CertificateRequest.id == request_id,
                    CertificateRequest.authority_id == authority_id,
                )
            )
        ).first()
        return (row[0], row[1], row[2]) if row else None  # outer joins: may be None

    async def list_owned(
        self,
        authority_id: UUID,
        *,
        status: str | None,
        oficio_number: str | None,
        limit: int,
        after: tuple[datetime, UUID] | None,
    ) -> list[RequestRow]:
        """Newest first; ``after`` is the (created_at, id) of the last row already seen."""
        statement = _with_outcome().where(CertificateRequest.authority_id == authority_id)
        if status is not None:
            statement = statement.where(CertificateRequest.status == status)
        if oficio_number is not None:
            statement = statement.where(CertificateRequest.oficio_number == oficio_number)
        if after is not None:
            statement = statement.where(
                tuple_(CertificateRequest.created_at, CertificateRequest.id) < tuple_(*after)
            )
        statement = statement.order_by(
            CertificateRequest.created_at.desc(), CertificateRequest.id.desc()
        ).limit(limit)
        rows = (await self.session.execute(statement)).all()
        return [(row[0], row[1], row[2]) for row in rows]

    async def mark_rejected(
        self, request_id: UUID, errors: list[dict[str, Any]]
    ) -> CertificateRequest:
        """A PENDING request refused once the registry answered (SUBJECT_NAME_MISMATCH).

        A statement, then a refresh: the caller may come from a rolled-back savepoint,
        after which the loaded object is expired and cannot lazy-load in async code."""
        await self.session.execute(
            update(CertificateRequest)
            .where(CertificateRequest.id == request_id)
            .values(
                status="REJECTED",
                errors=errors,
                attempts=CertificateRequest.attempts + 1,
                last_error=None,
                updated_at=now(),
            )
            .execution_options(synchronize_session=False)
        )
        rejected = await self.session.get(CertificateRequest, request_id, populate_existing=True)
        assert rejected is not None
        return rejected

    async def claim_pending(self, *, skip: Collection[UUID] = ()) -> CertificateRequest | None:
        """Lock the least recently tried PENDING request no other worker holds.

        SKIP LOCKED lets several workers (replicas) share the queue without waiting on each
        other; a request being issued by one is invisible to the rest until it commits, and
        after that it is no longer PENDING.
        """
        statement = (
            select(CertificateRequest)
            .where(CertificateRequest.status == "PENDING")
            .order_by(CertificateRequest.updated_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if skip:
            statement = statement.where(CertificateRequest.id.not_in(list(skip)))
        return await self.session.scalar(statement)

    async def mark_issued(self, certificate_request: CertificateRequest) -> None:
        certificate_request.status = "ISSUED"
        certificate_request.attempts += 1
        certificate_request.last_error = None
        certificate_request.updated_at = now()
        await self.session.flush()

    async def record_failure(self, request_id: UUID, error: str) -> None:
        # A statement, not attribute changes: after a rolled-back savepoint the loaded
        # object may be expired, and an async session cannot lazy-load it.
        await self.session.execute(
            update(CertificateRequest)
            .where(CertificateRequest.id == request_id)
            .values(
                attempts=CertificateRequest.attempts + 1,
                last_error=error[:2000],
                updated_at=func.now(),
            )
            .execution_options(synchronize_session=False)
        )

    async def pending_count(self) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(CertificateRequest)
            .where(CertificateRequest.status == "PENDING")
        )
        return int(count or 0)


def _with_outcome() -> Select[CertificateRequest, Certificate, Notification]:
    return (
        select(CertificateRequest, Certificate, Notification)
        .outerjoin(Certificate, Certificate.request_id == CertificateRequest.id)
        .outerjoin(Notification, Notification.certificate_request_id == CertificateRequest.id)
    )

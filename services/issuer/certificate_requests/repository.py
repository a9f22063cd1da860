"""Queries for certificate requests, including the pending queue."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, tuple_, update
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
        """A PENDING request refused once the registry answered (SUBJECT_NAME_MISMATCH)."""
        return await self._settle(
            request_id,
            status="REJECTED",
            errors=errors,
            attempts=CertificateRequest.attempts + 1,
            last_error=None,
        )

    async def lock(self, request_id: UUID) -> CertificateRequest:
        """The request, its row locked until the transaction ends (kept short: the
        number reservation and the final store serialise on it, nothing slow)."""
        locked = await self.session.scalar(
            select(CertificateRequest).where(CertificateRequest.id == request_id).with_for_update(),
            execution_options={"populate_existing": True},
        )
        assert locked is not None
        return locked

    async def claim_pending(
        self, *, lease_seconds: float, skip: Collection[UUID] = ()
    ) -> CertificateRequest | None:
        """Lease the least recently tried PENDING request nobody is issuing.

        The row lock (``FOR UPDATE SKIP LOCKED``) lasts only for this short transaction;
        the lease it writes (``claimed_until``) is what keeps other workers, and the
        worker from a POST still issuing, away while the certificate is rendered and
        signed. An expired lease means its holder died: the request is claimed again and
        finished with the number it reserved.
        """
        statement = (
            select(CertificateRequest)
            .where(
                CertificateRequest.status == "PENDING",
                or_(
                    CertificateRequest.claimed_until.is_(None),
                    CertificateRequest.claimed_until < func.now(),
                ),
            )
            .order_by(CertificateRequest.updated_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if skip:
            statement = statement.where(CertificateRequest.id.not_in(list(skip)))
        claimed = await self.session.scalar(statement)
        if claimed is None:
            return None
        claimed.claimed_until = await self.session.scalar(select(lease_end(lease_seconds)))
        await self.session.flush()
        return claimed

    async def mark_issued(self, request_id: UUID) -> CertificateRequest:
        return await self._settle(
            request_id, status="ISSUED", attempts=CertificateRequest.attempts + 1, last_error=None
        )

    async def record_failure(self, request_id: UUID, error: str) -> None:
        """Counts the attempt and gives the lease back: the worker may try again at once.
        A statement, not attribute changes: the loaded object may come from another
        session."""
        await self.session.execute(
            update(CertificateRequest)
            .where(CertificateRequest.id == request_id, CertificateRequest.status == "PENDING")
            .values(
                attempts=CertificateRequest.attempts + 1,
                last_error=error[:2000],
                claimed_until=None,
                updated_at=func.now(),
            )
            .execution_options(synchronize_session=False)
        )

    async def release(self, request_id: UUID) -> None:
        """Give the lease back without counting an attempt (an issuance interrupted)."""
        await self.session.execute(
            update(CertificateRequest)
            .where(CertificateRequest.id == request_id, CertificateRequest.status == "PENDING")
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )

    async def _settle(self, request_id: UUID, **values: Any) -> CertificateRequest:
        await self.session.execute(
            update(CertificateRequest)
            .where(CertificateRequest.id == request_id)
            .values(**values, claimed_until=None, updated_at=now())
            .execution_options(synchronize_session=False)
        )
        settled = await self.session.get(CertificateRequest, request_id, populate_existing=True)
        assert settled is not None
        return settled

    async def pending_count(self) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(CertificateRequest)
            .where(CertificateRequest.status == "PENDING")
        )
        return int(count or 0)


def lease_end(seconds: float) -> ColumnElement[datetime]:
    """The database's clock plus the lease: every replica compares against one clock."""
    return func.now() + func.make_interval(0, 0, 0, 0, 0, 0, literal(seconds))


def _with_outcome() -> Select[CertificateRequest, Certificate, Notification]:
    return (
        select(CertificateRequest, Certificate, Notification)
        .outerjoin(Certificate, Certificate.request_id == CertificateRequest.id)
        .outerjoin(Notification, Notification.certificate_request_id == CertificateRequest.id)
    )

"""Queries for certificates and the per-year counter behind their numbers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.issuer.models import (
    Authority,
    Certificate,
    CertificateCounter,
    CertificateRequest,
    CertificateReservation,
)

# The PDF can weigh megabytes and only its download needs it.
_WITHOUT_PDF = defer(Certificate.pdf, raiseload=True)


class CertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_sequence(self, year: int) -> int:
        """The year's next number. The upsert locks the counter row until the transaction
        ends, so concurrent issuers queue here, and a rollback hands the number back: no
        gaps, no duplicates. Keep that transaction short: it only records the number's
        reservation (certificates.issuance.reserve)."""
        statement = (
            insert(CertificateCounter)
            .values(year=year, last_sequence=1)
            .on_conflict_do_update(
                index_elements=[CertificateCounter.year],
                set_={"last_sequence": CertificateCounter.last_sequence + 1},
            )
            .returning(CertificateCounter.last_sequence)
        )
        sequence = await self.session.scalar(statement)
        assert sequence is not None  # an upsert always returns its row
        return sequence

    async def reservation(self, request_id: UUID) -> CertificateReservation | None:
        return await self.session.get(CertificateReservation, request_id)

    async def reserve(self, reservation: CertificateReservation) -> CertificateReservation:
        self.session.add(reservation)
        await self.session.flush()
        return reservation

    async def add(self, certificate: Certificate) -> Certificate:
        self.session.add(certificate)
        await self.session.flush()
        return certificate

    async def by_request(self, request_id: UUID) -> Certificate | None:
        return await self.session.scalar(
            select(Certificate).where(Certificate.request_id == request_id).options(_WITHOUT_PDF)
        )

    async def owned_pdf(self, certificate_id: UUID, authority_id: UUID) -> tuple[str, bytes] | None:
        row = (
            await self.session.execute(
                select(Certificate.number, Certificate.pdf)
                .join(CertificateRequest, CertificateRequest.id == Certificate.request_id)
                .where(
                    Certificate.id == certificate_id,
                    CertificateRequest.authority_id == authority_id,
                )
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def by_verification_code(
        self, code: str
    ) -> tuple[Certificate, CertificateRequest, Authority] | None:
        row = (
            await self.session.execute(
                select(Certificate, CertificateRequest, Authority)
                .join(CertificateRequest, CertificateRequest.id == Certificate.request_id)
                .join(Authority, Authority.id == CertificateRequest.authority_id)
                .where(Certificate.verification_code == code)
                .options(_WITHOUT_PDF)
            )
        ).first()
        return (row[0], row[1], row[2]) if row else None

    async def by_sha256(self, sha256: str) -> Certificate | None:
        return await self.session.scalar(
            select(Certificate).where(Certificate.sha256 == sha256).options(_WITHOUT_PDF)
        )

    async def by_number(self, number: str) -> tuple[Certificate, str] | None:
        """The certificate and its oficio number (what a seal is compared with)."""
        row = (
            await self.session.execute(
                select(Certificate, CertificateRequest.oficio_number)
                .join(CertificateRequest, CertificateRequest.id == Certificate.request_id)
                .where(Certificate.number == number)
                .options(_WITHOUT_PDF)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def get(self, certificate_id: UUID) -> Certificate | None:
        return await self.session.scalar(
            select(Certificate).where(Certificate.id == certificate_id).options(_WITHOUT_PDF)
        )

    async def revoke(
        self, certificate_id: UUID, *, reason: str, revoked_by: UUID
    ) -> datetime | None:
        """When it was revoked, or None if it already was (revocation happens once)."""
        return await self.session.scalar(
            update(Certificate)
            .where(Certificate.id == certificate_id, Certificate.revoked_at.is_(None))
            .values(revoked_at=func.now(), revocation_reason=reason, revoked_by=revoked_by)
            .returning(Certificate.revoked_at)
        )

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base

REQUEST_STATUSES = ("ISSUED", "PENDING", "REJECTED")


class CertificateRequest(Base):
    """One oficio asking for one person's certificate, whatever became of it.

    Only a PENDING request may change (to ISSUED); a trigger enforces it, and
    ``(authority_id, oficio_number)`` makes re-sending an oficio idempotent.
    """

    __tablename__ = "certificate_requests"
    __table_args__ = (
        UniqueConstraint(
            "authority_id", "oficio_number", name="uq_certificate_requests_authority_oficio"
        ),
        CheckConstraint("status IN ('ISSUED', 'PENDING', 'REJECTED')", name="status"),
        # The background worker's queue, least recently tried first. Small: requests leave
        # it once issued.
        Index(
            "ix_certificate_requests_pending",
            "updated_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # GET /v1/certificate-requests: one authority's requests, newest first (keyset).
        Index(
            "ix_certificate_requests_authority_created",
            "authority_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    authority_id: Mapped[UUID] = mapped_column(ForeignKey("authorities.id"))
    oficio_number: Mapped[str] = mapped_column(Text)
    # The oficio as sent, minus its PDF (kept out of the table; its hash identifies it).
    oficio: Mapped[dict[str, Any]] = mapped_column(JSONB)
    oficio_pdf_sha256: Mapped[str | None] = mapped_column(Text)
    # Who signed the oficio's PDF, as read from the signer's certificate (signer, issuer,
    # signed_at, identity, certification path, revocation); NULL without a parsable one.
    oficio_signature: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    subject: Mapped[dict[str, Any]] = mapped_column(JSONB)
    period_from: Mapped[date | None] = mapped_column(Date)
    # "Up to today" is resolved on arrival, so a request issued later covers the same days.
    period_to: Mapped[date] = mapped_column(Date)
    # Print the registry's stay summary as of period_to ("RESUMEN DE PERMANENCIA").
    include_stay_summary: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    status: Mapped[str] = mapped_column(Text)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    # Tells an honest re-send (same content) from a conflicting reuse of the oficio number.
    content_sha256: Mapped[str] = mapped_column(Text)
    # The X-Request-ID of the POST; forwarded to the registry, also by the background worker.
    request_id: Mapped[str | None] = mapped_column(Text)
    # A lease: whoever is issuing this PENDING request (the POST that received it, or a
    # pending worker) until then. The worker claims only requests without a live lease,
    # so it never races an issuance in flight, yet finishes one whose process died.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

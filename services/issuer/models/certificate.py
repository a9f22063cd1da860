from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base


class Certificate(Base):
    """An issued, signed certificate. Never deleted, never edited: a trigger allows only
    its one-time revocation."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_certificates_year_sequence"),
        CheckConstraint(
            "(revoked_at IS NULL) = (revocation_reason IS NULL)", name="revocation_complete"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    # The certificate request it answers. Unique: the last line of defence against issuing
    # one request twice.
    request_id: Mapped[UUID] = mapped_column(ForeignKey("certificate_requests.id"), unique=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    verification_code: Mapped[str] = mapped_column(Text, unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The name printed on the certificate (the registry's, else the oficio's), for /v1/verify.
    subject_name: Mapped[str] = mapped_column(Text)
    # The requesting authority as printed: /v1/verify must match the signed document even
    # after the authority is renamed.
    authority_name: Mapped[str] = mapped_column(Text)
    movement_count: Mapped[int] = mapped_column(Integer)
    # Of the signed PDF's exact bytes: POST /v1/verify looks certificates up by it.
    sha256: Mapped[str] = mapped_column(Text, unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    # The registry's stay summary as printed ("RESUMEN DE PERMANENCIA"), when requested.
    stay_summary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[UUID | None] = mapped_column(ForeignKey("staff_tokens.id"))

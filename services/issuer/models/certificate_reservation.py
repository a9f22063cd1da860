from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base


class CertificateReservation(Base):
    """A certificate number taken for a request before its PDF exists.

    Taking the number is a short transaction of its own (the year's counter is locked
    only for it); rendering and signing follow with nothing held. If the process dies in
    between, the pending worker finishes the request with this same number, code and
    date, so numbers stay gapless. Append-only: one per request, never changed.
    """

    __tablename__ = "certificate_reservations"
    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_certificate_reservations_year_sequence"),
    )

    request_id: Mapped[UUID] = mapped_column(
        ForeignKey("certificate_requests.id"), primary_key=True
    )
    number: Mapped[str] = mapped_column(Text, unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    verification_code: Mapped[str] = mapped_column(Text, unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

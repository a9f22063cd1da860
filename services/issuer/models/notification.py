from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base

NOTIFICATION_STATUSES = ("RETRYING", "DELIVERED", "FAILED")


class Notification(Base):
    """The outbox: one callback to an authority, written in the transaction that takes its
    request out of PENDING, so the event exists exactly when the change does. Delivered at
    least once; ``id`` is the ``webhook-id`` receivers deduplicate on."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("status IN ('RETRYING', 'DELIVERED', 'FAILED')", name="status"),
        # The delivery worker's queue: only rows still to be tried, soonest first.
        Index(
            "ix_notifications_due",
            "next_attempt_at",
            postgresql_where=text("status = 'RETRYING'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    # One event per request: a request leaves PENDING once.
    certificate_request_id: Mapped[UUID] = mapped_column(
        ForeignKey("certificate_requests.id"), unique=True
    )
    authority_id: Mapped[UUID] = mapped_column(ForeignKey("authorities.id"))
    event_type: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default=text("'RETRYING'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

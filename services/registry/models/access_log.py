from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base


class AccessLogEntry(Base):
    """Every read of personal data: who asked, for whom, why. Append-only."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_client_id_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    client_id: Mapped[UUID] = mapped_column(ForeignKey("api_clients.id"))
    action: Mapped[str] = mapped_column(Text)
    identity: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    person_id: Mapped[UUID | None] = mapped_column()
    purpose: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    movement_count: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(Text)

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base


class Movement(Base):
    """One crossing. Append-only: a database trigger refuses UPDATE and DELETE."""

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint("direction IN ('ENTRY', 'EXIT')", name="direction"),
        CheckConstraint("sex IN ('F', 'M', 'X')", name="sex"),
        CheckConstraint(
            "document_type IN ('PASSPORT', 'NATIONAL_ID', 'TRAVEL_DOCUMENT', 'OTHER')",
            name="document_type",
        ),
        CheckConstraint(
            "transport_mode IS NULL OR transport_mode IN ('AIR', 'SEA', 'LAND')",
            name="transport_mode",
        ),
        Index("ix_movements_person_timeline", "person_id", "occurred_at", "movement_id"),
    )

    movement_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("persons.id"))
    direction: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    control_point: Mapped[str] = mapped_column(ForeignKey("control_points.code"))
    document_type: Mapped[str] = mapped_column(Text)
    document_number: Mapped[str] = mapped_column(Text)
    issuing_country: Mapped[str] = mapped_column(Text)
    nationality: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str | None] = mapped_column(Text)
    surnames: Mapped[str] = mapped_column(Text)
    given_names: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(Text)
    transport_mode: Mapped[str | None] = mapped_column(Text)
    transport_carrier: Mapped[str | None] = mapped_column(Text)
    transport_number: Mapped[str | None] = mapped_column(Text)
    origin_country: Mapped[str | None] = mapped_column(Text)
    destination_country: Mapped[str | None] = mapped_column(Text)
    observations: Mapped[str | None] = mapped_column(Text)
    # Arts. 136-137: who a minor travels with, who is responsible, the exit authorisation.
    minor: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    anomalies: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    content_sha256: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    recorded_by: Mapped[UUID] = mapped_column(ForeignKey("api_clients.id"))
    request_id: Mapped[str | None] = mapped_column(Text)


class Annulment(Base):
    """Beside a movement, never instead of it: who annulled it, when and why."""

    __tablename__ = "annulments"

    movement_id: Mapped[UUID] = mapped_column(ForeignKey("movements.movement_id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    annulled_by: Mapped[UUID] = mapped_column(ForeignKey("api_clients.id"))
    annulled_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

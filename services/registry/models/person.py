from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base


class Person(Base):
    """A traveller. Identity resolution may merge two persons later (a passport first
    seen alone, then together with a cédula): the merged one points at the survivor
    through ``canonical_id``, so movements never need rewriting."""

    __tablename__ = "persons"
    __table_args__ = (Index("ix_persons_canonical_id", "canonical_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    canonical_id: Mapped[UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonIdentifier(Base):
    """Something a person is known by: ``CI:1710034065`` or ``PASSPORT:ECU:AB123456``.

    Each row keeps the identity data first recorded with it, never updated: the person's
    data of record are those of their cédula row, else of their oldest document row."""

    __tablename__ = "person_identifiers"
    __table_args__ = (Index("ix_person_identifiers_person_id", "person_id"),)

    identifier: Mapped[str] = mapped_column(Text, primary_key=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("persons.id"))
    national_id: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(Text)
    issuing_country: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    surnames: Mapped[str | None] = mapped_column(Text)
    given_names: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(Text)
    nationality: Mapped[str | None] = mapped_column(Text)

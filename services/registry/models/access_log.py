from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base


class AccessLogEntry(Base):
    """Every read of personal data: who asked, for whom, why. Append-only.

    A trigger assigns ``id`` and ``content_sha256`` on insert (migration 0005): callers
    never set them.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_client_id_at", "client_id", "at"),
        # "Who consulted me": one person's reads, newest first.
        Index("ix_access_log_person_id_at", "person_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    client_id: Mapped[UUID] = mapped_column(ForeignKey("api_clients.id"))
    action: Mapped[str] = mapped_column(Text)
    identity: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    person_id: Mapped[UUID | None] = mapped_column()
    purpose: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)
    movement_count: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(Text, server_default=FetchedValue())


class AccessLogLink(Base):
    """One link of the access log's hash chain (services/registry/access_log/chain.py)."""

    __tablename__ = "access_log_chain"
    __table_args__ = (UniqueConstraint("entry_id", name="uq_access_log_chain_entry_id"),)

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    content_sha256: Mapped[str] = mapped_column(Text)
    prev_sha256: Mapped[str] = mapped_column(Text)
    chain_sha256: Mapped[str] = mapped_column(Text)
    chained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

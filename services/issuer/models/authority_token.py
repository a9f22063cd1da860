from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, Boolean, CheckConstraint, DateTime, ForeignKey, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base


class AuthorityToken(Base):
    """A bearer token of one authority's system; only its SHA-256 is kept."""

    __tablename__ = "authority_tokens"
    # An authority's token requests certificates, nothing more: `admin` is staff-only.
    __table_args__ = (
        CheckConstraint("scopes <@ ARRAY['certificates:request']::text[]", name="authority_scopes"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    authority_id: Mapped[UUID] = mapped_column(ForeignKey("authorities.id"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

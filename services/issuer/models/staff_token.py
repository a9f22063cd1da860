from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, Boolean, DateTime, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base


class StaffToken(Base):
    """A token of the Subsecretaría's own staff (scope ``admin``): a different kind from an
    authority's token, so no competent authority can ever hold ``admin``."""

    __tablename__ = "staff_tokens"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

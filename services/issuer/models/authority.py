from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, CheckConstraint, DateTime, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base

AUTHORITY_KINDS = ("JUDICIAL_UNIT", "PROSECUTOR_OFFICE", "COMPTROLLER", "OTHER_COMPETENT")


class Authority(Base):
    """A competent authority entitled to request certificates (a court, a prosecutor's
    office, the Comptroller...). Registered by the CLI; deactivated, never deleted."""

    __tablename__ = "authorities"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('JUDICIAL_UNIT', 'PROSECUTOR_OFFICE', 'COMPTROLLER', 'OTHER_COMPETENT')",
            name="kind",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # A regular expression the whole oficio number must match; NULL means the Quipux rule.
    oficio_pattern: Mapped[str | None] = mapped_column(Text)
    # Where to POST when one of its PENDING requests is settled (Standard Webhooks), and
    # the whsec_ secret that signs those calls. The secret must be readable to sign with
    # it, so unlike tokens it is not hashed; it is shown once, at the CLI.
    callback_url: Mapped[str | None] = mapped_column(Text)
    callback_secret: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

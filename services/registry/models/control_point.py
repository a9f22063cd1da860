from sqlalchemy import Boolean, CheckConstraint, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.models.base import Base


class ControlPoint(Base):
    """An official migration control point, seeded by the migrations."""

    __tablename__ = "control_points"
    __table_args__ = (
        CheckConstraint("kind IN ('AIRPORT', 'SEAPORT', 'LAND_BORDER')", name="kind"),
    )

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    province: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

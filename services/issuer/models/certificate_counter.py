from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from services.issuer.models.base import Base


class CertificateCounter(Base):
    """The last certificate number used each year. Incremented in the transaction that
    inserts the certificate, so a rolled-back issuance gives its number back: no gaps."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(Integer)

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

CertificateStatus = Literal["VALID", "REVOKED"]


class MaskedSubject(BaseModel):
    full_name: str = Field(examples=["P**** G**** M**** J***"])
    identification: str = Field(examples=["Cédula 17******65"])


class VerificationOut(BaseModel):
    status: CertificateStatus
    number: str
    issued_at: datetime
    authority: str
    oficio_number: str
    subject: MaskedSubject
    movement_count: int
    sha256: str = Field(description="Of the signed PDF: compare with the file you hold.")
    revoked_at: datetime | None = None


class PdfCheckOut(BaseModel):
    match: bool = Field(description="These exact bytes are a certificate this issuer issued.")
    status: CertificateStatus | None = Field(description="Of the matched certificate.")
    number: str | None
    signature_valid: bool = Field(
        description="The PDF's certifying signature is intact and chains to our CA."
    )

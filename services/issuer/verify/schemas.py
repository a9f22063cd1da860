from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

CertificateStatus = Literal["VALID", "REVOKED"]


class MaskedSubject(BaseModel):
    """The person, masked: enough to match a paper copy, not to identify them."""

    full_name: str = Field(
        examples=["P**** G**** M**** J***"], description="Each word's first letter kept."
    )
    identification: str = Field(
        examples=["Cédula 17******65"], description="The kind of id, first and last digits."
    )


class VerificationOut(BaseModel):
    status: CertificateStatus = Field(description="`VALID`, or `REVOKED` since `revoked_at`.")
    number: str = Field(description="Número de certificado, e.g. CMM-2025-000123.")
    issued_at: datetime = Field(description="When it was signed.")
    authority: str = Field(description="The authority that requested it.")
    oficio_number: str = Field(description="The oficio that ordered it.")
    subject: MaskedSubject = Field(description="Whom it is about, masked.")
    movement_count: int = Field(description="Movements certified.")
    sha256: str = Field(description="Of the signed PDF: compare with the file you hold.")
    revoked_at: datetime | None = Field(default=None, description="Set when REVOKED.")


class PdfCheckOut(BaseModel):
    match: bool = Field(description="These exact bytes are a certificate this issuer issued.")
    status: CertificateStatus | None = Field(description="Of the matched certificate.")
    number: str | None = Field(description="Número de certificado of the match; null: none.")

    signature_valid: bool = Field(
        description="The PDF's certifying signature is intact and chains to our CA."
    )

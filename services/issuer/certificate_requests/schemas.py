"""What the issuer answers about certificate requests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

RequestStatus = Literal["ISSUED", "PENDING", "REJECTED"]


class CertificateOut(BaseModel):
    certificate_id: UUID
    number: str = Field(examples=["CMM-2025-000123"])
    verification_code: str = Field(examples=["7KQ4-M2XD-9PZA-H3TB"])
    issued_at: datetime
    movement_count: int = Field(description="Movements certified (annulled ones left out).")
    sha256: str = Field(description="Of the signed PDF's exact bytes.")
    pdf_url: str
    verify_url: str = Field(description="Public page anyone can check; also in the PDF's QR.")


class IssuedOut(BaseModel):
    request_id: UUID
    status: Literal["ISSUED"] = "ISSUED"
    certificate: CertificateOut


class PendingOut(BaseModel):
    request_id: UUID
    status: Literal["PENDING"] = "PENDING"


class RuleError(BaseModel):
    code: str
    field: str | None
    message: str


class CertificateRequestOut(BaseModel):
    request_id: UUID
    status: RequestStatus
    oficio_number: str
    created_at: datetime
    updated_at: datetime
    errors: list[RuleError] = Field(description="Every failed rule of a REJECTED request.")
    certificate: CertificateOut | None = Field(description="Set once ISSUED.")


class RejectionProblem(BaseModel):
    """problem+json of a rejected oficio: every failed rule, and the kept request's id."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[RuleError]
    request_id: UUID

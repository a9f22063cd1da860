"""What the issuer answers about certificate requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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
    stay_summary: dict[str, Any] | None = Field(
        default=None,
        # Absent, not null, when not asked for: the certificate keeps the contract's shape.
        exclude_if=lambda value: value is None,
        description="Only with include_stay_summary: the registry's stay summary as of the "
        "period's end, as printed (on, status, days_in_ecuador, visitor_allowance, returnee).",
    )


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


class OficioSignatureOut(BaseModel):
    """Who signed the oficio's PDF, read from the signer's certificate. Further fields
    (identification, certification path, revocation) are included as available."""

    model_config = ConfigDict(extra="allow")

    signer: str = Field(description="The signer certificate's common name.")
    signer_certificate_issuer: str = Field(description="The CA that issued it (common name).")
    signed_at: datetime | None = Field(
        description="Signing time the signer's software asserted (no timestamp authority)."
    )


class OficioOut(BaseModel):
    number: str
    date: date
    addressee: str
    signatory_name: str
    signatory_role: str
    case_number: str | None = None
    pdf_sha256: str | None = Field(default=None, description="Of the PDF sent, if any.")
    signature: OficioSignatureOut | None = Field(
        default=None, description="Set when a signed PDF was sent and its signature parsed."
    )


class NotificationOut(BaseModel):
    status: Literal["DELIVERED", "RETRYING", "FAILED"]
    attempts: int


class CertificateRequestOut(BaseModel):
    request_id: UUID
    status: RequestStatus
    oficio_number: str
    oficio: OficioOut
    created_at: datetime
    updated_at: datetime
    errors: list[RuleError] = Field(description="Every failed rule of a REJECTED request.")
    certificate: CertificateOut | None = Field(description="Set once ISSUED.")
    notification: NotificationOut | None = Field(
        default=None,
        description="The callback announcing that this request left PENDING, when the "
        "authority has a callback URL: delivered, being retried, or given up on.",
    )


class CertificateRequestPage(BaseModel):
    items: list[CertificateRequestOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page.")


class RejectionProblem(BaseModel):
    """problem+json of a rejected oficio: every failed rule, and the kept request's id."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[RuleError]
    request_id: UUID | None = Field(
        default=None,
        description="The kept rejection, for GET. Absent when the body itself could not be "
        "read (malformed JSON, missing or unknown fields): such requests are not kept.",
    )

"""What the issuer answers about certificate requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import ProblemSchema

RequestStatus = Literal["ISSUED", "PENDING", "REJECTED"]


class CertificateOut(BaseModel):
    certificate_id: UUID = Field(description="Use in `pdf_url` and to revoke it.")
    number: str = Field(
        examples=["CMM-2025-000123"], description="Número de certificado, printed on the PDF."
    )
    verification_code: str = Field(
        examples=["7KQ4-M2XD-9PZA-H3TB"],
        description="Código de verificación, printed with the QR; anyone checks it at "
        "`verify_url`.",
    )
    issued_at: datetime = Field(description="When the certificate was signed.")
    movement_count: int = Field(description="Movements certified (annulled ones left out).")
    sha256: str = Field(description="Of the signed PDF's exact bytes.")
    pdf_url: str = Field(
        description="GET it with the requesting authority's token for the signed PDF."
    )
    verify_url: str = Field(description="Public page anyone can check; also in the PDF's QR.")
    stay_summary: dict[str, Any] | None = Field(
        default=None,
        # Absent, not null, when not asked for: the certificate keeps the contract's shape.
        exclude_if=lambda value: value is None,
        description="Only with include_stay_summary: the registry's stay summary as of the "
        "period's end, as printed (on, status, days_in_ecuador, visitor_allowance, returnee).",
    )


class IssuedOut(BaseModel):
    request_id: UUID = Field(description="The request's id, for GET /v1/certificate-requests/{id}.")
    status: Literal["ISSUED"] = Field(default="ISSUED", description="Always `ISSUED` here.")
    certificate: CertificateOut = Field(description="The certificate just issued.")


class PendingOut(BaseModel):
    request_id: UUID = Field(
        description="Poll GET /v1/certificate-requests/{request_id} after `Retry-After`."
    )
    status: Literal["PENDING"] = Field(default="PENDING", description="Always `PENDING` here.")


class RuleError(BaseModel):
    """One failed rule of a rejected oficio."""

    code: str = Field(description="Machine-readable rule code, e.g. `OFICIO_NUMBER_INVALID`.")
    field: str | None = Field(description="Dotted path of the field, e.g. `oficio.number`.")
    message: str = Field(description="Human-readable explanation (English).")


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
    """The oficio as received (its PDF kept only as a hash)."""

    number: str = Field(description="Número de oficio, e.g. FGE-FPP-2025-001234-O.")
    date: Annotated[date, Field(description="Fecha del oficio.")]  # no `= Field`: name clash
    addressee: str = Field(description="Destinatario, as written.")
    signatory_name: str = Field(description="Who signed the oficio.")
    signatory_role: str = Field(description="Their post, e.g. Fiscal.")
    case_number: str | None = Field(default=None, description="Número de proceso or causa.")
    pdf_sha256: str | None = Field(default=None, description="Of the PDF sent, if any.")
    signature: OficioSignatureOut | None = Field(
        default=None, description="Set when a signed PDF was sent and its signature parsed."
    )


class NotificationOut(BaseModel):
    status: Literal["DELIVERED", "RETRYING", "FAILED"] = Field(
        description="`DELIVERED`: your callback answered 2xx; `RETRYING`: it will be tried "
        "again; `FAILED`: given up on."
    )
    attempts: int = Field(description="Delivery attempts so far.")


class CertificateRequestOut(BaseModel):
    request_id: UUID = Field(description="The request's id.")
    status: RequestStatus = Field(
        description="`ISSUED` (see `certificate`), `PENDING` (the registry was unreachable; "
        "issued in the background) or `REJECTED` (see `errors`)."
    )
    oficio_number: str = Field(description="Número de oficio; unique per authority.")
    oficio: OficioOut = Field(description="The oficio as received.")
    created_at: datetime = Field(description="When the request was received.")
    updated_at: datetime = Field(description="When its status last changed.")
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


class RejectionProblem(ProblemSchema):
    """problem+json of a rejected oficio: every failed rule, and the kept request's id
    (absent when the body itself could not be read, so nothing was kept)."""

    request_id: UUID | None = Field(
        default=None,
        description="The kept rejection, for GET. Absent when the body itself could not be "
        "read (malformed JSON, missing or unknown fields): such requests are not kept.",
    )

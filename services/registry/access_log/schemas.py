from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from shared.identity import IdentityQuery
from shared.validation import InputModel


class AccessLogSearch(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "identity": {"national_id": "1710034065"},
                    "from": "2025-01-01",
                    "reference": "SOLICITUD-ARCO-2025-0042",
                }
            ]
        },
    )

    identity: IdentityQuery = Field(
        description='Whose data were consulted: `{"national_id"}` or the document triple.'
    )
    from_: date | None = Field(default=None, alias="from", description="Inclusive, Ecuador date.")
    to: date | None = Field(default=None, description="Inclusive, Ecuador date.")
    limit: int = Field(default=100, ge=1, le=500, description="Entries per page (1-500).")
    cursor: str | None = Field(
        default=None, description="`next_cursor` of the previous page; omit for the first."
    )
    reference: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = Field(
        default=None,
        description="The data subject's request this search answers; written to the log.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AccessLogSearch:
        if self.from_ and self.to and self.from_ > self.to:
            raise PydanticCustomError("PERIOD_INVALID", "'from' is after 'to'")
        return self


class AccessLogItem(BaseModel):
    """One consultation of the person's data."""

    at: datetime = Field(description="When the data were read.")
    client: str = Field(description="The client (system) that read them.")
    endpoint: str = Field(description="What was read, e.g. `POST /v1/history/search`.")
    purpose: str | None = Field(description="The purpose the reader gave, e.g. CERTIFICATE.")
    reference: str | None = Field(description="The case or oficio the reader gave.")
    movement_count: int = Field(description="How many movements the answer held.")
    request_id: str | None = Field(description="The request's X-Request-ID.")
    on_behalf_of: str | None = Field(
        description="The authority an intermediary (the issuer) read for, when it said."
    )


class AccessLogPage(BaseModel):
    items: list[AccessLogItem] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass back as `cursor`; null on the last page.")


class AuditHead(BaseModel):
    rows: int = Field(description="How many access-log rows the chain links.")
    hash: str = Field(description="SHA-256 (hex) of the chain's last link.")
    at: datetime = Field(description="When this head was signed.")
    last_id: int = Field(description="The access-log id of the last linked row.")
    kid: str = Field(description="The signing key's id; its public key is in GET /v1/audit/keys.")
    signature: str = Field(description="Compact JWS (EdDSA) over {rows, hash, at}.")


class Jwk(BaseModel):
    """An Ed25519 public key (RFC 8037) that signs audit heads."""

    kty: str = Field(description="Key type: `OKP`.")
    crv: str = Field(description="Curve: `Ed25519`.")
    x: str = Field(description="The public key, base64url without padding.")
    kid: str = Field(description="Key id, as named by an audit head's `kid`.")
    alg: str = Field(description="Algorithm: `EdDSA`.")
    use: str = Field(description="`sig`: verifies signatures.")


class Jwks(BaseModel):
    keys: list[Jwk] = Field(description="Every key that signed or signs audit heads.")

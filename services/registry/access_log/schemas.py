from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from shared.identity import IdentityQuery


class AccessLogSearch(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    identity: IdentityQuery
    from_: date | None = Field(default=None, alias="from", description="Inclusive, Ecuador date.")
    to: date | None = Field(default=None, description="Inclusive, Ecuador date.")
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = None
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
    at: datetime
    client: str
    endpoint: str
    purpose: str | None
    reference: str | None
    movement_count: int
    request_id: str | None
    on_behalf_of: str | None = Field(
        description="The authority an intermediary (the issuer) read for, when it said."
    )


class AccessLogPage(BaseModel):
    items: list[AccessLogItem]
    next_cursor: str | None


class AuditHead(BaseModel):
    rows: int = Field(description="How many access-log rows the chain links.")
    hash: str = Field(description="SHA-256 (hex) of the chain's last link.")
    at: datetime
    last_id: int = Field(description="The access-log id of the last linked row.")
    kid: str
    signature: str = Field(description="Compact JWS (EdDSA) over {rows, hash, at}.")


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[Jwk]

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.validation import InputModel

from .claims import SealClaims
from .codec import MAX_SEAL_CHARS, Reason

SealStatus = Literal["VALID", "REVOKED", "UNKNOWN"]


class SealIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"seal": "CMM1:6BFOXN*TS0BI$ZD8UHBE4SX4G$AH*S9R"}]},
    )

    seal: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SEAL_CHARS)
    ] = Field(
        description="The text after `#` in the QR code's URL, `CMM1:` included "
        "(percent-decoded: a browser turns its spaces into `%20`).",
        examples=["CMM1:6BFOXN*TS0BI$ZD..."],
    )


class SealClaimsOut(BaseModel):
    """The claims under their CBOR names (see docs/seal.md)."""

    model_config = ConfigDict(populate_by_name=True)

    n: str = Field(description="Certificate number.", examples=["CMM-2025-000123"])
    iat: int = Field(description="Issued at, seconds since the Unix epoch.")
    auth: str = Field(description="Requesting authority, as printed.")
    ofi: str = Field(description="Oficio number.")
    sub: str = Field(description="Subject's name, masked as on the verification page.")
    sid: str = Field(description="Subject's identification, masked.")
    from_: date | None = Field(alias="from", description="Period start; null: whole history.")
    to: date = Field(description="Period end.")
    cnt: int = Field(description="Number of movements certified.")
    sha: str = Field(
        description="Hex of the first 16 bytes of the SHA-256 of the movement table as printed."
    )

    @classmethod
    def of(cls, claims: SealClaims) -> SealClaimsOut:
        return cls.model_validate(claims.to_json())


class SealCheckOut(BaseModel):
    valid: bool = Field(description="Signed by one of our seal keys and well formed.")
    kid: str | None = Field(description="The seal key named by the seal.")
    claims: SealClaimsOut | None = Field(description="Only when valid.")
    status: SealStatus = Field(
        description="The certificate's status in our records; UNKNOWN when the seal is "
        "invalid or names no certificate we hold."
    )
    reason: Reason | None = Field(
        default=None, description="Why the seal is not valid (null when it is)."
    )
    record_matches: bool | None = Field(
        default=None,
        description="Whether our record of the certificate says what the seal says "
        "(number, issue time, authority, oficio, movement count); null without a record.",
    )


class SealKeyOut(BaseModel):
    """A P-256 public key (RFC 7517 JWK) that signs the certificates' QR seals."""

    kty: Literal["EC"] = Field(description="Key type.")
    crv: Literal["P-256"] = Field(description="Curve.")
    x: str = Field(description="The point's x coordinate, base64url without padding.")
    y: str = Field(description="The point's y coordinate, base64url without padding.")
    kid: str = Field(description="Key id, as named in a seal's protected header.")
    alg: Literal["ES256"] = Field(description="Signature algorithm.")
    use: Literal["sig"] = Field(description="`sig`: verifies signatures.")


class SealKeysOut(BaseModel):
    keys: list[SealKeyOut] = Field(
        description="Every key that signed or signs seals: keep them to check seals offline."
    )

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.validation import InputModel


class RevocationIn(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "Emitido con el oficio equivocado; reemplazado por CMM-2025-000124."}
            ]
        }
    )

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)
    ] = Field(
        description="Why the certificate is revoked (3-2000 characters); kept with it. Anyone "
        "who verifies it from then on sees REVOKED and when."
    )


class RevocationOut(BaseModel):
    certificate_id: UUID = Field(description="The revoked certificate.")
    number: str = Field(description="Número de certificado.")
    status: Literal["REVOKED"] = Field(default="REVOKED", description="Always `REVOKED`.")
    revoked_at: datetime = Field(description="When it was revoked.")
    revocation_reason: str = Field(description="The reason given.")

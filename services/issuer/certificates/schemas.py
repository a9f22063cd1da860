from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, StringConstraints

from shared.validation import InputModel


class RevocationIn(InputModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class RevocationOut(BaseModel):
    certificate_id: UUID
    number: str
    status: Literal["REVOKED"] = "REVOKED"
    revoked_at: datetime
    revocation_reason: str

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from services.registry.movements.schemas import MovementOut
from shared.identity import IdentityQuery
from shared.validation import InputModel


class HistorySearch(InputModel):
    identity: IdentityQuery
    from_: date | None = Field(default=None, alias="from", description="Inclusive, Ecuador date.")
    to: date | None = Field(default=None, description="Inclusive, Ecuador date.")
    purpose: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z_]{2,39}$")] = Field(
        description="Why the history is read, e.g. CERTIFICATE; written to the access log."
    )
    reference: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ] = Field(description="The case or oficio the read is for, e.g. FGE-FPP-2025-001234-O.")
    on_behalf_of: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = Field(
        default=None,
        description="When the caller reads for someone else (the issuer for the authority "
        "that sent the oficio): that authority's name, written to the access log.",
    )
    limit: int = Field(default=500, ge=1, le=1000)
    cursor: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> HistorySearch:
        if self.from_ and self.to and self.from_ > self.to:
            raise PydanticCustomError("PERIOD_INVALID", "'from' is after 'to'")
        return self


class Document(BaseModel):
    document_type: Literal["PASSPORT", "NATIONAL_ID", "TRAVEL_DOCUMENT", "OTHER"]
    document_number: str
    issuing_country: str


class PersonOut(BaseModel):
    person_id: UUID
    surnames: str
    given_names: str
    birth_date: date
    sex: Literal["F", "M", "X"]
    nationality: str
    national_id: str | None
    documents: list[Document]


class HistoryPage(BaseModel):
    person: PersonOut | None
    movements: list[MovementOut]
    next_cursor: str | None

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from services.registry.movements.schemas import MovementOut
from shared.identity import IdentityQuery
from shared.validation import InputModel

# Why personal data are read: every read-by-identity endpoint asks for the same three
# fields, and all three go to the access log.
ReadPurpose = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Z_]{2,39}$"),
    Field(description="Why the data are read, e.g. CERTIFICATE; written to the access log."),
]
ReadReference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    Field(description="The case or oficio the read is for, e.g. FGE-FPP-2025-001234-O."),
]
OnBehalfOf = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None,
    Field(
        description="When the caller reads for someone else (the issuer for the authority "
        "that sent the oficio): that authority's name, written to the access log."
    ),
]


class HistorySearch(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "identity": {"national_id": "1710034065"},
                    "from": "2025-01-01",
                    "to": "2025-12-31",
                    "purpose": "CERTIFICATE",
                    "reference": "FGE-FPP-2025-001234-O",
                }
            ]
        }
    )

    identity: IdentityQuery = Field(
        description='The person: `{"national_id"}` or the document triple; every document '
        "and cédula linked to the same person is included."
    )
    from_: date | None = Field(default=None, alias="from", description="Inclusive, Ecuador date.")
    to: date | None = Field(default=None, description="Inclusive, Ecuador date.")
    purpose: ReadPurpose
    reference: ReadReference
    on_behalf_of: OnBehalfOf = None
    limit: int = Field(default=500, ge=1, le=1000, description="Movements per page (1-1000).")
    cursor: str | None = Field(
        default=None, description="`next_cursor` of the previous page; omit for the first."
    )

    @model_validator(mode="after")
    def _ordered(self) -> HistorySearch:
        if self.from_ and self.to and self.from_ > self.to:
            raise PydanticCustomError("PERIOD_INVALID", "'from' is after 'to'")
        return self


class Document(BaseModel):
    document_type: Literal["PASSPORT", "NATIONAL_ID", "TRAVEL_DOCUMENT", "OTHER"] = Field(
        description="Kind of travel document."
    )
    document_number: str = Field(description="As stored (no spaces, upper case).")
    issuing_country: str = Field(description="ISO 3166-1 alpha-3 of the issuing country.")


class PersonOut(BaseModel):
    """The person's data of record: those first recorded with the cédula (or document)."""

    person_id: UUID = Field(description="The registry's id for the person.")
    surnames: str = Field(description="Apellidos of record.")
    given_names: str = Field(description="Nombres of record.")
    birth_date: date = Field(description="Fecha de nacimiento of record.")
    sex: Literal["F", "M", "X"] = Field(description="`X`: unspecified.")
    nationality: str = Field(description="ISO 3166-1 alpha-3.")
    national_id: str | None = Field(description="Cédula, when known.")
    documents: list[Document] = Field(description="Every travel document seen for the person.")


class HistoryPage(BaseModel):
    person: PersonOut | None = Field(description="Null when nobody matches the identity.")
    movements: list[MovementOut] = Field(
        description="Oldest first, annulled ones included (with their `annulment`)."
    )
    next_cursor: str | None = Field(description="Pass back as `cursor`; null on the last page.")

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.registry.history.schemas import PersonOut
from services.registry.movements.schemas import MovementOut
from shared.identity import IdentityQuery
from shared.validation import InputModel


class StaysQuery(InputModel):
    identity: IdentityQuery
    on: date | None = Field(
        default=None, description="The day the summary is as of (Ecuador). Default: today."
    )
    purpose: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z_]{2,39}$")] = Field(
        description="Why the data are read, e.g. CERTIFICATE; written to the access log."
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


class DaysInEcuador(BaseModel):
    last_90: int = Field(description="Days in Ecuador among the 90 days ending on `on`.")
    last_180: int
    last_365: int


class StayOut(BaseModel):
    entered_on: date | None = Field(description="Null: an EXIT with no ENTRY before it.")
    left_on: date | None = Field(description="Null: still in Ecuador on `on`.")
    days: int = Field(description="Calendar days in Ecuador, both ends included.")


class VisitorAllowanceOut(BaseModel):
    allowance_days: int
    window_days: int
    days_used: int
    days_remaining: int
    overstay_days: int


class ReturneeOut(BaseModel):
    abroad_from: date = Field(description="The EXIT that began the time abroad.")
    returned_on: date = Field(description="The ENTRY that began the current stay.")
    days_abroad: int = Field(description="`returned_on` - `abroad_from`, in days.")
    more_than_two_years_abroad: bool = Field(description="`days_abroad` > 730 (art. 6).")


class StaysSummary(BaseModel):
    person: PersonOut | None
    on: date
    status: Literal["IN_ECUADOR", "ABROAD", "UNKNOWN"]
    last_movement: MovementOut | None
    days_in_ecuador: DaysInEcuador
    stays: list[StayOut]
    visitor_allowance: VisitorAllowanceOut | None = Field(
        description="Only for people whose nationality is not ECU."
    )
    returnee: ReturneeOut | None = Field(
        description="Only for Ecuadorians (nationality ECU or a cédula) in Ecuador on `on` "
        "who have left before."
    )
    anomalies: list[str] = Field(
        description="What the counting rules met: `UNKNOWN_ENTRY` (an EXIT with no ENTRY "
        "before it), `CONSECUTIVE_ENTRY`, `CONSECUTIVE_EXIT`."
    )

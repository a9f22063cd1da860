from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.history.schemas import OnBehalfOf, PersonOut, ReadPurpose, ReadReference
from services.registry.movements.schemas import MovementOut
from shared.identity import IdentityQuery
from shared.validation import InputModel


class StaysQuery(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "identity": {"national_id": "1710034065"},
                    "on": "2025-11-01",
                    "purpose": "CERTIFICATE",
                    "reference": "FGE-FPP-2025-001234-O",
                }
            ]
        }
    )

    identity: IdentityQuery = Field(
        description='The person: `{"national_id"}` or the document triple.'
    )
    on: date | None = Field(
        default=None, description="The day the summary is as of (Ecuador). Default: today."
    )
    purpose: ReadPurpose
    reference: ReadReference
    on_behalf_of: OnBehalfOf = None


class DaysInEcuador(BaseModel):
    last_90: int = Field(description="Days in Ecuador among the 90 days ending on `on`.")
    last_180: int = Field(description="Days in Ecuador among the 180 days ending on `on`.")
    last_365: int = Field(description="Days in Ecuador among the 365 days ending on `on`.")


class StayOut(BaseModel):
    entered_on: date | None = Field(description="Null: an EXIT with no ENTRY before it.")
    left_on: date | None = Field(description="Null: still in Ecuador on `on`.")
    days: int = Field(description="Calendar days in Ecuador, both ends included.")


class VisitorAllowanceOut(BaseModel):
    """A foreign visitor's allowance: so many days in Ecuador in any window of days."""

    allowance_days: int = Field(
        description="Days a visitor may stay in the window (90 unless configured)."
    )
    window_days: int = Field(description="The rolling window, in days (365 unless configured).")
    days_used: int = Field(description="Days in Ecuador within the window ending on `on`.")
    days_remaining: int = Field(description="`allowance_days` - `days_used`, never below 0.")
    overstay_days: int = Field(description="Days beyond the allowance; 0 when within it.")


class ReturneeOut(BaseModel):
    abroad_from: date = Field(description="The EXIT that began the time abroad.")
    returned_on: date = Field(description="The ENTRY that began the current stay.")
    days_abroad: int = Field(description="`returned_on` - `abroad_from`, in days.")
    more_than_two_years_abroad: bool = Field(description="`days_abroad` > 730 (art. 6).")


class StaysSummary(BaseModel):
    person: PersonOut | None = Field(description="Null when nobody matches the identity.")
    on: date = Field(description="The day the summary is as of (Ecuador).")
    status: Literal["IN_ECUADOR", "ABROAD", "UNKNOWN"] = Field(
        description="After the last counted movement: an ENTRY means `IN_ECUADOR`, an EXIT "
        "`ABROAD`; `UNKNOWN` without movements."
    )
    last_movement: MovementOut | None = Field(
        description="The last non-annulled movement on or before `on`."
    )
    days_in_ecuador: DaysInEcuador = Field(description="Days in Ecuador over rolling windows.")
    stays: list[StayOut] = Field(description="Each stay in Ecuador, oldest first.")
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

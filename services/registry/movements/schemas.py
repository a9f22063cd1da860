"""What terminals send and what the registry answers about movements."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.registry.calendar import ecuador_date, is_minor_on
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.movements.minors import MinorBlock
from shared.identity import Cedula, CountryCode, DocumentNumber, DocumentType, is_valid_cedula
from shared.validation import InputModel, merged, rule_error

MAX_FUTURE_SKEW = timedelta(minutes=5)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


def _not_in_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + MAX_FUTURE_SKEW:
        raise PydanticCustomError(
            "OCCURRED_AT_IN_FUTURE", "more than 5 minutes in the future; check the terminal clock"
        )
    if value.year < EARLIEST_BIRTH_DATE.year:
        raise PydanticCustomError("OCCURRED_AT_BEFORE_1900", "the movement is dated before 1900")
    return value


EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _birth_not_in_future(value: date) -> date:
    if value > datetime.now(UTC).date() + timedelta(days=1):  # +1: any time zone's today
        raise PydanticCustomError("BIRTH_DATE_IN_FUTURE", "birth date is in the future")
    if value < EARLIEST_BIRTH_DATE:
        raise PydanticCustomError("BIRTH_DATE_BEFORE_1900", "birth date is before 1900")
    return value


def _known_control_point(value: str) -> str:
    problem = CONTROL_POINTS.problem(value)
    if problem == "CONTROL_POINT_INACTIVE":
        raise PydanticCustomError(
            problem, "control point '{control_point}' is inactive", {"control_point": value}
        )
    if problem:
        raise PydanticCustomError(
            problem,
            "unknown control point '{control_point}'; see GET /v1/control-points",
            {"control_point": value},
        )
    return value


Strict = InputModel


class Traveller(Strict):
    document_type: DocumentType
    document_number: DocumentNumber
    issuing_country: CountryCode
    nationality: CountryCode
    national_id: Cedula | None = None
    surnames: Name
    given_names: Name
    birth_date: Annotated[date, AfterValidator(_birth_not_in_future)]
    sex: Literal["F", "M", "X"]

    @model_validator(mode="after")
    def _ecuadorian_id_card_is_a_cedula(self) -> Traveller:
        # An Ecuadorian cédula used as travel document (Andean Community) *is* the
        # national id: link the person by it even when the terminal did not repeat it.
        if self.document_type == "NATIONAL_ID" and self.issuing_country == "ECU":
            if not is_valid_cedula(self.document_number):
                raise PydanticCustomError(
                    "NATIONAL_ID_INVALID",
                    "an Ecuadorian NATIONAL_ID document must be a valid cédula",
                )
            if self.national_id is None:
                self.national_id = self.document_number
        return self


class Transport(Strict):
    mode: Literal["AIR", "SEA", "LAND"]
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None = None


class MovementIn(Strict):
    movement_id: UUID = Field(description="Minted by the terminal at capture; the idempotency key.")
    direction: Literal["ENTRY", "EXIT"]
    occurred_at: Annotated[AwareDatetime, AfterValidator(_not_in_future)] = Field(
        description="RFC 3339 with offset; naive timestamps are rejected."
    )
    control_point: Annotated[str, AfterValidator(_known_control_point)]
    traveller: Traveller
    transport: Transport | None = None
    origin_country: CountryCode | None = None
    destination_country: CountryCode | None = None
    observations: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None
    ) = None
    minor: MinorBlock | None = Field(
        default=None,
        description=(
            "Arts. 136-137, for travellers under 18 on the Ecuador day of `occurred_at` "
            "(the registry decides from `birth_date`; an adult with this block is 422 "
            "`NOT_A_MINOR`). What is missing is flagged, never rejected: "
            "`MINOR_WITHOUT_COMPANION_RECORD` (no companions and no responsible person), "
            "`MINOR_EXIT_WITHOUT_AUTHORIZATION` (an EXIT without `exit_authorization` and "
            "not with both a MOTHER and a FATHER, nor with a LEGAL_GUARDIAN). A minor "
            "movement without the block is flagged the same way."
        ),
    )

    @model_validator(mode="wrap")
    @classmethod
    def _every_rule(cls, data: Any, handler: Any) -> MovementIn:
        try:
            movement: MovementIn = handler(data)
        except ValidationError as exc:
            extra = _cross_field_errors(data)
            if not extra:
                raise
            raise merged(cls.__name__, exc, extra) from None
        if extra := _cross_field_errors(movement.model_dump()):
            raise merged(cls.__name__, None, extra)
        return movement

    def content_sha256(self) -> str:
        """Fingerprint of the content, to tell an honest retry from a conflicting reuse."""
        content = self.model_dump(mode="json")
        if content["minor"] is None:  # movements from before the block keep their fingerprint
            del content["minor"]
        content["occurred_at"] = self.occurred_at.astimezone(UTC).isoformat()
        raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


def _cross_field_errors(data: Any) -> list[Any]:
    """Rules spanning fields, judged on the raw body when the rest failed to parse:
    BIRTH_DATE_AFTER_MOVEMENT and NOT_A_MINOR."""
    try:
        occurred = data["occurred_at"]
        birth = data["traveller"]["birth_date"]
        occurred_at = (
            occurred if isinstance(occurred, datetime) else datetime.fromisoformat(occurred)
        )
        birth_date = birth if isinstance(birth, date) else date.fromisoformat(birth)
    except (KeyError, TypeError, ValueError):
        return []
    if occurred_at.tzinfo is None:
        return []
    errors = []
    if birth_date > occurred_at.date():
        errors.append(
            rule_error(
                "BIRTH_DATE_AFTER_MOVEMENT",
                ("traveller", "birth_date"),
                "birth date is after the movement",
                birth,
            )
        )
    elif data.get("minor") is not None and not is_minor_on(birth_date, ecuador_date(occurred_at)):
        errors.append(
            rule_error(
                "NOT_A_MINOR",
                ("minor",),
                "the traveller is 18 or older on the day of the movement; send no minor block",
                None,
            )
        )
    return errors


class Annulment(BaseModel):
    reason: str
    reference: str | None
    annulled_by: str
    annulled_at: datetime


class TravellerOut(BaseModel):
    document_type: DocumentType
    document_number: str
    issuing_country: str
    nationality: str
    national_id: str | None
    surnames: str
    given_names: str
    birth_date: date
    sex: Literal["F", "M", "X"]


class TransportOut(BaseModel):
    mode: Literal["AIR", "SEA", "LAND"]
    carrier: str | None
    number: str | None


class MovementOut(BaseModel):
    """A stored movement, the same shape wherever it appears (POST, GET, history, stays).
    Output models carry no input rules: history is shown as stored."""

    movement_id: UUID
    person_id: UUID = Field(
        description="The person as identified now: after two records are found to be one "
        "person, every read answers the surviving person's id."
    )
    direction: Literal["ENTRY", "EXIT"]
    occurred_at: datetime
    control_point: str
    traveller: TravellerOut = Field(
        description="The identity data as captured at the border, which may differ from the "
        "person's data of record (see `IDENTITY_DATA_MISMATCH`)."
    )
    transport: TransportOut | None
    origin_country: str | None
    destination_country: str | None
    observations: str | None
    minor: MinorBlock | None = None
    anomalies: list[str] = Field(
        description="Flags, never rejections. `CONSECUTIVE_ENTRY` / `CONSECUTIVE_EXIT`: the "
        "previous movement in time has the same direction. The POST answer (and batch "
        "results) say what was known **at insert time**; GET, history and stays recompute "
        "these two **at read time** over the person's whole non-annulled history, so a late "
        "upload from a land post can add or clear them. The rest are fixed at insert time: "
        "`IDENTITY_DATA_MISMATCH` (captured names, birth date or sex differ from the data "
        "of record), `DOCUMENT_HELD_BY_OTHER_PERSON`, `MINOR_WITHOUT_COMPANION_RECORD`, "
        "`MINOR_EXIT_WITHOUT_AUTHORIZATION`."
    )
    recorded_at: datetime
    annulment: Annulment | None = None


class BatchIn(Strict):
    movements: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=1000,
        description="Up to 1000 movements, each as for POST /v1/movements. Each is judged alone.",
        json_schema_extra={"items": {"$ref": "#/components/schemas/MovementIn"}},
    )


class BatchItemResult(BaseModel):
    index: int
    movement_id: str | None
    status: Literal["created", "duplicate", "conflict", "rejected"]
    errors: list[dict[str, str | None]]
    anomalies: list[str] = []


class BatchSummary(BaseModel):
    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0


class BatchOut(BaseModel):
    results: list[BatchItemResult]
    summary: BatchSummary


class AnnulmentIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )

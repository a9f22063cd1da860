"""What terminals send and what the registry answers about movements."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.registry.calendar import ecuador_date, is_minor_on
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.movements.minors import MinorBlock
from shared.errors import FieldErrorSchema
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

# The README's first movement: María José enters through Quito's airport.
MOVEMENT_EXAMPLE: dict[str, Any] = {
    "movement_id": "0b8a6f0e-3f0e-4c53-9a43-7f0d1c2b5e11",
    "direction": "ENTRY",
    "occurred_at": "2025-03-01T14:05:00-05:00",
    "control_point": "AIR-UIO",
    "traveller": {
        "document_type": "PASSPORT",
        "document_number": "AB123456",
        "issuing_country": "ECU",
        "nationality": "ECU",
        "national_id": "1710034065",
        "surnames": "PEREZ GOMEZ",
        "given_names": "MARIA JOSE",
        "birth_date": "1990-05-01",
        "sex": "F",
    },
    "transport": {"mode": "AIR", "carrier": "AV", "number": "AV8374"},
    "origin_country": "COL",
}


class Traveller(Strict):
    """The traveller as the terminal read them from the travel document."""

    document_type: DocumentType = Field(
        description="The travel document shown: `NATIONAL_ID` is an identity card (an "
        "Ecuadorian one must be a valid cédula)."
    )
    document_number: DocumentNumber = Field(
        description="As printed; spaces removed and upper-cased (1-30 letters, digits, `-`)."
    )
    issuing_country: CountryCode = Field(
        description="Country that issued the document, ISO 3166-1 alpha-3 (e.g. `ECU`)."
    )
    nationality: CountryCode = Field(description="ISO 3166-1 alpha-3, e.g. `ECU`, `COL`.")
    national_id: Cedula | None = Field(
        default=None,
        description="Ecuadorian cédula (10 digits with check digit), when the traveller has "
        "one: it links the movement to the person across passports.",
    )
    surnames: Name = Field(description="Apellidos, as on the document.")
    given_names: Name = Field(description="Nombres, as on the document.")
    birth_date: Annotated[date, AfterValidator(_birth_not_in_future)] = Field(
        description="Fecha de nacimiento (`YYYY-MM-DD`); decides whether the traveller is a minor."
    )
    sex: Literal["F", "M", "X"] = Field(description="As on the document; `X`: unspecified.")

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
    mode: Literal["AIR", "SEA", "LAND"] = Field(description="How the traveller crossed.")
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = Field(
        default=None, description="Airline, shipping or bus company, e.g. `AV`."
    )
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] | None = Field(
        default=None, description="Flight, voyage or vehicle number, e.g. `AV8374`."
    )


class MovementIn(Strict):
    """One crossing of Ecuador's border, as captured by the terminal (movimiento migratorio)."""

    model_config = ConfigDict(json_schema_extra={"examples": [MOVEMENT_EXAMPLE]})

    movement_id: UUID = Field(description="Minted by the terminal at capture; the idempotency key.")
    direction: Literal["ENTRY", "EXIT"] = Field(description="Ingreso (`ENTRY`) or salida (`EXIT`).")
    occurred_at: Annotated[AwareDatetime, AfterValidator(_not_in_future)] = Field(
        description="RFC 3339 with offset; naive timestamps are rejected."
    )
    control_point: Annotated[str, AfterValidator(_known_control_point)] = Field(
        description="Punto de control migratorio code, e.g. `AIR-UIO`; the active codes are "
        "in GET /v1/control-points."
    )
    traveller: Traveller = Field(description="Who crossed, as read from the travel document.")
    transport: Transport | None = Field(default=None, description="How they crossed.")
    origin_country: CountryCode | None = Field(
        default=None, description="Where an ENTRY came from, ISO 3166-1 alpha-3."
    )
    destination_country: CountryCode | None = Field(
        default=None, description="Where an EXIT is going, ISO 3166-1 alpha-3."
    )
    observations: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None
    ) = Field(default=None, description="Free text from the officer at the booth.")
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
        # The three fields the cross-field rules read (a whole model_dump() was 3% of a POST).
        parsed = {
            "occurred_at": movement.occurred_at,
            "traveller": {"birth_date": movement.traveller.birth_date},
            "minor": movement.minor,
        }
        if extra := _cross_field_errors(parsed):
            raise merged(cls.__name__, None, extra)
        return movement

    def content_sha256(self) -> str:
        """Fingerprint of the content, to tell an honest retry from a conflicting reuse."""
        content = self.model_dump(mode="json")
        if content["minor"] is None:  # movements from before the block keep their fingerprint
            del content["minor"]
        content["occurred_at"] = self.occurred_at.astimezone(UTC).isoformat()
        return fingerprint(content)


def fingerprint(content: dict[str, Any]) -> str:
    """SHA-256 of ``content`` as sorted, compact JSON in UTF-8: the bytes of
    ``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``,
    of which every stored fingerprint was made. orjson writes those same bytes (for the
    strings, booleans and nulls a movement holds) in a fifth of the time: the stdlib
    encoder was 3% of a POST."""
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    """Why and by whom a movement was annulled; the movement itself is never deleted."""

    reason: str = Field(description="Why the record was annulled, as the supervisor wrote it.")
    reference: str | None = Field(description="The document ordering it (oficio, resolución).")
    annulled_by: str = Field(description="The client that annulled it.")
    annulled_at: datetime = Field(description="When it was annulled.")


class TravellerOut(BaseModel):
    """The traveller exactly as captured at the border."""

    document_type: DocumentType = Field(description="The travel document shown.")
    document_number: str = Field(description="As stored (no spaces, upper case).")
    issuing_country: str = Field(description="ISO 3166-1 alpha-3 of the issuing country.")
    nationality: str = Field(description="ISO 3166-1 alpha-3.")
    national_id: str | None = Field(description="Cédula, when the traveller has one.")
    surnames: str = Field(description="Apellidos as captured.")
    given_names: str = Field(description="Nombres as captured.")
    birth_date: date = Field(description="Fecha de nacimiento as captured.")
    sex: Literal["F", "M", "X"] = Field(description="As captured; `X`: unspecified.")


class TransportOut(BaseModel):
    mode: Literal["AIR", "SEA", "LAND"] = Field(description="How the traveller crossed.")
    carrier: str | None = Field(description="Airline, shipping or bus company.")
    number: str | None = Field(description="Flight, voyage or vehicle number.")


class MovementOut(BaseModel):
    """A stored movement, the same shape wherever it appears (POST, GET, history, stays).
    Output models carry no input rules: history is shown as stored."""

    movement_id: UUID = Field(description="The id the terminal minted.")
    person_id: UUID = Field(
        description="The person as identified now: after two records are found to be one "
        "person, every read answers the surviving person's id."
    )
    direction: Literal["ENTRY", "EXIT"] = Field(description="Ingreso (`ENTRY`) or salida (`EXIT`).")
    occurred_at: datetime = Field(description="When the crossing happened, as the terminal said.")
    control_point: str = Field(description="Punto de control code, e.g. `AIR-UIO`.")
    traveller: TravellerOut = Field(
        description="The identity data as captured at the border, which may differ from the "
        "person's data of record (see `IDENTITY_DATA_MISMATCH`)."
    )
    transport: TransportOut | None = Field(description="How they crossed, when captured.")
    origin_country: str | None = Field(description="Where an ENTRY came from (alpha-3).")
    destination_country: str | None = Field(description="Where an EXIT went (alpha-3).")
    observations: str | None = Field(description="Free text from the officer at the booth.")
    minor: MinorBlock | None = Field(
        default=None, description="Arts. 136-137 data, when captured for a minor."
    )
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
    recorded_at: datetime = Field(description="When the registry stored it.")
    annulment: Annulment | None = Field(
        default=None, description="Set when the record was annulled; it then counts nowhere."
    )


class BatchIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "movements": [
                        MOVEMENT_EXAMPLE,
                        {
                            **MOVEMENT_EXAMPLE,
                            "movement_id": "af420be6-89a6-41ae-95d7-d168e0b6879a",
                            "direction": "EXIT",
                            "occurred_at": "2025-07-01T09:40:00-05:00",
                            "transport": {"mode": "AIR", "carrier": "AV", "number": "AV8375"},
                            "origin_country": None,
                            "destination_country": "COL",
                        },
                    ]
                }
            ]
        }
    )

    movements: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=1000,
        description="Up to 1000 movements, each as for POST /v1/movements. Each is judged alone.",
        json_schema_extra={"items": {"$ref": "#/components/schemas/MovementIn"}},
    )


class BatchItemResult(BaseModel):
    index: int = Field(description="Position of the movement in the batch, from 0.")
    movement_id: str | None = Field(description="As sent; null when it was not readable.")
    status: Literal["created", "duplicate", "conflict", "rejected"] = Field(
        description="`created`: stored now; `duplicate`: already stored with the same "
        "content; `conflict`: the id is stored with other content; `rejected`: invalid."
    )
    errors: list[FieldErrorSchema] = Field(
        description="Every failed rule of a rejected movement (or the conflict); empty "
        "otherwise. The same entries as a problem's `errors`."
    )
    anomalies: list[str] = Field(
        default=[], description="Flags of a created or duplicate movement, as for POST."
    )


class BatchSummary(BaseModel):
    created: int = Field(default=0, description="Movements stored now.")
    duplicate: int = Field(default=0, description="Movements already stored, identical.")
    conflict: int = Field(default=0, description="Ids already stored with other content.")
    rejected: int = Field(default=0, description="Invalid movements, not stored.")


class BatchOut(BaseModel):
    results: list[BatchItemResult] = Field(description="One per movement, in the batch's order.")
    summary: BatchSummary = Field(description="How many results of each status.")


class AnnulmentIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "Registro duplicado por error del operador en la cabina 3.",
                    "reference": "MDI-SM-2025-0456-O",
                }
            ]
        }
    )

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)
    ] = Field(description="Why the record is wrong (3-2000 characters); kept forever.")
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        Field(default=None, description="The oficio or resolución ordering the annulment.")
    )

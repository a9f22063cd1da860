"""Minors at the border (Reglamento a la Ley Orgánica de Movilidad Humana, arts. 136-137).

A minor's entry and exit record who travels with them, who is responsible for them and
where they will stay; a minor leaving with one parent, alone or with third persons needs
a notarial, judicial or consular authorisation. The crossing already happened, so what
is missing is flagged, never rejected. The registry, not the terminal, decides who is a
minor: under 18 on the Ecuador day of the movement, from the captured birth date.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from services.registry.calendar import ecuador_date, is_minor_on
from shared.identity import CountryCode, DocumentNumber, DocumentType, is_valid_cedula
from shared.validation import InputModel

MINOR_WITHOUT_COMPANION_RECORD = "MINOR_WITHOUT_COMPANION_RECORD"
MINOR_EXIT_WITHOUT_AUTHORIZATION = "MINOR_EXIT_WITHOUT_AUTHORIZATION"

Relationship = Literal["MOTHER", "FATHER", "LEGAL_GUARDIAN", "OTHER_RELATIVE", "OTHER"]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


_Strict = InputModel  # unknown fields, invisible characters and numeric dates refused


class Companion(_Strict):
    """Someone travelling with the minor, identified by their own travel document."""

    surnames: _Text = Field(description="Apellidos of the companion, as on their document.")
    given_names: _Text = Field(description="Nombres of the companion.")
    document_type: DocumentType = Field(description="The companion's travel document.")
    document_number: DocumentNumber = Field(description="As printed (spaces removed).")
    issuing_country: CountryCode = Field(description="ISO 3166-1 alpha-3, e.g. `ECU`.")
    relationship: Relationship = Field(
        description="To the minor; a `MOTHER` and a `FATHER`, or a `LEGAL_GUARDIAN`, make an "
        "exit authorisation unnecessary."
    )

    @model_validator(mode="after")
    def _ecuadorian_id_card_is_a_cedula(self) -> Companion:
        ecuadorian_id_card = self.document_type == "NATIONAL_ID" and self.issuing_country == "ECU"
        if ecuadorian_id_card and not is_valid_cedula(self.document_number):
            raise PydanticCustomError(
                "NATIONAL_ID_INVALID", "an Ecuadorian NATIONAL_ID document must be a valid cédula"
            )
        return self


class ResponsiblePerson(_Strict):
    """Who answers for the minor in the country of destination or in Ecuador."""

    full_name: _Text = Field(description="Nombres y apellidos.")
    relationship: Relationship = Field(description="To the minor.")
    address: _Text | None = Field(default=None, description="Where they can be reached.")


class ExitAuthorization(_Strict):
    """Art. 137: the notarial, judicial or consular authorisation to leave; `NOT_REQUIRED`
    for minors residing abroad and foreign tourists."""

    kind: Literal["NOTARIAL", "JUDICIAL", "CONSULAR", "NOT_REQUIRED"] = Field(
        description="Who granted it: notario, juez or cónsul; `NOT_REQUIRED` for minors "
        "residing abroad and foreign tourists."
    )
    reference: _Text | None = Field(
        default=None, description="Required unless kind is NOT_REQUIRED."
    )
    issued_on: date | None = Field(default=None, description="Date of the authorisation.")

    @model_validator(mode="after")
    def _reference_when_issued(self) -> ExitAuthorization:
        if self.kind != "NOT_REQUIRED" and self.reference is None:
            raise PydanticCustomError(
                "EXIT_AUTHORIZATION_REFERENCE_REQUIRED",
                "a {kind} authorisation needs its reference",
                {"kind": self.kind.lower()},
            )
        if self.issued_on is not None and self.issued_on.year < 1900:
            raise PydanticCustomError("DATE_INVALID", "issued_on is before 1900")
        return self


class MinorBlock(_Strict):
    """Arts. 136-137 data captured for a traveller under 18. Stored with the movement."""

    companions: list[Companion] = Field(
        default_factory=list, max_length=10, description="Who travels with the minor (max 10)."
    )
    responsible_person: ResponsiblePerson | None = Field(
        default=None, description="Who answers for the minor."
    )
    stay_address: _Text | None = Field(
        default=None, description="Where the minor will stay (domicilio)."
    )
    exit_authorization: ExitAuthorization | None = Field(
        default=None, description="Art. 137 authorisation to leave, when captured."
    )


def minor_flags(
    *, direction: str, occurred_at: datetime, birth_date: date, minor: MinorBlock | None
) -> list[str]:
    """The arts. 136-137 anomalies of one movement; empty for adults."""
    if not is_minor_on(birth_date, ecuador_date(occurred_at)):
        return []
    block = minor or MinorBlock()
    flags = []
    if not block.companions and block.responsible_person is None:
        flags.append(MINOR_WITHOUT_COMPANION_RECORD)
    if direction == "EXIT" and block.exit_authorization is None:
        with_ = {c.relationship for c in block.companions}
        both_parents = {"MOTHER", "FATHER"} <= with_
        if not both_parents and "LEGAL_GUARDIAN" not in with_:
            flags.append(MINOR_EXIT_WITHOUT_AUTHORIZATION)
    return flags

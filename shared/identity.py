"""Identity rules both services apply: cédula, ISO 3166 alpha-3, document numbers."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError
from stdnum.ec import ci
from stdnum.exceptions import ValidationError

from shared.validation import InputModel

DocumentType = Literal["PASSPORT", "NATIONAL_ID", "TRAVEL_DOCUMENT", "OTHER"]

_ALPHA3 = frozenset(c.alpha_3 for c in pycountry.countries)
# ICAO codes that appear in machine-readable travel documents and are not ISO countries
# would be rejected here on purpose: the contract asks for ISO 3166-1 alpha-3.


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in _ALPHA3:
        raise PydanticCustomError(
            "COUNTRY_INVALID",
            "'{value}' is not an ISO 3166-1 alpha-3 country code",
            {"value": value},
        )
    return code


def _cedula(value: str) -> str:
    try:
        return str(ci.validate(value.strip()))  # its compact form, checked once
    except ValidationError:
        raise PydanticCustomError(
            "NATIONAL_ID_INVALID", "not a valid Ecuadorian cédula (10 digits with check digit)"
        ) from None


_DOCUMENT = re.compile(r"^[A-Z0-9<\-]{1,30}$")


def normalise_document_number(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _document_number(value: str) -> str:
    number = normalise_document_number(value)
    if not _DOCUMENT.match(number):
        raise PydanticCustomError(
            "DOCUMENT_NUMBER_INVALID", "1-30 letters, digits or '-' after removing spaces"
        )
    return number


CountryCode = Annotated[str, AfterValidator(_country)]
Cedula = Annotated[str, AfterValidator(_cedula)]
DocumentNumber = Annotated[str, AfterValidator(_document_number)]


def is_valid_cedula(value: str) -> bool:
    return bool(ci.is_valid(value))


class IdentityQuery(InputModel):
    """Either ``{"national_id"}`` or ``{"document_type", "document_number", "issuing_country"}``."""

    national_id: Cedula | None = Field(
        default=None, description="Cédula (10 digits with check digit), e.g. `1710034065`."
    )
    document_type: DocumentType | None = Field(
        default=None, description="With document_number and issuing_country, instead of a cédula."
    )
    document_number: DocumentNumber | None = Field(
        default=None, description="As printed on the document (spaces are ignored)."
    )
    issuing_country: CountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-3 of the country that issued the document."
    )

    @model_validator(mode="after")
    def _one_form(self) -> IdentityQuery:
        document = (self.document_type, self.document_number, self.issuing_country)
        has_document = any(v is not None for v in document)
        if self.national_id is not None and not has_document:
            return self
        if self.national_id is None and all(v is not None for v in document):
            return self
        raise PydanticCustomError(
            "IDENTITY_FORM_INVALID",
            "give either national_id, or document_type + document_number + issuing_country",
        )

    def document_key(self) -> str | None:
        if self.document_number is None:
            return None
        return document_key(
            self.document_type or "OTHER", self.document_number, self.issuing_country or ""
        )

    def identifier(self) -> str:
        """The key the person is looked up by (see :func:`national_key`)."""
        if self.national_id:
            return national_key(self.national_id)
        key = self.document_key()
        assert key is not None  # the validator guarantees one complete form
        return key


# The identifier keys, defined here only: the registry's SQL receives them ready-made.
def national_key(national_id: str) -> str:
    """The identifier a cédula is known by: ``CI:1710034065``."""
    return f"CI:{national_id}"


def document_key(document_type: str, document_number: str, issuing_country: str) -> str:
    """The identifier a document is known by: ``PASSPORT:ECU:AB123456``."""
    return f"{document_type}:{issuing_country}:{document_number}"

"""Report every failed rule, including rules that span several fields.

pydantic stops before model-level validators when a field fails, so a body with
a bad cédula *and* a birth date after the movement would report one error. A
wrap validator runs the cross-field rules on whatever parsed and merges both.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
import unicodedata
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.errors import FieldError


def rule_error(code: str, loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    return {"type": PydanticCustomError(code, message), "loc": loc, "input": value}


def merged(
    title: str, exc: ValidationError | None, extra: Sequence[InitErrorDetails]
) -> ValidationError:
    details: list[InitErrorDetails] = []
    if exc is not None:
        for err in exc.errors():
            # Rebuilt as custom errors so the type (our code) and message survive unchanged.
            message = err["msg"].replace("{", "(").replace("}", ")")
            details.append(
                {
                    "type": PydanticCustomError(err["type"], message),
                    "loc": err["loc"],
                    "input": err.get("input"),
                }
            )
    details.extend(extra)
    return ValidationError.from_exception_data(title, details)


def field_errors(exc: ValidationError, *, prefix: Sequence[str | int] = ()) -> list[FieldError]:
    """The problem+json ``errors`` entries for a ValidationError raised outside FastAPI."""
    from shared.errors import validation_errors

    raw = [{**e, "loc": (*prefix, *e["loc"])} for e in exc.errors()]
    return validation_errors(raw)


# Control characters (but tab and line breaks), format characters (bidirectional
# overrides, zero-width spaces and joiners, soft hyphens) and lone surrogates.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def refuse_invalid_characters(value: str) -> str:
    """INVALID_CHARACTERS for text PostgreSQL cannot store (NUL) or that would mislead a
    reader of a certificate (a right-to-left override, an invisible character)."""
    if value.isprintable():  # the common case, in C: no control or format characters
        return value
    for position, char in enumerate(value):
        if char not in _ALLOWED_CONTROLS and unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise PydanticCustomError(
                "INVALID_CHARACTERS",
                "character U+{codepoint} at position {position} is not allowed "
                "(control, invisible or bidirectional-override characters)",
                {"codepoint": f"{ord(char):04X}", "position": position},
            )
    return value


def _mentions_date(annotation: Any) -> bool:
    if annotation in (dt.date, dt.datetime):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _mentions_date(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_mentions_date(arg) for arg in typing.get_args(annotation))
    return False


class InputModel(BaseModel):
    """Base of every request body: unknown fields refused, and two rules for every field,
    present and future, so no model can forget them:

    * text never carries control, invisible or bidi-override characters
      (``INVALID_CHARACTERS``);
    * a date or timestamp is a string, never a number (pydantic would otherwise read
      ``0`` as 1970-01-01).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _date_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._date_fields = frozenset(
            name for name, field in cls.model_fields.items() if _mentions_date(field.annotation)
        )

    @field_validator("*", mode="before")
    @classmethod
    def _dates_are_strings(cls, value: Any, info: ValidationInfo) -> Any:
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and info.field_name in cls._date_fields
        ):
            raise PydanticCustomError(
                "DATE_INVALID", "a date is written 'YYYY-MM-DD' (timestamps in RFC 3339)"
            )
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_clean(cls, value: Any) -> Any:
        if isinstance(value, str):
            return refuse_invalid_characters(value)
        return value

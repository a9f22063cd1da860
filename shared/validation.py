"""Report every failed rule, including rules that span several fields.

pydantic stops before model-level validators when a field fails, so a body with
a bad cédula *and* a birth date after the movement would report one error. A
wrap validator runs the cross-field rules on whatever parsed and merges both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
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

"""RFC 9457 problem+json for every error both services return.

Domain code raises :class:`Problem` (or a subclass); one handler renders it.
Request validation failures list *every* failed rule in ``errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://migracion.gob.ec/problems/"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FieldError:
    code: str
    field: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "field": self.field, "message": self.message}


class Problem(Exception):
    """An error the API reports as problem+json. Subclass per domain error."""

    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = list(errors)
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.type_slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


class InvalidInput(Problem):
    status = 422
    type_slug = "validation-error"
    title = "The request is not valid"


class Unauthenticated(Problem):
    status = 401
    type_slug = "unauthenticated"
    title = "Missing or invalid bearer token"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Problem):
    status = 403
    type_slug = "forbidden"
    title = "The token lacks the required scope"


class NotFound(Problem):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    type_slug = "conflict"
    title = "Conflict with an existing resource"


class PayloadTooLarge(Problem):
    status = 413
    type_slug = "payload-too-large"
    title = "Request body too large"


class TooManyRequests(Problem):
    status = 429
    type_slug = "too-many-requests"
    title = "Too many requests"


class ServiceUnavailable(Problem):
    status = 503
    type_slug = "service-unavailable"
    title = "Temporarily unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class FieldErrorSchema(BaseModel):
    """One failed rule."""

    code: str = Field(description="Machine-readable rule code, e.g. `INVALID_CHARACTERS`.")
    field: str | None = Field(description="Dotted path of the field, or null for the body.")
    message: str = Field(description="Human-readable explanation (English).")


class ProblemSchema(BaseModel):
    """RFC 9457 problem details, as every error of both services is reported."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[FieldErrorSchema] | None = Field(
        default=None, description="For input errors: every failed rule, one entry each."
    )


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    headers = dict(problem.headers)
    body = problem.body(instance=request.url.path)
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM_JSON)


def _pydantic_code(error_type: str) -> str:
    # pydantic's machine-readable types ("missing", "extra_forbidden", "string_too_long"...)
    # become the upper-case codes integrators match on.
    return error_type.upper()


def validation_errors(raw: Sequence[Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for err in raw:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        message = str(err.get("msg", "invalid"))
        # Custom validators raise PydanticCustomError(CODE, message): their type is the code.
        errors.append(
            FieldError(
                code=_pydantic_code(str(err.get("type", "invalid"))),
                field=".".join(loc) or None,
                message=message.removeprefix("Value error, "),
            )
        )
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = InvalidInput(
            "One or more fields are invalid; every failed rule is listed in errors.",
            errors=validation_errors(exc.errors()),
        )
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's only 400: a body it could not decode (not UTF-8, broken framing).
            return problem_response(malformed_body(), request)
        if exc.status_code == 413:
            return problem_response(PayloadTooLarge(str(exc.detail)), request)
        problem = Problem(str(exc.detail))
        problem.status = exc.status_code
        problem.title = str(exc.detail)
        problem.type_slug = f"http-{exc.status_code}"
        problem.headers = dict(exc.headers or {})
        return problem_response(problem, request)


def malformed_body() -> InvalidInput:
    return InvalidInput(
        "The body could not be decoded: send UTF-8 JSON.",
        errors=[FieldError("MALFORMED_BODY", None, "the body is not valid UTF-8 JSON")],
    )


def internal_error() -> Problem:
    problem = Problem("An unexpected error occurred; quote the X-Request-ID when reporting it.")
    problem.status = 500
    problem.title = "Internal server error"
    problem.type_slug = "internal-error"
    return problem

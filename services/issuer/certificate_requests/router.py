import math
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query, Request, status
from fastapi.responses import JSONResponse

from services.issuer.certificate_requests import service
from services.issuer.certificate_requests.schemas import (
    CertificateRequestOut,
    CertificateRequestPage,
    IssuedOut,
    PendingOut,
    RejectionProblem,
)
from services.issuer.certificate_requests.views import certificate_out, request_out
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.deps import AuthorityCaller, IssuerDep, SessionsDep, Today
from services.issuer.models import CertificateRequest
from services.issuer.oficios.schemas import CertificateRequestIn
from shared.db import SessionDep
from shared.errors import FieldError, InvalidInput, ProblemSchema, problem_response
from shared.request_id import current_request_id
from shared.web import api_router

router = api_router(prefix="/v1/certificate-requests", tags=["certificate requests"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemSchema, "description": "Missing or invalid token"},
    403: {"model": ProblemSchema, "description": "Token lacks the scope"},
}


class OficioRejected(InvalidInput):
    type_slug = "oficio-rejected"
    title = "The oficio does not meet the requirements for a certificate"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={
        201: {"model": IssuedOut, "description": "Issued: the certificate is ready"},
        200: {"model": CertificateRequestOut, "description": "Same oficio re-sent: as stored"},
        202: {
            "model": PendingOut,
            "description": "Registry unreachable: kept, issued in the background",
        },
        409: {"model": ProblemSchema, "description": "Oficio number reused, other content"},
        413: {"model": ProblemSchema, "description": "Body too large"},
        422: {"model": RejectionProblem, "description": "Every failed rule; rejection kept"},
        **_PROBLEMS,
    },
)
async def request_certificate(
    body: CertificateRequestIn,
    request: Request,
    sessions: SessionsDep,
    caller: AuthorityCaller,
    issuer: IssuerDep,
    today: Today,
) -> JSONResponse:
    """Ask for a person's certificate of migratory movements (scope `certificates:request`).

    Send the oficio that orders it, the person (`{"national_id"}` or `{"document_type",
    "document_number", "issuing_country"}`) and optionally the period (default: the whole
    history up to today, Ecuador time). Every rule is checked and **every** failure is
    listed, each with its `code` (`OFICIO_NUMBER_INVALID`, `SUBJECT_ID_INVALID`...).

    * **201**: issued. `certificate.pdf_url` downloads the signed PDF; `verify_url` is
      the public page anyone can use to check it (also printed as a QR code).
    * **202**: the movements registry cannot be reached right now. The request is kept
      and issued in the background as soon as it answers; poll
      `GET /v1/certificate-requests/{request_id}` after `Retry-After` seconds.
    * **422**: the oficio is rejected; the rejection is kept under `request_id`.
    * Re-sending the same oficio (same authority, same number) is safe: identical
      content answers **200** with the request as stored, whatever its status;
      different content under the same number answers **409**.

    Malformed JSON, missing or unknown fields are plain 422s with pydantic codes and
    are not kept.
    """
    # No request-wide session (SessionDep) here: it would hold a pooled connection, and
    # the transaction, while the oficio's signature is checked, the registry asked and
    # the PDF rendered and signed. submit() runs short transactions of its own instead.
    assert caller.authority_id is not None  # only authorities' tokens carry the scope
    submission = await service.submit(
        sessions,
        body,
        authority_id=caller.authority_id,
        issuer=issuer,
        today=today,
        request_id=current_request_id(),
    )
    stored = submission.certificate_request
    location = {"Location": f"/v1/certificate-requests/{stored.id}"}
    if submission.outcome == "REJECTED":
        # Answered, not raised: raising would roll back the rejection we must keep.
        problem = OficioRejected(
            "The oficio was rejected; every failed rule is listed in errors.",
            errors=[FieldError(**e) for e in stored.errors],
            extra={"request_id": str(stored.id)},
            headers=location,
        )
        return problem_response(problem, request)
    if submission.outcome == "PENDING":
        body_out = PendingOut(request_id=stored.id)
        headers = {**location, "Retry-After": _retry_after(issuer)}
        return JSONResponse(body_out.model_dump(mode="json"), 202, headers=headers)
    if submission.outcome == "ISSUED":
        assert submission.certificate is not None
        issued = IssuedOut(
            request_id=stored.id, certificate=certificate_out(issuer, submission.certificate)
        )
        return JSONResponse(issued.model_dump(mode="json"), 201, headers=location)
    existing = request_out(issuer, stored, submission.certificate, submission.notification)
    headers = {**location, **_pending_headers(issuer, stored)}
    return JSONResponse(existing.model_dump(mode="json"), 200, headers=headers)


MAX_PAGE_SIZE = 200


@router.get(
    "",
    response_model=CertificateRequestPage,
    responses={422: {"model": ProblemSchema, "description": "Bad filter or cursor"}, **_PROBLEMS},
)
async def list_certificate_requests(
    session: SessionDep,
    caller: AuthorityCaller,
    issuer: IssuerDep,
    status: Literal["ISSUED", "PENDING", "REJECTED"] | None = None,
    oficio_number: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> CertificateRequestPage:
    """Your authority's own requests, newest first (scope `certificates:request`).

    Filter by `status` and/or `oficio_number` (exact, as sent): after a crash of your own
    system, `?oficio_number=...` finds the request an oficio produced. Pages hold up to
    `limit` items (at most 200); pass `next_cursor` back as `cursor` for the next page,
    with the same filters. Other authorities' requests never appear.
    """
    assert caller.authority_id is not None
    page = await service.list_owned(
        session,
        authority_id=caller.authority_id,
        status=status,
        oficio_number=oficio_number.strip() if oficio_number else None,
        limit=limit,
        cursor=cursor,
    )
    return CertificateRequestPage(
        items=[request_out(issuer, *row) for row in page.rows], next_cursor=page.next_cursor
    )


@router.get(
    "/{request_id}",
    response_model=CertificateRequestOut,
    responses={404: {"model": ProblemSchema}, **_PROBLEMS},
)
async def get_certificate_request(
    request_id: UUID, session: SessionDep, caller: AuthorityCaller, issuer: IssuerDep
) -> JSONResponse:
    """A request as it stands (scope `certificates:request`): `ISSUED` with its
    `certificate`, `PENDING` (waiting for the registry; `Retry-After` says when to look
    again) or `REJECTED` with the same `errors` the POST answered. `oficio.signature` says
    who signed the oficio's PDF; `notification`, how the callback announcing the outcome
    of a PENDING request fared. Only the authority that sent the request sees it; to
    anyone else it does not exist (404)."""
    assert caller.authority_id is not None
    stored, certificate, notification = await service.get_owned(
        session, request_id, authority_id=caller.authority_id
    )
    out = request_out(issuer, stored, certificate, notification)
    return JSONResponse(out.model_dump(mode="json"), headers=_pending_headers(issuer, stored))


def _retry_after(issuer: CertificateIssuer) -> str:
    return str(max(1, math.ceil(issuer.settings.pending_poll_seconds)))


def _pending_headers(issuer: CertificateIssuer, stored: CertificateRequest) -> dict[str, str]:
    return {"Retry-After": _retry_after(issuer)} if stored.status == "PENDING" else {}

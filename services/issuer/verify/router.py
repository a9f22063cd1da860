"""Public endpoints: anyone holding a certificate, or its code, can check it."""

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from services.issuer.certificates.codes import normalise_verification_code
from services.issuer.deps import KeysDep
from services.issuer.verify import service
from services.issuer.verify.html import (
    PageContext,
    render_not_found_page,
    render_verification_page,
)
from services.issuer.verify.page_parts import content_security_policy
from services.issuer.verify.schemas import PdfCheckOut, VerificationOut
from shared.auth import PublicRateLimited
from shared.db import SessionDep
from shared.errors import FieldError, InvalidInput, Problem, ProblemSchema
from shared.web import api_router

router = api_router(tags=["verification (public)"])

_PDF_TYPES = ("application/pdf", "application/octet-stream")


class UnsupportedMediaType(Problem):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Send the PDF itself as application/pdf"


@router.get(
    "/v1/verify/{verification_code}",
    response_model=VerificationOut,
    dependencies=[PublicRateLimited],
    responses={
        200: {"content": {"text/html": {}}, "description": "JSON, or HTML for browsers"},
        404: {
            "model": ProblemSchema,
            "content": {"text/html": {}},
            "description": "No certificate has that code (an HTML page for browsers)",
        },
    },
)
async def verify_code(
    verification_code: str, request: Request, response: Response, session: SessionDep
) -> VerificationOut | HTMLResponse:
    """Check a certificate by the verification code printed on it (public, no token).

    Answers JSON by default and an HTML page (Spanish) when the client prefers
    `text/html`, as a phone's browser does after scanning the certificate's QR code;
    an unknown code is then a Spanish 404 page rather than problem+json. The subject is
    masked; movements and full identity numbers are never shown. Codes are
    case-insensitive and may be typed without dashes.
    """
    wants_html = prefers_html(request.headers.get("accept", ""))
    try:
        verification = await service.verification(session, verification_code)
    except service.VerificationCodeNotFound as missing:
        if not wants_html:
            missing.headers["Vary"] = "Accept"
            raise
        context = _page_context(request)
        return _html_page(render_not_found_page(verification_code, context=context), context, 404)
    if wants_html:
        context = _page_context(request)
        code = normalise_verification_code(verification_code) or verification_code
        page = render_verification_page(verification, code=code, context=context)
        return _html_page(page, context)
    # The same URL answers HTML or JSON: caches must key on Accept.
    response.headers["Vary"] = "Accept"
    return verification


def _page_context(request: Request) -> PageContext:
    # Paths only (with any root_path): behind a proxy the Host we see may be internal.
    return PageContext(
        check_pdf_url=request.url_for("verify_pdf").path,
        ca_url=request.url_for("signing_certificates").path,
    )


def _html_page(page: str, context: PageContext, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        page,
        status_code=status_code,
        headers={
            "Content-Security-Policy": content_security_policy(context.nonce),
            "Cache-Control": "no-store",
            "Vary": "Accept",
            # The URL carries the verification code: never hand it to another site.
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/v1/verify",
    response_model=PdfCheckOut,
    dependencies=[PublicRateLimited],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses={
        413: {"model": ProblemSchema},
        415: {"model": ProblemSchema},
        422: {"model": ProblemSchema},
    },
)
async def verify_pdf(request: Request, session: SessionDep, keys: KeysDep) -> PdfCheckOut:
    """Check whether a PDF is a certificate this issuer issued (public, no token).

    Send the file's bytes as the body with `Content-Type: application/pdf`. `match` is
    true only for the exact bytes we issued (any change, even re-saving, breaks it);
    `signature_valid` says whether the PDF's certifying signature is intact and chains
    to our CA (`GET /v1/signing-certificates`).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _PDF_TYPES:
        raise UnsupportedMediaType(f"Got {content_type or 'no Content-Type'}.")
    pdf = await request.body()
    if not pdf:
        raise InvalidInput(
            "The body is empty.", errors=[FieldError("BODY_EMPTY", None, "send the PDF's bytes")]
        )
    return await service.check_pdf(
        session, pdf, ca_certificates=keys.ca_certificates, timestamp_roots=keys.tsa_trust_roots
    )


@router.get(
    "/v1/signing-certificates",
    response_class=Response,
    responses={
        200: {
            "description": "PEM text",
            "content": {
                "application/x-pem-file": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
async def signing_certificates(keys: KeysDep) -> Response:
    """The CA certificate (PEM) to trust when validating our certificates' signatures,
    e.g. in Adobe Reader, FirmaEC or pyHanko (public, no token)."""
    return Response(
        keys.ca_pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": 'inline; filename="ca-certificados-migracion.pem"'},
    )


def prefers_html(accept: str) -> bool:
    """Whether an Accept header ranks text/html above JSON (``*/*`` alone means JSON)."""
    html_q = json_q = 0.0
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media in ("text/html", "application/xhtml+xml"):
            html_q = max(html_q, q)
        elif media in ("application/json", "application/*", "*/*"):
            json_q = max(json_q, q)
    return html_q > json_q

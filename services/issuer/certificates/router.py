from uuid import UUID

from fastapi import Response

from services.issuer.certificates import service
from services.issuer.certificates.schemas import RevocationIn, RevocationOut
from services.issuer.deps import AuthorityCaller, IssuerAdmin
from shared.db import SessionDep
from shared.errors import ProblemSchema
from shared.web import api_router

_BINARY = {"schema": {"type": "string", "format": "binary"}}
router = api_router(prefix="/v1/certificates", tags=["certificates"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemSchema, "description": "Missing or invalid token"},
    403: {"model": ProblemSchema, "description": "Token lacks the scope"},
    404: {"model": ProblemSchema, "description": "No such certificate (for this caller)"},
}


@router.get(
    "/{certificate_id}/pdf",
    response_class=Response,
    responses={
        200: {
            # octet-stream as well, so that client generators offer the bytes as a file.
            "content": {"application/pdf": _BINARY, "application/octet-stream": _BINARY},
            "description": "The signed certificate",
        },
        **_PROBLEMS,
    },
)
async def download_certificate(
    certificate_id: UUID, session: SessionDep, caller: AuthorityCaller
) -> Response:
    """The signed certificate PDF (scope `certificates:request`), for the authority that
    requested it only; to anyone else it does not exist (404).

    The PDF carries a certifying PAdES signature (no changes allowed): validate it against
    the CA from `GET /v1/signing-certificates`, or send it to `POST /v1/verify`.
    """
    assert caller.authority_id is not None
    number, pdf = await service.owned_pdf(session, certificate_id, authority_id=caller.authority_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{number}.pdf"',
            # Personal data: no shared caches.
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/{certificate_id}/revocation",
    response_model=RevocationOut,
    responses={409: {"model": ProblemSchema, "description": "Already revoked"}, **_PROBLEMS},
)
async def revoke_certificate(
    certificate_id: UUID, body: RevocationIn, session: SessionDep, caller: IssuerAdmin
) -> RevocationOut:
    """Revoke a certificate issued in error (scope `admin`).

    The certificate is kept (nothing is ever deleted); from now on
    `GET /v1/verify/{code}` and `POST /v1/verify` report it as `REVOKED`. Revocation is
    final: revoking again answers 409.
    """
    revoked = await service.revoke(
        session, certificate_id, reason=body.reason, revoked_by=caller.client_id
    )
    return RevocationOut(
        certificate_id=revoked.certificate_id,
        number=revoked.number,
        revoked_at=revoked.revoked_at,
        revocation_reason=revoked.reason,
    )

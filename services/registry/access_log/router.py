from datetime import UTC, datetime

from fastapi import Request

from services.registry.access_log import search as search_service
from services.registry.access_log.chain import chain_pending
from services.registry.access_log.schemas import (
    AccessLogPage,
    AccessLogSearch,
    AuditHead,
    Jwks,
)
from services.registry.access_log.signing import AuditKey
from services.registry.deps import Auditor
from shared.db import SessionDep
from shared.errors import ProblemSchema
from shared.web import api_router

router = api_router(tags=["audit"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemSchema},
    403: {"model": ProblemSchema},
    422: {"model": ProblemSchema},
}


@router.post("/v1/access-log/search", response_model=AccessLogPage, responses=_PROBLEMS)
async def search_access_log(
    query: AccessLogSearch, session: SessionDep, caller: Auditor
) -> AccessLogPage:
    """Who consulted a person's data (scope `audit:read`), newest first: every logged
    read of the person's history, stays, movements or identity, by whom, when, under
    which purpose and reference (oficio, case), and for which authority when the reader
    was an intermediary such as the certificate issuer. Identify the person as in
    `POST /v1/history/search`; `from`/`to` are inclusive Ecuador dates; pass
    `next_cursor` back as `cursor`. The search itself is written to the access log
    (Ley Orgánica de Protección de Datos Personales: the data subject's right of access).
    """
    return await search_service.search(session, query, client_id=caller.client_id)


@router.get("/v1/audit/head", response_model=AuditHead, responses=_PROBLEMS)
async def audit_head(request: Request, caller: Auditor) -> AuditHead:
    """The access log's hash chain as of now (scope `audit:read`): how many rows it links,
    the last link's SHA-256, and an EdDSA JWS over `{rows, hash, at}` made with the audit
    key published at `GET /v1/audit/keys`. Keep heads somewhere the registry's operators
    cannot write: `registry audit verify --head FILE` later proves the log still extends
    them, i.e. that no row before them was changed, removed or inserted."""
    tail = await chain_pending(request.app.state.sessionmaker)
    key: AuditKey = request.app.state.audit_key
    at = datetime.now(UTC).replace(microsecond=0)
    signed_at = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = key.sign({"rows": tail.rows, "hash": tail.hash, "at": signed_at})
    return AuditHead(
        rows=tail.rows,
        hash=tail.hash,
        at=at,
        last_id=tail.entry_id,
        kid=key.kid,
        signature=signature,
    )


@router.get("/v1/audit/keys", response_model=Jwks)
async def audit_keys(request: Request) -> Jwks:
    """The public audit keys (JWKS, public): the current one and any retired ones still
    needed to check older heads, each under its RFC 7638 thumbprint as `kid`."""
    key: AuditKey = request.app.state.audit_key
    return Jwks.model_validate(key.jwks())

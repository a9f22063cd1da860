"""Dependencies the issuer's routers share: session, calling authority, issuer, clock."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from services.issuer.certificates.service import CertificateIssuer
from services.issuer.clock import today_in_ecuador
from services.issuer.key_material import KeyMaterial
from services.issuer.models import Authority, AuthorityToken
from shared.auth import Principal, bearer_token, hash_token
from shared.db import SessionDep
from shared.errors import Unauthenticated


async def current_caller(request: Request, session: SessionDep) -> Principal:
    token_hash = hash_token(bearer_token(request))
    row = (
        await session.execute(
            select(AuthorityToken, Authority)
            .join(Authority, Authority.id == AuthorityToken.authority_id)
            .where(AuthorityToken.token_hash == token_hash, AuthorityToken.active)
        )
    ).first()
    if row is None:
        raise Unauthenticated("Unknown or revoked token.")
    # A deactivated authority still authenticates: its requests are then rejected with
    # AUTHORITY_INACTIVE, which tells its integrators what happened.
    token, authority = row
    return Principal(
        client_id=token.id,
        name=authority.name,
        scopes=frozenset(token.scopes),
        authority_id=authority.id,
    )


Caller = Annotated[Principal, Depends(current_caller)]


async def calling_authority(session: SessionDep, caller: Caller) -> Authority:
    # Already in the session's identity map (loaded with the token): no second query.
    authority = await session.get(Authority, caller.authority_id)
    assert authority is not None
    return authority


CallingAuthority = Annotated[Authority, Depends(calling_authority)]


def _issuer(request: Request) -> CertificateIssuer:
    issuer: CertificateIssuer = request.app.state.certificate_issuer
    return issuer


def _keys(request: Request) -> KeyMaterial:
    keys: KeyMaterial = request.app.state.keys
    return keys


IssuerDep = Annotated[CertificateIssuer, Depends(_issuer)]
KeysDep = Annotated[KeyMaterial, Depends(_keys)]
Today = Annotated[date, Depends(today_in_ecuador)]

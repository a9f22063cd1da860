"""Dependencies the issuer's routers share: who is calling, the issuer, the clock.

Each route declares its caller with an alias below; the declaration is checked
before the request's body, path or query are read (shared.auth.GuardedRoute).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import State

from services.issuer.certificates.service import CertificateIssuer
from services.issuer.clock import today_in_ecuador
from services.issuer.key_material import KeyMaterial
from services.issuer.models import Authority, AuthorityToken, StaffToken
from shared.auth import Principal, TokenLookup, requires
from shared.db import SessionDep

AuthorityCaller = Annotated[Principal, requires("certificates:request")]
IssuerAdmin = Annotated[Principal, requires("admin")]


def token_lookup(state: State) -> TokenLookup:
    """An authority's token, else a staff token (with ``state.sessionmaker``, which the
    lifespan or a test sets). A deactivated authority still
    authenticates: its requests are then rejected with AUTHORITY_INACTIVE, which tells
    its integrators what happened."""

    async def lookup(token_hash: str) -> Principal | None:
        sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
        async with sessionmaker() as session:
            row = (
                await session.execute(
                    select(AuthorityToken.id, AuthorityToken.scopes, Authority.id, Authority.name)
                    .join(Authority, Authority.id == AuthorityToken.authority_id)
                    .where(AuthorityToken.token_hash == token_hash, AuthorityToken.active)
                )
            ).first()
            if row is not None:
                token_id, scopes, authority_id, name = row
                return Principal(token_id, name, frozenset(scopes), authority_id=authority_id)
            staff = (
                await session.execute(
                    select(StaffToken.id, StaffToken.name, StaffToken.scopes).where(
                        StaffToken.token_hash == token_hash, StaffToken.active
                    )
                )
            ).first()
        if staff is None:
            return None
        return Principal(staff.id, staff.name, frozenset(staff.scopes))

    return lookup


async def calling_authority(session: SessionDep, caller: AuthorityCaller) -> Authority:
    authority = await session.get(Authority, caller.authority_id)
    assert authority is not None  # only authorities' tokens carry certificates:request
    return authority


CallingAuthority = Annotated[Authority, Depends(calling_authority)]


def _issuer(request: Request) -> CertificateIssuer:
    issuer: CertificateIssuer = request.app.state.certificate_issuer
    return issuer


def _keys(request: Request) -> KeyMaterial:
    keys: KeyMaterial = request.app.state.keys
    return keys


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessions


IssuerDep = Annotated[CertificateIssuer, Depends(_issuer)]
KeysDep = Annotated[KeyMaterial, Depends(_keys)]
# For an endpoint that runs several short transactions of its own instead of SessionDep's
# one per request (POST /v1/certificate-requests: no connection held while it waits).
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]
Today = Annotated[date, Depends(today_in_ecuador)]

"""Competent authorities and their tokens: created by the CLI, only token hashes kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.models import AUTHORITY_KINDS, Authority, AuthorityToken, StaffToken
from services.issuer.notifications.callbacks import check_callback_url, new_signing_secret
from shared.auth import hash_token, new_token, parse_scopes

# What an authority's token may carry. `admin` belongs to staff tokens only.
SCOPES = ("certificates:request",)
STAFF_SCOPES = ("admin",)


@dataclass(frozen=True, slots=True)
class CreatedToken:
    authority_id: UUID
    authority_name: str
    token_id: UUID
    scopes: list[str]
    token: str
    # Shown once, like the token: the authority verifies callbacks with it.
    callback_secret: str | None = None


class UnknownAuthority(LookupError):
    pass


def check_oficio_pattern(pattern: str | None) -> str | None:
    """The pattern as stored, or ValueError: a broken regex must fail at the CLI, not at the
    first oficio."""
    if pattern is None or not pattern.strip():
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return pattern


async def create_authority(
    session: AsyncSession,
    *,
    name: str,
    kind: str,
    oficio_pattern: str | None = None,
    scopes: str = "certificates:request",
    callback_url: str | None = None,
    production: bool = False,
) -> CreatedToken:
    if kind not in AUTHORITY_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(AUTHORITY_KINDS)}")
    name = name.strip()
    if await session.scalar(select(Authority.id).where(Authority.name == name)) is not None:
        raise ValueError(f"an authority named {name!r} already exists")
    authority = Authority(name=name, kind=kind, oficio_pattern=check_oficio_pattern(oficio_pattern))
    secret = None
    if callback_url:
        authority.callback_url = check_callback_url(callback_url, production=production)
        authority.callback_secret = secret = new_signing_secret()
    session.add(authority)
    await session.flush()
    created = await _add_token(session, authority, scopes)
    return replace(created, callback_secret=secret)


@dataclass(frozen=True, slots=True)
class CallbackSet:
    authority_id: UUID
    callback_url: str | None
    secret: str | None


async def set_callback(
    session: AsyncSession, *, name: str, url: str | None, production: bool
) -> CallbackSet:
    """Set (with a new secret) or, with ``url=None``, remove an authority's callback.

    Deliveries still in the outbox go to the new URL, signed with the new secret."""
    authority = await session.scalar(select(Authority).where(Authority.name == name))
    if authority is None:
        raise UnknownAuthority(f"no authority named {name!r}")
    if url:
        authority.callback_url = check_callback_url(url, production=production)
        authority.callback_secret = new_signing_secret()
    else:
        authority.callback_url = authority.callback_secret = None
    await session.flush()
    return CallbackSet(authority.id, authority.callback_url, authority.callback_secret)


async def create_token(session: AsyncSession, *, authority_name: str, scopes: str) -> CreatedToken:
    authority = await session.scalar(select(Authority).where(Authority.name == authority_name))
    if authority is None:
        raise UnknownAuthority(f"no authority named {authority_name!r}")
    return await _add_token(session, authority, scopes)


async def deactivate_authority(session: AsyncSession, *, name: str) -> UUID:
    """Its tokens keep authenticating, so its systems learn why: AUTHORITY_INACTIVE."""
    authority_id: UUID | None = await session.scalar(
        update(Authority).where(Authority.name == name).values(active=False).returning(Authority.id)
    )
    if authority_id is None:
        raise UnknownAuthority(f"no authority named {name!r}")
    return authority_id


@dataclass(frozen=True, slots=True)
class CreatedStaffToken:
    token_id: UUID
    name: str
    token: str


async def create_staff_token(session: AsyncSession, *, name: str) -> CreatedStaffToken:
    """A token for the Subsecretaría's staff (scope ``admin``: revocations)."""
    token = new_token("iss")
    row = StaffToken(name=name.strip(), token_hash=hash_token(token), scopes=list(STAFF_SCOPES))
    session.add(row)
    await session.flush()
    return CreatedStaffToken(token_id=row.id, name=row.name, token=token)


async def _add_token(session: AsyncSession, authority: Authority, scopes: str) -> CreatedToken:
    if "admin" in {s.strip() for s in scopes.split(",")}:
        raise ValueError(
            "an authority's token cannot carry admin; staff tokens come from `issuer staff create`"
        )
    parsed = parse_scopes(scopes, allowed=SCOPES)
    token = new_token("iss")
    row = AuthorityToken(authority_id=authority.id, token_hash=hash_token(token), scopes=parsed)
    session.add(row)
    await session.flush()
    return CreatedToken(
        authority_id=authority.id,
        authority_name=authority.name,
        token_id=row.id,
        scopes=parsed,
        token=token,
    )

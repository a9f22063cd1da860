"""Bearer tokens with scopes.

Tokens are random, shown once by the CLI, and stored only as SHA-256 hashes: a
token has 256 bits of entropy, so a fast hash is safe here (unlike passwords)
and keeps the per-request lookup cheap.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from fastapi import Request

from shared.errors import Forbidden, Unauthenticated


@dataclass(frozen=True, slots=True)
class Principal:
    """The calling client, as the endpoints see it."""

    client_id: UUID
    name: str
    scopes: frozenset[str]
    # The issuer ties every token to one competent authority.
    authority_id: UUID | None = None

    def require(self, *any_of: str) -> None:
        if self.scopes.intersection(any_of):
            return
        raise Forbidden(f"This operation needs the scope {' or '.join(any_of)}.")


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send Authorization: Bearer <token>.")
    return token.strip()


def parse_scopes(raw: str, *, allowed: Collection[str]) -> list[str]:
    scopes = sorted({s.strip() for s in raw.split(",") if s.strip()})
    unknown = [s for s in scopes if s not in allowed]
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; choose from {sorted(allowed)}")
    return scopes

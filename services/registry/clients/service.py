"""API clients: created by the CLI, each with scopes; only the token's hash is kept."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import ApiClient
from shared.auth import hash_token, new_token, parse_scopes

SCOPES = ("movements:write", "history:read", "movements:correct", "audit:read", "admin")


@dataclass(frozen=True, slots=True)
class CreatedClient:
    client_id: UUID
    name: str
    scopes: list[str]
    token: str


async def create_client(session: AsyncSession, *, name: str, scopes: str) -> CreatedClient:
    parsed = parse_scopes(scopes, allowed=SCOPES)
    token = new_token("reg")
    client = ApiClient(name=name, token_hash=hash_token(token), scopes=parsed)
    session.add(client)
    await session.flush()
    return CreatedClient(client_id=client.id, name=name, scopes=parsed, token=token)

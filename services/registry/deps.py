"""Who may call what: each route declares its caller with one of these aliases.

The declaration is checked before the request's body, path or query are read
(shared.auth.GuardedRoute), and it is what OpenAPI shows as the route's security.
"""

from typing import Annotated

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import State

from services.registry.clients.service import SCOPES
from services.registry.models import ApiClient
from shared.auth import Principal, TokenLookup, requires

AnyClient = Annotated[Principal, requires(*SCOPES)]
MovementWriter = Annotated[Principal, requires("movements:write")]
MovementReader = Annotated[Principal, requires("movements:write", "history:read")]
MovementCorrector = Annotated[Principal, requires("movements:correct")]
HistoryReader = Annotated[Principal, requires("history:read")]
Auditor = Annotated[Principal, requires("audit:read")]


def token_lookup(state: State) -> TokenLookup:
    """Looks tokens up with ``state.sessionmaker``, which the lifespan (or a test) sets."""

    async def lookup(token_hash: str) -> Principal | None:
        sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
        async with sessionmaker() as session:
            client = await session.scalar(
                select(ApiClient).where(ApiClient.token_hash == token_hash, ApiClient.active)
            )
        if client is None:
            return None
        return Principal(client_id=client.id, name=client.name, scopes=frozenset(client.scopes))

    return lookup

"""Dependencies the registry's routers share: the calling client."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from services.registry.models import ApiClient
from shared.auth import Principal, bearer_token, hash_token
from shared.db import SessionDep
from shared.errors import Unauthenticated


async def current_client(request: Request, session: SessionDep) -> Principal:
    token_hash = hash_token(bearer_token(request))
    client = await session.scalar(
        select(ApiClient).where(ApiClient.token_hash == token_hash, ApiClient.active)
    )
    if client is None:
        raise Unauthenticated("Unknown or revoked token.")
    return Principal(client_id=client.id, name=client.name, scopes=frozenset(client.scopes))


Caller = Annotated[Principal, Depends(current_client)]

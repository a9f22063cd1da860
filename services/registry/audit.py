"""The access log: every read of personal data leaves a row (append-only).

Any new read of a person's data (stays, future endpoints) calls :func:`log_access`
from its service, or inserts the same columns in its own statement: a trigger seals
each row (id, content hash) and services/registry/access_log chains them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import AccessLogEntry
from shared.request_id import current_request_id


async def log_access(
    session: AsyncSession,
    *,
    client_id: UUID,
    action: str,
    identity: dict[str, Any] | None,
    person_id: UUID | None,
    purpose: str | None,
    reference: str | None,
    movement_count: int,
    on_behalf_of: str | None = None,
) -> None:
    await session.execute(
        insert(AccessLogEntry).values(
            client_id=client_id,
            action=action,
            identity=identity,
            person_id=person_id,
            purpose=purpose,
            reference=reference,
            movement_count=movement_count,
            request_id=current_request_id(),
            on_behalf_of=on_behalf_of,
        )
    )

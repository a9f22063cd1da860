"""The access log: every read of personal data leaves a row (append-only)."""

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
        )
    )

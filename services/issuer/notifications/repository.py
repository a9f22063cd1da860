"""Queries of the callback outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.models import Authority, Notification


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """What one attempt needs, read while claiming so no connection is held while posting."""

    notification_id: UUID
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    callback_url: str | None
    callback_secret: str | None


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, *, lease: timedelta, skip: list[UUID]) -> ClaimedDelivery | None:
        """Take the most overdue delivery and push its next attempt ``lease`` ahead.

        The lease commits before the HTTP call: a worker that dies mid-call leaves the row
        due again when the lease ends (at least once), and other workers skip it meanwhile.
        """
        due = (
            select(Notification.id)
            .where(Notification.status == "RETRYING", Notification.next_attempt_at <= func.now())
            .order_by(Notification.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if skip:
            due = due.where(Notification.id.not_in(skip))
        claimed = (
            await self.session.execute(
                update(Notification)
                .where(Notification.id == due.scalar_subquery())
                .values(attempts=Notification.attempts + 1, next_attempt_at=func.now() + lease)
                .returning(
                    Notification.id,
                    Notification.payload,
                    Notification.attempts,
                    Notification.created_at,
                    Notification.authority_id,
                )
                .execution_options(synchronize_session=False)
            )
        ).first()
        if claimed is None:
            return None
        authority = (
            await self.session.execute(
                select(Authority.callback_url, Authority.callback_secret).where(
                    Authority.id == claimed.authority_id
                )
            )
        ).one()
        return ClaimedDelivery(
            notification_id=claimed.id,
            payload=claimed.payload,
            attempts=claimed.attempts,
            created_at=claimed.created_at,
            callback_url=authority.callback_url,
            callback_secret=authority.callback_secret,
        )

    async def record(
        self,
        notification_id: UUID,
        *,
        status: str,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
        delivered_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error[:2000] if error else None}
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        if delivered_at is not None:
            values["delivered_at"] = delivered_at
        await self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

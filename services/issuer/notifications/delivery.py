"""Delivering the outbox: Standard Webhooks POSTs, retried with backoff for a day.

Same shape as the pending worker (state only in PostgreSQL, ``SKIP LOCKED`` so replicas
share the work, a restart loses nothing), with one difference: a delivery is *leased*,
not held locked, while the HTTP call is in flight, so a slow receiver never pins a
database connection. Receivers deduplicate on ``webhook-id`` (the notification's id,
the same on every retry).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from services.issuer.clock import now
from services.issuer.notifications.callbacks import check_callback_url
from services.issuer.notifications.repository import ClaimedDelivery, NotificationRepository
from services.issuer.settings import IssuerSettings

log = logging.getLogger(__name__)


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential, capped, with "equal jitter": half fixed, half random, so receivers
    that come back after an outage are not hit by every issuer replica at once."""
    delay = min(cap, base * float(2 ** max(0, attempts - 1)))
    jitter: float = random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret
    return delay / 2 + jitter


class CallbackDelivery:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: IssuerSettings,
        http: httpx.AsyncClient,
        *,
        batch_size: int = 50,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.http = http
        self.batch_size = batch_size
        self._lease = timedelta(seconds=settings.callback_timeout_seconds * 3 + 30)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the database may be down: try again on the next tick
                log.exception("callback delivery round failed")
            await asyncio.sleep(self.settings.callback_poll_seconds)

    async def run_once(self) -> int:
        """Try each due delivery at most once. Returns how many were delivered."""
        delivered = 0
        tried: list[UUID] = []
        for _ in range(self.batch_size):
            async with self.sessionmaker() as session, session.begin():
                claimed = await NotificationRepository(session).claim_due(
                    lease=self._lease, skip=tried
                )
            if claimed is None:
                break
            tried.append(claimed.notification_id)
            delivered += await self._deliver(claimed)
        return delivered

    async def _deliver(self, claimed: ClaimedDelivery) -> bool:
        error = await self._post(claimed)
        attempted_at = now()
        async with self.sessionmaker() as session, session.begin():
            outbox = NotificationRepository(session)
            if error is None:
                await outbox.record(
                    claimed.notification_id, status="DELIVERED", delivered_at=attempted_at
                )
                log.info(
                    "callback delivered", extra={"notification_id": str(claimed.notification_id)}
                )
                return True
            retry_at = self._retry_at(claimed)
            if retry_at is None:
                await outbox.record(
                    claimed.notification_id,
                    status="FAILED",
                    error=f"gave up after {claimed.attempts} attempts: {error}",
                )
            else:
                await outbox.record(
                    claimed.notification_id,
                    status="RETRYING",
                    next_attempt_at=retry_at,
                    error=error,
                )
        log.warning(
            "callback failed",
            extra={"notification_id": str(claimed.notification_id), "error": error},
        )
        return False

    def _retry_at(self, claimed: ClaimedDelivery) -> datetime | None:
        """When to try again; None once that would be past the day of retries."""
        settings = self.settings
        retry_at = now() + timedelta(
            seconds=backoff_seconds(
                claimed.attempts,
                base=settings.callback_retry_base_seconds,
                cap=settings.callback_retry_max_seconds,
            )
        )
        give_up_at = claimed.created_at + timedelta(seconds=settings.callback_give_up_after_seconds)
        return None if retry_at > give_up_at else retry_at

    async def _post(self, claimed: ClaimedDelivery) -> str | None:
        """None when the receiver took it (2xx); otherwise why not."""
        if not claimed.callback_url or not claimed.callback_secret:
            return "the authority has no callback URL any more"
        try:
            url = check_callback_url(claimed.callback_url, production=self.settings.is_production)
        except ValueError as exc:
            return str(exc)
        body = json.dumps(claimed.payload, separators=(",", ":"), ensure_ascii=False)
        webhook_id = f"msg_{claimed.notification_id}"
        sent_at = now()
        try:
            # sent_at is in UTC, which is what the library assumes of the datetime.
            signature = Webhook(claimed.callback_secret).sign(webhook_id, sent_at, body)
        except Exception as exc:  # a corrupted secret must end in FAILED, not loop forever
            return f"cannot sign with the stored secret: {type(exc).__name__}"
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            response = await self.http.post(
                url,
                content=body.encode(),
                headers=headers,
                timeout=self.settings.callback_timeout_seconds,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"the receiver answered {response.status_code}"

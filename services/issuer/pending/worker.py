"""Issues the requests that arrived while the registry was down.

State lives only in the database, so a restart loses nothing and several replicas
can run a worker each. Each request is claimed (``FOR UPDATE SKIP LOCKED``) and
issued in one transaction: the claim, the certificate insert and the status change
commit together or not at all, and ``certificates.request_id`` is unique besides.
One request per transaction, because issuing locks the year's certificate counter:
holding it while asking the registry about the next request would stall every
other issuance.

A request settled here (ISSUED, or REJECTED when the registry's person does not bear the
oficio's name) gets its callback written to the outbox in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.issuer import metrics
from services.issuer.certificate_requests.repository import CertificateRequestRepository
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.clock import now
from services.issuer.models import Authority
from services.issuer.notifications.outbox import enqueue_settled
from services.issuer.oficios.names import SubjectNameMismatch
from services.issuer.registry_client import RegistryUnavailable

log = logging.getLogger(__name__)

_Outcome = Literal["issued", "rejected", "failed", "registry_down"]


class PendingWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        issuer: CertificateIssuer,
        *,
        poll_seconds: float,
        batch_size: int = 50,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.issuer = issuer
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the database may be down: try again on the next tick
                log.exception("pending worker round failed")
            await asyncio.sleep(self.poll_seconds)

    async def run_once(self) -> int:
        """Try each PENDING request at most once; stop early while the registry is down.
        Returns how many certificates were issued."""
        issued = 0
        tried: set[UUID] = set()
        for _ in range(self.batch_size):
            outcome = await self._issue_next(tried)
            if outcome is None or outcome == "registry_down":
                break
            issued += outcome == "issued"
        await self._report_depth()
        return issued

    async def _issue_next(self, tried: set[UUID]) -> _Outcome | None:
        async with self.sessionmaker() as session, session.begin():
            requests = CertificateRequestRepository(session)
            claimed = await requests.claim_pending(skip=tried)
            if claimed is None:
                return None
            claimed_id = claimed.id
            tried.add(claimed_id)
            # The POST's X-Request-ID: ties these log lines to the original request.
            logged = {"certificate_request_id": str(claimed_id), "request_id": claimed.request_id}
            authority = await session.get(Authority, claimed.authority_id)
            assert authority is not None
            try:
                # A savepoint: a failed issuance leaves no half-written certificate behind,
                # while the failure itself is still recorded on the request.
                async with session.begin_nested():
                    certificate = await self.issuer.issue(
                        session, claimed, authority_name=authority.name
                    )
                    await enqueue_settled(session, self.issuer, claimed, certificate, at=now())
            except RegistryUnavailable as exc:
                await requests.record_failure(claimed_id, str(exc))
                return "registry_down"
            except SubjectNameMismatch as mismatch:
                rejected = await requests.mark_rejected(
                    claimed_id, [e.as_dict() for e in mismatch.errors]
                )
                await enqueue_settled(session, self.issuer, rejected, None, at=now())
                for error in mismatch.errors:
                    metrics.REQUESTS_REJECTED.labels(error.code).inc()
                log.info("pending request rejected", extra=logged)
                return "rejected"
            except Exception as exc:
                log.exception("pending request failed", extra=logged)
                await requests.record_failure(claimed_id, f"{type(exc).__name__}: {exc}")
                return "failed"
        metrics.CERTIFICATES_ISSUED.labels("background").inc()
        log.info("pending request issued", extra=logged)
        return "issued"

    async def _report_depth(self) -> None:
        async with self.sessionmaker() as session:
            metrics.PENDING_QUEUE_DEPTH.set(
                await CertificateRequestRepository(session).pending_count()
            )

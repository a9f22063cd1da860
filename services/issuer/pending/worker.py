"""Issues the requests that arrived while the registry was down, and finishes the
ones whose issuer died after taking a number.

State lives only in the database, so a restart loses nothing and several replicas
can run a worker each. A request is claimed in a short transaction that writes a lease
(``claimed_until``; ``FOR UPDATE SKIP LOCKED`` only while claiming), then issued like a
POST does: no row or connection held while the registry, the TSA or the CPU work, so
the issuance's own short transactions (taking the number, storing the certificate) can
lock the request's row without deadlocking against the claim. A request that reserved a
number before its issuer died is finished with that number; ``certificates.request_id``
is unique besides.

A request settled here (ISSUED, or REJECTED when the registry's person does not bear the
oficio's name) gets its callback written to the outbox in the transaction that settles it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.issuer import metrics
from services.issuer.certificate_requests.repository import CertificateRequestRepository
from services.issuer.certificates.issuance import RequestRejected, release
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.clock import now
from services.issuer.models import Authority, Certificate, CertificateRequest
from services.issuer.notifications.outbox import enqueue_settled
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
        async with self.sessionmaker.begin() as session:
            claimed = await CertificateRequestRepository(session).claim_pending(
                lease_seconds=self.issuer.settings.pending_lease_seconds, skip=tried
            )
            if claimed is None:
                return None
            authority = await session.get(Authority, claimed.authority_id)
            assert authority is not None
        claimed_id = claimed.id
        tried.add(claimed_id)
        # The POST's X-Request-ID: ties these log lines to the original request.
        logged = {"certificate_request_id": str(claimed_id), "request_id": claimed.request_id}
        try:
            await self.issuer.issue(
                self.sessionmaker,
                claimed,
                authority_name=authority.name,
                on_settled=self._announce,
            )
        except RegistryUnavailable as exc:
            await release(self.sessionmaker, claimed_id, failure=str(exc))
            return "registry_down"
        except RequestRejected as rejected:
            for error in rejected.errors:
                metrics.REQUESTS_REJECTED.labels(error.code).inc()
            log.info("pending request rejected", extra=logged)
            return "rejected"
        except Exception as exc:
            log.exception("pending request failed", extra=logged)
            await release(self.sessionmaker, claimed_id, failure=f"{type(exc).__name__}: {exc}")
            return "failed"
        metrics.CERTIFICATES_ISSUED.labels("background").inc()
        log.info("pending request issued", extra=logged)
        return "issued"

    async def _announce(
        self,
        session: AsyncSession,
        settled: CertificateRequest,
        certificate: Certificate | None,
    ) -> None:
        await enqueue_settled(session, self.issuer, settled, certificate, at=now())

    async def _report_depth(self) -> None:
        async with self.sessionmaker() as session:
            metrics.PENDING_QUEUE_DEPTH.set(
                await CertificateRequestRepository(session).pending_count()
            )

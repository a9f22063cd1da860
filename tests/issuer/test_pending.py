"""Registry down: the request is kept PENDING and issued exactly once, in the background."""

from __future__ import annotations

import asyncio
import time
import uuid

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.issuer import metrics
from services.issuer.models import Certificate, CertificateRequest
from services.issuer.pending.worker import PendingWorker
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.helpers import certificate_request


async def test_registry_down_then_the_worker_issues_once(
    issuer_factory: IssuerFactory,
    issuer_app: FastAPI,
    issuer: AsyncClient,
    authorities: Authorities,
    closed_port: int,
    issuer_session: AsyncSession,
) -> None:
    headers = authorities.fiscalia.headers
    down = {"registry_http": None, "registry_url": f"http://127.0.0.1:{closed_port}"}
    async with issuer_factory(**down) as (app_without_registry, issuer_without_registry):
        started = time.perf_counter()
        response = await issuer_without_registry.post(
            "/v1/certificate-requests", json=certificate_request(), headers=headers
        )
        assert time.perf_counter() - started < 3, "bounded retries, then 202"
        assert response.status_code == 202, response.text
        assert response.json() == {"request_id": response.json()["request_id"], "status": "PENDING"}
        assert int(response.headers["retry-after"]) >= 1
        request_id = uuid.UUID(response.json()["request_id"])
        request_url = f"/v1/certificate-requests/{request_id}"

        pending = await issuer_without_registry.get(request_url, headers=headers)
        assert pending.json()["status"] == "PENDING"
        assert pending.json()["certificate"] is None
        assert "retry-after" in pending.headers

        # Still down: the worker records the attempt and leaves the request PENDING.
        assert await app_without_registry.state.pending_worker.run_once() == 0
        stored = await issuer_session.get(CertificateRequest, request_id)
        assert stored is not None
        await issuer_session.refresh(stored)
        assert (stored.status, stored.attempts) == ("PENDING", 2)
        assert stored.last_error

    worker: PendingWorker = issuer_app.state.pending_worker
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert metrics.PENDING_QUEUE_DEPTH._value.get() == 0

    issued = await issuer.get(request_url, headers=headers)
    assert issued.json()["status"] == "ISSUED"
    assert issued.json()["certificate"]["number"].startswith("CMM-")
    assert "retry-after" not in issued.headers
    count = await issuer_session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.request_id == request_id)
    )
    assert count == 1


async def test_two_workers_racing_issue_each_request_once(
    issuer_factory: IssuerFactory,
    committed_authorities: Authorities,
    closed_port: int,
    issuer_engine: AsyncEngine,
) -> None:
    headers = committed_authorities.fiscalia.headers
    down = {"registry_http": None, "registry_url": f"http://127.0.0.1:{closed_port}"}
    async with issuer_factory(committing=True, **down) as (_, issuer_without_registry):
        responses = await asyncio.gather(
            *(
                issuer_without_registry.post(
                    "/v1/certificate-requests", json=certificate_request(), headers=headers
                )
                for _ in range(6)
            )
        )
    assert [r.status_code for r in responses] == [202] * 6
    ids = [uuid.UUID(r.json()["request_id"]) for r in responses]

    async with issuer_factory(committing=True) as (app, _):
        first: PendingWorker = app.state.pending_worker
        second = PendingWorker(app.state.sessionmaker, app.state.certificate_issuer, poll_seconds=1)
        issued = await asyncio.gather(first.run_once(), second.run_once())
        assert sum(issued) >= 6
        assert all(n > 0 for n in issued), "both workers got a share of the queue"

    async with async_sessionmaker(issuer_engine)() as session:
        rows = (
            await session.execute(
                select(Certificate.request_id, func.count())
                .where(Certificate.request_id.in_(ids))
                .group_by(Certificate.request_id)
            )
        ).all()
        statuses = set(
            (
                await session.scalars(
                    select(CertificateRequest.status).where(CertificateRequest.id.in_(ids))
                )
            ).all()
        )
    assert sorted(rows) == sorted((i, 1) for i in ids)
    assert statuses == {"ISSUED"}

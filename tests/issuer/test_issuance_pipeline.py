"""The number is taken in a short transaction and the PDF made after it, with nothing
held: issuances overlap, numbers stay gapless, and an issuance that dies between the two
is finished by the pending worker with the same number.

Faults are injected in the rendering step (the one the reservation precedes), rendered
in a thread for that (``render_processes=0``): a render that raises once stands for a
crash, one that waits on an event for an issuance caught in flight. Everything else is
real: PostgreSQL, the registry app, the worker.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.issuer.certificates import render_pool
from services.issuer.models import Certificate, CertificateRequest, CertificateReservation
from services.issuer.pending.worker import PendingWorker
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.helpers import certificate_request

real_render = render_pool.render_certificate


class RenderFault:
    """Replaces the rendering: the first call fails or waits for ``go``; later calls
    render as usual (a worker finishing the request)."""

    def __init__(self, *, fail: bool) -> None:
        self.fail = fail
        self.calls = 0
        self.entered = threading.Event()
        self.go = threading.Event()

    def __call__(self, content: Any) -> bytes:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            if self.fail:
                raise RuntimeError("the process died while rendering")
            assert self.go.wait(120), "the test never released the render"
        return real_render(content)


@pytest.fixture
def render_fault(monkeypatch: pytest.MonkeyPatch) -> Callable[..., RenderFault]:
    def install(*, fail: bool) -> RenderFault:
        fault = RenderFault(fail=fail)
        monkeypatch.setattr(render_pool, "render_certificate", fault)
        return fault

    return install


@pytest.fixture
def release_renders() -> Iterator[list[RenderFault]]:
    """Never leave a render thread waiting, whatever the test's outcome."""
    faults: list[RenderFault] = []
    yield faults
    for fault in faults:
        fault.go.set()


async def _stored(engine: AsyncEngine, request_id: uuid.UUID) -> dict[str, Any]:
    async with async_sessionmaker(engine)() as session:
        request = await session.get(CertificateRequest, request_id)
        reservation = await session.get(CertificateReservation, request_id)
        certificates = (
            await session.scalars(
                select(Certificate.number).where(Certificate.request_id == request_id)
            )
        ).all()
    assert request is not None
    return {
        "status": request.status,
        "claimed_until": request.claimed_until,
        "reserved": reservation.number if reservation else None,
        "certificates": list(certificates),
    }


async def _year_is_gapless(engine: AsyncEngine, year: int) -> None:
    """Every number taken this year (reserved) is a certificate, and they run 1..n."""
    async with async_sessionmaker(engine)() as session:
        reserved = (
            await session.scalars(
                select(CertificateReservation.sequence)
                .where(CertificateReservation.year == year)
                .order_by(CertificateReservation.sequence)
            )
        ).all()
        issued = (
            await session.scalars(
                select(Certificate.sequence)
                .where(Certificate.year == year)
                .order_by(Certificate.sequence)
            )
        ).all()
    assert list(issued) == list(range(1, len(issued) + 1))
    assert set(reserved) <= set(issued)


async def _request_id(issuer: AsyncClient, headers: dict[str, str], oficio: str) -> uuid.UUID:
    listed = await issuer.get(
        "/v1/certificate-requests", params={"oficio_number": oficio}, headers=headers
    )
    [item] = listed.json()["items"]
    return uuid.UUID(item["request_id"])


async def test_overlapping_issuances_get_contiguous_reserved_numbers(
    issuer_factory: IssuerFactory, committed_authorities: Authorities, issuer_engine: AsyncEngine
) -> None:
    headers = committed_authorities.fiscalia.headers
    async with issuer_factory(committing=True) as (_, issuer):
        responses = await asyncio.gather(
            *(
                issuer.post("/v1/certificate-requests", json=certificate_request(), headers=headers)
                for _ in range(8)
            )
        )
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    certificates = [r.json()["certificate"] for r in responses]
    sequences = sorted(int(c["number"].rsplit("-", 1)[1]) for c in certificates)
    assert sequences == list(range(sequences[0], sequences[0] + 8))
    for response in responses:
        stored = await _stored(issuer_engine, uuid.UUID(response.json()["request_id"]))
        number = response.json()["certificate"]["number"]
        assert stored == {
            "status": "ISSUED",
            "claimed_until": None,
            "reserved": number,
            "certificates": [number],
        }
    await _year_is_gapless(issuer_engine, int(certificates[0]["number"].split("-")[1]))


async def test_a_crash_after_the_number_is_taken_is_finished_with_that_number(
    issuer_factory: IssuerFactory,
    committed_authorities: Authorities,
    issuer_engine: AsyncEngine,
    render_fault: Callable[..., RenderFault],
) -> None:
    headers = committed_authorities.fiscalia.headers
    body = certificate_request()
    fault = render_fault(fail=True)
    async with issuer_factory(committing=True, render_processes=0) as (app, issuer):
        crashed = await issuer.post("/v1/certificate-requests", json=body, headers=headers)
        assert crashed.status_code == 500
        request_id = await _request_id(issuer, headers, body["oficio"]["number"])
        before = await _stored(issuer_engine, request_id)
        assert before["status"] == "PENDING"
        assert before["reserved"] is not None, "the number was taken before rendering"
        assert before["certificates"] == []

        # A re-send meanwhile answers the request as stored: PENDING, nothing issued twice.
        resent = await issuer.post("/v1/certificate-requests", json=body, headers=headers)
        assert resent.status_code == 200 and resent.json()["status"] == "PENDING"

        worker: PendingWorker = app.state.pending_worker
        await worker.run_once()
        view = await issuer.get(f"/v1/certificate-requests/{request_id}", headers=headers)

    assert fault.calls == 2
    assert view.json()["status"] == "ISSUED"
    assert view.json()["certificate"]["number"] == before["reserved"]
    after = await _stored(issuer_engine, request_id)
    assert after["certificates"] == [before["reserved"]]
    await _year_is_gapless(issuer_engine, int(before["reserved"].split("-")[1]))


async def test_the_worker_leaves_an_issuance_in_flight_alone(
    issuer_factory: IssuerFactory,
    committed_authorities: Authorities,
    issuer_engine: AsyncEngine,
    render_fault: Callable[..., RenderFault],
    release_renders: list[RenderFault],
) -> None:
    headers = committed_authorities.fiscalia.headers
    body = certificate_request()
    fault = render_fault(fail=False)
    release_renders.append(fault)
    async with issuer_factory(committing=True, render_processes=0) as (app, issuer):
        posting = asyncio.create_task(
            issuer.post("/v1/certificate-requests", json=body, headers=headers)
        )
        assert await anyio.to_thread.run_sync(fault.entered.wait, 120)
        request_id = await _request_id(issuer, headers, body["oficio"]["number"])
        # Its lease is live: the worker does not take it over (nor wait on any lock).
        await app.state.pending_worker.run_once()
        during = await _stored(issuer_engine, request_id)
        assert (during["status"], during["certificates"]) == ("PENDING", [])
        assert during["claimed_until"] is not None
        fault.go.set()
        response = await posting

    assert response.status_code == 201, response.text
    assert fault.calls == 1
    assert (await _stored(issuer_engine, request_id))["certificates"] == [
        response.json()["certificate"]["number"]
    ]


async def test_a_worker_and_the_post_racing_on_one_request_issue_it_once(
    issuer_factory: IssuerFactory,
    committed_authorities: Authorities,
    issuer_engine: AsyncEngine,
    render_fault: Callable[..., RenderFault],
    release_renders: list[RenderFault],
) -> None:
    """A lease of 0 s: the worker takes over a POST that is still rendering (as when the
    POST's lease ran out); both finish, one certificate results, with one number."""
    headers = committed_authorities.fiscalia.headers
    body = certificate_request()
    fault = render_fault(fail=False)
    release_renders.append(fault)
    async with issuer_factory(committing=True, pending_lease_seconds=0, render_processes=0) as (
        app,
        issuer,
    ):
        posting = asyncio.create_task(
            issuer.post("/v1/certificate-requests", json=body, headers=headers)
        )
        assert await anyio.to_thread.run_sync(fault.entered.wait, 120)
        request_id = await _request_id(issuer, headers, body["oficio"]["number"])
        reserved = (await _stored(issuer_engine, request_id))["reserved"]
        assert reserved is not None

        # Its own worker instance: the app's may be claiming other committing tests' rows.
        worker = PendingWorker(app.state.sessionmaker, app.state.certificate_issuer, poll_seconds=1)
        await worker.run_once()
        by_worker = await _stored(issuer_engine, request_id)
        assert by_worker["status"] == "ISSUED"
        assert by_worker["certificates"] == [reserved]

        fault.go.set()  # the POST renders and signs its copy, then finds it issued
        response = await posting

    assert response.status_code == 201, response.text
    assert response.json()["certificate"]["number"] == reserved
    async with async_sessionmaker(issuer_engine)() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Certificate)
            .where(Certificate.request_id == request_id)
        )
    assert count == 1

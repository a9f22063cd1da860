"""Hostile callers against the issuer: abuse limits, input hygiene, bounded PDF checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from httpx import AsyncClient

from services.issuer.verify import service as verify_service
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.helpers import certificate_request


def _codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


async def test_control_characters_never_reach_a_certificate(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request(oficio={"signatory_name": "Dra. Ana\u0001 Torres"})
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert (response.status_code, _codes(response)) == (422, ["INVALID_CHARACTERS"])
    assert response.json()["errors"][0]["field"] == "oficio.signatory_name"

    nul = certificate_request(subject={"national_id": "1710034065", "full_name": "A\u0000B"})
    response = await issuer.post(
        "/v1/certificate-requests", json=nul, headers=authorities.fiscalia.headers
    )
    assert (response.status_code, _codes(response)) == (422, ["INVALID_CHARACTERS"])


async def test_a_period_is_made_of_dates_not_numbers(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request(period={"to": 0})
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert (response.status_code, _codes(response)) == (422, ["DATE_INVALID"])


async def test_a_burst_of_public_lookups_is_limited(issuer_factory: IssuerFactory) -> None:
    async with issuer_factory(rate_limit_public="10/minute") as (_, client):
        statuses = [(await client.get("/v1/verify/ABCD-EFGH-JKLM")).status_code for _ in range(10)]
        html = await client.get("/v1/verify/ABCD-EFGH-JKLM", headers={"Accept": "text/html"})
        upload = await client.post(
            "/v1/verify", content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
        )
        ca = await client.get("/v1/signing-certificates")  # serves a file: not limited
    assert statuses == [404] * 10
    for refused in (html, upload):
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert ca.status_code == 200


async def test_limits_can_be_switched_off(issuer_factory: IssuerFactory) -> None:
    async with issuer_factory(rate_limit_public="off") as (_, client):
        for _ in range(30):
            assert (await client.get("/v1/verify/ABCD-EFGH-JKLM")).status_code == 404


async def test_pdf_checks_wait_in_a_bounded_queue(issuer: AsyncClient) -> None:
    """Uploads beyond the slots and the queue are told to come back (503), instead of
    piling up in memory while holding anything scarce."""
    limiter = verify_service.PUBLIC_SIGNATURE_CHECKS
    release = anyio.Event()

    async def hold_slot() -> None:
        async with limiter:
            await release.wait()

    async def wait_for_slot() -> None:
        async with limiter:
            pass

    async with anyio.create_task_group() as group:
        for _ in range(int(limiter.total_tokens)):
            group.start_soon(hold_slot)
        for _ in range(verify_service.MAX_WAITING_CHECKS):
            group.start_soon(wait_for_slot)
        await anyio.sleep(0.05)
        response = await issuer.post(
            "/v1/verify", content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
        )
        release.set()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "2"


async def test_a_chunked_oversized_upload_is_413(issuer_factory: IssuerFactory) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"%" * 65_536

    async with issuer_factory(max_body_bytes=1_000_000) as (_, client):
        response = await client.post(
            "/v1/verify", content=chunks(), headers={"Content-Type": "application/pdf"}
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_authority_cannot_act_as_staff(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    response = await issuer.post(
        "/v1/certificates/00000000-0000-0000-0000-000000000000/revocation",
        json={"reason": "x"},
        headers=authorities.fiscalia.headers,
    )
    assert response.status_code == 403
    # and staff do not request certificates
    response = await issuer.post(
        "/v1/certificate-requests", json=certificate_request(), headers=authorities.admin.headers
    )
    assert response.status_code == 403

"""Issuer → registry over real sockets: a request made while the registry is down is
issued by the issuer's own background worker once the registry is back, exactly once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.issuer.app import create_app as create_issuer_app
from services.issuer.models import Certificate
from services.issuer.signing import DevelopmentPki
from services.registry.app import create_app as create_registry_app
from services.registry.models import AccessLogEntry
from services.registry.settings import RegistrySettings
from shared.db import make_engine
from tests.conftest import Tokens
from tests.e2e.conftest import free_port, serving
from tests.issuer.conftest import AuthorityPki, settings_for
from tests.issuer.helpers import certificate_request, fresh_cedula, make_authority, seed_history


async def test_pending_request_is_issued_when_the_registry_comes_back(
    issuer_db_url: str,
    dev_pki: DevelopmentPki,
    authority_pki: AuthorityPki,
    reader_token: str,
    registry_settings: RegistrySettings,
    registry_committing: httpx.AsyncClient,
    committed_tokens: Tokens,
    registry_engine: AsyncEngine,
) -> None:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=3)
    issuer_engine = make_engine(issuer_db_url, pool_size=1, application_name="e2e")
    async with async_sessionmaker(issuer_engine, expire_on_commit=False)() as session:
        authority = await make_authority(session)
        await session.commit()

    registry_port, issuer_port = free_port(), free_port()
    issuer_settings = settings_for(
        issuer_db_url,
        dev_pki,
        authority_pki,
        registry_url=f"http://127.0.0.1:{registry_port}",
        registry_token=reader_token,
        public_base_url=f"http://127.0.0.1:{issuer_port}",
        pending_poll_seconds=0.2,
    )
    request_id_header = f"e2e-{uuid.uuid4().hex}"
    try:
        async with (
            serving(create_issuer_app(issuer_settings), issuer_port) as issuer_url,
            httpx.AsyncClient(base_url=issuer_url, headers=authority.headers) as issuer,
        ):
            assert (await issuer.get("/readyz")).status_code == 200  # registry down: still ready
            response = await issuer.post(
                "/v1/certificate-requests",
                json=certificate_request(national_id=cedula),
                headers={"X-Request-ID": request_id_header},
            )
            assert response.status_code == 202, response.text
            assert response.headers["x-request-id"] == request_id_header
            request_url = f"/v1/certificate-requests/{response.json()['request_id']}"
            assert (await issuer.get(request_url)).json()["status"] == "PENDING"

            async with serving(create_registry_app(registry_settings), registry_port):
                status = await _wait_for_issued(issuer, request_url)

            assert status["status"] == "ISSUED"
            certificate = status["certificate"]
            assert certificate["movement_count"] == 3
            assert certificate["verify_url"].startswith(issuer_url)
            pdf = await issuer.get(certificate["pdf_url"])
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            verified = await issuer.get(certificate["verify_url"])
            assert verified.json()["status"] == "VALID"

        async with async_sessionmaker(issuer_engine)() as session:
            certificates = await session.scalar(
                select(func.count())
                .select_from(Certificate)
                .where(Certificate.request_id == uuid.UUID(response.json()["request_id"]))
            )
        assert certificates == 1
        async with async_sessionmaker(registry_engine)() as session:
            logged = (
                await session.scalars(
                    select(AccessLogEntry.reference).where(
                        AccessLogEntry.request_id == request_id_header
                    )
                )
            ).all()
        assert logged, "the X-Request-ID sent to the issuer reaches the registry's access log"
        assert set(logged) == {status["oficio_number"]}
    finally:
        await issuer_engine.dispose()


async def _wait_for_issued(issuer: httpx.AsyncClient, request_url: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            status: dict[str, Any] = (await issuer.get(request_url)).json()
            if status["status"] != "PENDING":
                return status
            await asyncio.sleep(0.1)

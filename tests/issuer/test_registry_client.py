"""The registry client against the real registry app: every page, request ids, failures."""

from __future__ import annotations

import time
from datetime import date

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.issuer.registry_client import RegistryClient, RegistryUnavailable
from services.registry.models import AccessLogEntry
from tests.conftest import Tokens
from tests.issuer.helpers import CONTROL_POINT_NAMES, fresh_cedula, seed_history


def client_for(http: AsyncClient, token: str, **options: object) -> RegistryClient:
    return RegistryClient(
        http,
        base_url="http://registry.test",
        token=token,
        timeout_seconds=2.0,
        **options,  # type: ignore[arg-type]
    )


async def test_fetches_every_page_and_forwards_the_request_id(
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    reader_token: str,
    registry_engine: AsyncEngine,
) -> None:
    cedula = fresh_cedula()
    seeded = await seed_history(
        registry_committing, committed_tokens.terminal, national_id=cedula, count=23
    )
    client = client_for(registry_committing, reader_token, page_size=5)
    reference = "FGE-FPP-2025-009999-O"

    history = await client.history(
        {"national_id": cedula},
        period_from=None,
        period_to=date.today(),
        reference=reference,
        request_id="req-pages-1",
    )

    assert [str(m.movement_id) for m in history.movements] == [b["movement_id"] for b in seeded]
    assert history.person is not None and history.person.national_id == cedula
    async with async_sessionmaker(registry_engine)() as session:
        logged = (
            await session.execute(
                select(AccessLogEntry.purpose, AccessLogEntry.request_id).where(
                    AccessLogEntry.reference == reference,
                    AccessLogEntry.request_id == "req-pages-1",
                )
            )
        ).all()
    assert logged == [("CERTIFICATE", "req-pages-1")] * 5  # 23 movements, 5 a page


async def test_control_point_names_are_cached(
    registry_committing: AsyncClient, reader_token: str
) -> None:
    client = client_for(registry_committing, reader_token)
    names = await client.control_point_names(request_id=None)
    for code, name in CONTROL_POINT_NAMES.items():
        assert names[code] == name
    closed = RegistryClient(
        httpx.AsyncClient(), base_url="http://127.0.0.1:9", token="x", timeout_seconds=1
    )
    closed._control_points = names
    closed._control_points_loaded_at = time.monotonic()
    assert await closed.control_point_names(request_id=None, needed=["AIR-UIO"]) == names


async def test_a_refused_token_is_unavailable(registry_committing: AsyncClient) -> None:
    client = client_for(registry_committing, "reg_wrong")
    with pytest.raises(RegistryUnavailable, match="401"):
        await client.control_point_names(request_id=None)


async def test_connection_refused_is_retried_then_unavailable(closed_port: int) -> None:
    async with httpx.AsyncClient() as http:
        client = RegistryClient(
            http, base_url=f"http://127.0.0.1:{closed_port}", token="x", timeout_seconds=1
        )
        started = time.perf_counter()
        with pytest.raises(RegistryUnavailable):
            await client.history(
                {"national_id": fresh_cedula()},
                period_from=None,
                period_to=date.today(),
                reference="X",
                request_id=None,
            )
        # Three attempts with backoff and jitter, inside the ~2 s budget.
        assert 0.2 < time.perf_counter() - started < 3

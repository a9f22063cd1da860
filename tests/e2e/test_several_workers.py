"""The registry served by several uvicorn worker processes (``uvicorn --workers N``).

Each worker is a separate process with its own event loop, connection pool and
in-memory caches; PostgreSQL is the only thing they share. These tests pin what must
hold across processes: every worker serves, a terminal's retries landing on different
workers still store one movement, and reads see writes made by the other worker.
What each worker adds (memory, throughput) is measured by ``make bench``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest

from tests.bench.servers import Server, children, uvicorn_server
from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement

WORKERS = 2


@pytest.fixture
def workers(registry_db_url: str) -> Iterator[Server]:
    env = {"REGISTRY_DATABASE_URL": registry_db_url, "REGISTRY_ENVIRONMENT": "test",
           "REGISTRY_DATABASE_POOL_SIZE": "4", "REGISTRY_RATE_LIMIT_PER_TOKEN": "off"}  # fmt: skip
    with uvicorn_server("services.registry.app:main_app", env, workers=WORKERS) as server:
        yield server


async def test_every_worker_is_a_process_and_retries_across_them_store_one_movement(
    workers: Server, committed_tokens: Tokens
) -> None:
    assert len(children(workers.process.pid)) == WORKERS
    cedula = a_cedula(1_770_001)
    retried = movement(traveller={"national_id": cedula, "document_number": "WK1"})
    others = [
        movement(occurred_at=at(i + 1), traveller={"national_id": cedula, "document_number": "WK1"})
        for i in range(40)
    ]
    # Fresh connections per request, so the kernel spreads them over both workers.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=workers.url, limits=limits, timeout=60) as http:
        answers = await asyncio.gather(
            *(http.post("/v1/movements", json=retried, headers=committed_tokens.terminal)
              for _ in range(20)),
            *(http.post("/v1/movements", json=body, headers=committed_tokens.terminal)
              for body in others),
        )  # fmt: skip
        statuses = [a.status_code for a in answers[:20]]
        assert sorted(statuses) == [200] * 19 + [201]
        assert [a.status_code for a in answers[20:]] == [201] * 40
        history = await http.post(
            "/v1/history/search",
            json={"identity": {"national_id": cedula}, "purpose": "CERTIFICATE",
                  "reference": f"WK-{uuid4()}"},
            headers=committed_tokens.reader,
        )  # fmt: skip
    assert history.status_code == 200
    assert len(history.json()["movements"]) == 41

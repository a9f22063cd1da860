"""A fresh database gets its statistics without waiting for autovacuum (migration 0007):
the service role, which owns nothing, has the write path's tables analyzed once stale."""

from __future__ import annotations

import asyncpg
from httpx import AsyncClient

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement
from tests.support.postgres import ServiceDatabase

_STALE = """
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.relname IN ('movements', 'persons', 'person_identifiers')
      AND s.n_mod_since_analyze > 500 + 0.2 * greatest(c.reltuples, 0)
"""


async def test_the_service_role_refreshes_stale_statistics(
    registry_database: ServiceDatabase, registry_committing: AsyncClient, committed_tokens: Tokens
) -> None:
    items = [
        movement(occurred_at=at(i), traveller={"national_id": a_cedula(1800 + i % 300),
                                               "document_number": f"FS{i % 300}"})
        for i in range(900)
    ]  # fmt: skip
    answer = await registry_committing.post(
        "/v1/movements/batch", json={"movements": items}, headers=committed_tokens.terminal
    )
    assert answer.json()["summary"]["created"] == 900, answer.text
    app = await asyncpg.connect(registry_database.app_url)
    try:
        assert await app.fetchval("SELECT refresh_statistics_if_stale()") >= 0
        await app.execute("SELECT pg_stat_clear_snapshot()")
        assert await app.fetch(_STALE) == []  # no table the write path reads is left stale
    finally:
        await app.close()
